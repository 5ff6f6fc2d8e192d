"""Voice-based mock interviewer with offline transcription and transcript grading."""

__version__ = "0.1.0"
