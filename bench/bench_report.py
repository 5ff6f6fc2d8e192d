"""Benchmark: HTML report of a 12-minute answer (~2,000 words): generation time and size.

Builds the session from real material: tests/data/long/answer_75s.ogg is transcribed once by the
bundled tiny.en model, then audio and words are repeated (shifted in time) up to --minutes, so the
page holds a real transcript's words, findings and timings at full length. The analyzer and the
evidence-only grader run on the long transcript as in a real session; the session is saved in a
temporary store and `write_session_report` is timed, split into its parts.

    python bench/bench_report.py                  # 12 minutes
    python bench/bench_report.py --minutes 3 --runs 5
    flock /tmp/interviewer-cpu.lock python bench/bench_report.py   # on a shared machine

Targets (issue 11): generated in under 1 s, under 15 MB with the audio embedded.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CLIP = ROOT / "tests" / "data" / "long" / "answer_75s.ogg"


def build_session(store_dir: Path, minutes: float):  # type: ignore[no-untyped-def]
    from interviewer.analysis import analyze
    from interviewer.audio import SAMPLE_RATE_HZ, decode, write_wav
    from interviewer.bank import load_bank
    from interviewer.grading.evidence import EvidenceGrader
    from interviewer.models import Segment, SessionMeta, SessionStatus, Transcript, Word
    from interviewer.rubric import choose_rubric
    from interviewer.settings import load_settings
    from interviewer.store import Store, new_session_id
    from interviewer.transcribe import WhisperTranscriber

    clip = WhisperTranscriber(load_settings().whisper).transcribe(CLIP)
    pcm = decode(CLIP)
    length = len(pcm) / SAMPLE_RATE_HZ
    repeats = max(1, round(minutes * 60 / length))
    segments = []
    for k in range(repeats):
        off = k * length
        for s in clip.segments:
            segments.append(Segment(
                start=s.start + off, end=s.end + off, text=s.text, no_speech_prob=s.no_speech_prob,
                avg_logprob=s.avg_logprob,
                words=[Word(text=w.text, start=w.start + off, end=w.end + off, probability=w.probability,
                            uncertain=w.uncertain) for w in s.words],
            ))
    duration = repeats * length
    transcript = Transcript(text=" ".join(s.text.strip() for s in segments), segments=segments,
                            duration_s=duration, model=clip.model, quality=clip.quality)
    wav = store_dir.parent / "long.wav"
    write_wav(wav, np.tile(pcm, repeats))

    question = load_bank().get("bh-co-beyond-the-job").model_copy(update={"time_budget_s": 720})
    store = Store(store_dir)
    meta = SessionMeta(id=new_session_id(), created_at=datetime.now(timezone.utc), question=question,
                       status=SessionStatus.graded, duration_s=duration)
    saved = store.create(meta, audio=wav)
    store.save_transcript(saved, transcript)
    evidence = analyze(transcript, question)
    store.save_evidence(saved, evidence)
    rubric = choose_rubric(question, None)
    store.add_grade(saved, EvidenceGrader().grade(question, rubric, transcript, evidence))
    return store.load(meta.id)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=12.0)
    parser.add_argument("--runs", type=int, default=3, help="timed runs (the first builds caches too)")
    parser.add_argument("--keep", type=Path, help="also write the page here, to look at")
    args = parser.parse_args()

    from interviewer.report import build_session_view
    from interviewer.report.html import render_session_html, write_session_report
    from interviewer.report.media import opus_bytes

    with tempfile.TemporaryDirectory() as tmp:
        saved = build_session(Path(tmp) / "recordings", args.minutes)
        words = len(saved.transcript.words)
        print(f"session: {saved.meta.duration_s / 60:.1f} min of audio, {words} words, "
              f"{len(build_session_view(saved).findings)} findings")
        parts: dict[str, list[float]] = {"view model": [], "html render": [], "audio to opus": [], "total (write)": []}
        out = Path(tmp) / "report.html"
        for _ in range(args.runs):
            t0 = time.perf_counter()
            view = build_session_view(saved)
            t1 = time.perf_counter()
            render_session_html(view, "data:,")
            t2 = time.perf_counter()
            opus_bytes(saved.audio_path)
            t3 = time.perf_counter()
            write_session_report(saved, out)
            t4 = time.perf_counter()
            for k, v in zip(parts, (t1 - t0, t2 - t1, t3 - t2, t4 - t3)):
                parts[k].append(v)
        for k, v in parts.items():
            print(f"{k:>15}: median {statistics.median(v):.3f} s  (min {min(v):.3f}, max {max(v):.3f}, {len(v)} runs)")
        size = out.stat().st_size
        no_audio = len(render_session_html(build_session_view(saved), None).encode())
        print(f"{'size':>15}: {size / 1e6:.2f} MB with the audio embedded (Ogg Opus 24 kbit/s mono, base64); "
              f"{no_audio / 1e3:.0f} kB without")
        if args.keep:
            args.keep.write_bytes(out.read_bytes())
            print(f"page kept at {args.keep}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
