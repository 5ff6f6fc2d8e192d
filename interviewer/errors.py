"""Typed domain errors. Each carries the one-line message a user sees; only the CLI exits."""

from __future__ import annotations


class InterviewerError(Exception):
    """Base class: `str(err)` is the user-facing, one-line message."""

    exit_code = 1
    hint: str | None = None

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        if hint is not None:
            self.hint = hint


class ConfigError(InterviewerError):
    """Settings, config file or data directory problems."""


class AudioFileError(InterviewerError):
    """A missing, empty, corrupt, silent or non-audio input file."""


class TranscriptionError(InterviewerError):
    """The speech-to-text model could not be loaded or failed."""


class RubricError(InterviewerError):
    """A rubric file that does not validate."""


class QuestionBankError(InterviewerError):
    """A question bank file that does not validate, or an unknown question id."""


class StoreError(InterviewerError):
    """The session store (folders + SQLite index) could not be read or written."""


class StoreBusy(StoreError):
    """Another process held the session index's write lock for longer than the busy timeout."""


class DiskFull(StoreError):
    """No space left where the sessions are kept."""


class SessionNotFound(StoreError):
    """No saved session has the given id."""


class DifferentQuestions(InterviewerError):
    """Two sessions to compare that are not attempts at the same question."""


class GraderError(InterviewerError):
    """The LLM grader failed (endpoint, auth, model, invalid output)."""


class AudioDeviceError(InterviewerError):
    """No usable audio input/output device, or PortAudio is missing."""


class SpeechError(InterviewerError):
    """Text-to-speech failed."""


class Interrupted(InterviewerError):
    """Ctrl-C after a session was saved: the message says which, and how to finish it."""

    exit_code = 130


class MissingDependency(InterviewerError):
    """An optional component is not installed; the message says what to install."""
