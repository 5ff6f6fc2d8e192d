"""Where a long transcription's time goes: each decode kind's CPU-side seconds and the wall time.

The project decodes every chunk twice at once (the words' decode with word timestamps, and the
filler-styled decode without), and sometimes a third time (speech no word covered, decoded
again without the prompt). This joins the bench_asr clips into one ~12-minute answer with
1.5 s pauses and transcribes it either in chunks (what `transcribe` does) or as one array
(the earlier design), printing the seconds spent in each kind of decode, the sampled fallbacks
faster-whisper made, and the real-time factor.

    python bench/bench_decodes.py                 # chunked, as `transcribe` and the live path
    python bench/bench_decodes.py --whole         # one decode of the whole array, for comparison
"""

from __future__ import annotations

import argparse
import collections
import logging
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_asr import DEFAULT_QUESTION, load_clips  # noqa: E402

from interviewer import audio as audio_io  # noqa: E402
from interviewer.bank import load_bank  # noqa: E402
from interviewer.incremental import transcribe_in_chunks  # noqa: E402
from interviewer.settings import WhisperSettings  # noqa: E402
from interviewer.transcribe import WhisperTranscriber  # noqa: E402


class _Fallbacks(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if "threshold is not met" in record.getMessage():
            self.count += 1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--whole", action="store_true", help="one decode of the whole array instead of chunks")
    ap.add_argument("--model", default="tiny.en")
    args = ap.parse_args()

    fallbacks = _Fallbacks()
    fw_log = logging.getLogger("faster_whisper")
    fw_log.setLevel(logging.DEBUG)
    fw_log.addHandler(fallbacks)

    spent: dict[str, float] = collections.defaultdict(float)
    calls: collections.Counter[str] = collections.Counter()
    decode = WhisperTranscriber._decode

    def timed(self, audio, options, **kw):  # type: ignore[no-untyped-def]
        if not options.word_timestamps:
            kind = "filler-styled"
        elif options.hotwords is None and self.options.hotwords:
            kind = "lost speech again"
        else:
            kind = "words"
        t0 = time.perf_counter()
        try:
            return decode(self, audio, options, **kw)
        finally:
            spent[kind] += time.perf_counter() - t0
            calls[kind] += 1

    WhisperTranscriber._decode = timed  # type: ignore[method-assign]

    gap = np.zeros(round(1.5 * audio_io.SAMPLE_RATE_HZ), np.float32)
    joined = np.concatenate([p for c in load_clips() for p in (audio_io.load_audio(c.file), gap)])
    seconds = joined.size / audio_io.SAMPLE_RATE_HZ
    question = load_bank().get(DEFAULT_QUESTION)
    transcriber = WhisperTranscriber(WhisperSettings(model=args.model)).for_question(question)
    transcriber.load()
    t0 = time.perf_counter()
    if args.whole:
        transcriber._run(joined, offset_s=0.0, total_s=seconds, progress=None, where="joined")
    else:
        transcribe_in_chunks(transcriber, joined)
    wall = time.perf_counter() - t0
    print(f"{seconds / 60:.1f}-minute answer, {'one decode of the whole array' if args.whole else 'in chunks'}:")
    for kind in ("words", "filler-styled", "lost speech again"):
        print(f"  {kind:18} {calls[kind]:3d} decodes  {spent[kind]:6.1f} s")
    print(f"  sampled fallbacks  {fallbacks.count:3d}")
    print(f"  wall {wall:.1f} s, RTF {wall / seconds:.3f}")


if __name__ == "__main__":
    main()
