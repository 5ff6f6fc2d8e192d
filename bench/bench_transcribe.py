"""Benchmark WhisperTranscriber against faster-whisper called directly with the same options.

Each variant runs in a fresh subprocess so peak RSS (ru_maxrss) is its own. Times include
decoding the file. Usage:

    python bench/bench_transcribe.py                      # the demo answer, tiny.en
    python bench/bench_transcribe.py --file answer.wav --rounds 5 --model small.en
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FILE = ROOT / "interviewer" / "data" / "demo_answer.ogg"
VARIANTS = ("direct", "wrapper")


def worker(variant: str, file: Path, model: str, beam: int, threads: int, repeat: int) -> dict:
    import resource

    from interviewer.settings import WhisperSettings
    from interviewer.transcribe import WhisperTranscriber

    settings = WhisperSettings(model=model, beam_size=beam, cpu_threads=threads)
    transcriber = WhisperTranscriber(settings)  # only to share model resolution and options
    kwargs = transcriber.options.transcribe_kwargs()

    t0 = time.perf_counter()
    if variant == "direct":
        from faster_whisper import WhisperModel

        from interviewer.transcribe import resolve_model

        fw = WhisperModel(resolve_model(model)[0], device=settings.device,
                          compute_type=settings.compute_type, cpu_threads=settings.cpu_threads)
    else:
        transcriber.load()
    load_s = time.perf_counter() - t0

    times, text, duration = [], "", 0.0
    for _ in range(repeat):
        t0 = time.perf_counter()
        if variant == "direct":
            segments, info = fw.transcribe(str(file), **kwargs)
            text = " ".join(" ".join(s.text.split()) for s in segments)  # consumes the generator
            duration = info.duration
        else:
            transcript = transcriber.transcribe(file)
            text, duration = transcript.text, transcript.duration_s
        times.append(time.perf_counter() - t0)

    return {
        "variant": variant,
        "model": transcriber.model_label,
        "load_s": load_s,
        "times": times,
        "duration_s": duration,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "text": text,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--model", default="tiny.en")
    parser.add_argument("--beam", type=int, default=5)
    parser.add_argument("--threads", type=int, default=0, help="CTranslate2 CPU threads (0: its default)")
    parser.add_argument("--repeat", type=int, default=1, help="transcriptions per subprocess")
    parser.add_argument("--rounds", type=int, default=3, help="fresh subprocesses per variant, order alternating")
    parser.add_argument("--worker", choices=VARIANTS, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:
        result = worker(args.worker, args.file, args.model, args.beam, args.threads, args.repeat)
        print(json.dumps(result))
        return

    # Alternate the order across rounds so a background load burst does not favour one variant.
    runs: dict[str, list[dict]] = {v: [] for v in VARIANTS}
    for r in range(args.rounds):
        for variant in VARIANTS if r % 2 == 0 else VARIANTS[::-1]:
            cmd = [sys.executable, __file__, "--worker", variant, "--file", str(args.file), "--model", args.model,
                   "--beam", str(args.beam), "--threads", str(args.threads), "--repeat", str(args.repeat)]
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                last = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else proc.returncode
                sys.exit(f"{variant} failed: {last}")
            runs[variant].append(json.loads(proc.stdout.strip().splitlines()[-1]))
    results = [
        {**rs[0], "load_s": statistics.median(x["load_s"] for x in rs),
         "times": [t for x in rs for t in x["times"]], "peak_rss_mb": max(x["peak_rss_mb"] for x in rs),
         "same_each_time": len({x["text"] for x in rs}) == 1}
        for rs in runs.values()
    ]

    print(f"file: {args.file} ({results[0]['duration_s']:.1f} s)  model: {results[0]['model']}  "
          f"beam {args.beam}  {args.rounds} rounds x {args.repeat}")
    print("medians; times include decoding the file; peak RSS is the max over rounds")
    print(f"{'variant':<9} {'load s':>7} {'transcribe s':>13} {'RTF':>6} {'peak RSS MB':>12}")
    for r in results:
        med = statistics.median(r["times"])
        print(f"{r['variant']:<9} {r['load_s']:7.2f} {med:13.2f} {med / r['duration_s']:6.3f} {r['peak_rss_mb']:12.0f}"
              f"   (runs: {', '.join(f'{t:.2f}' for t in r['times'])})")
    same = results[0]["text"] == results[1]["text"]
    print(f"same text: {'yes' if same else 'NO'} ({len(results[0]['text'].split())} words)")
    if not same:
        for r in results:
            print(f"  {r['variant']}: {r['text']}")


if __name__ == "__main__":
    main()
