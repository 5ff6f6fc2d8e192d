"""Speed of the project against faster-whisper called directly, on one long answer, interleaved.

The bench_asr clips joined into one ~12-minute answer (1.5 s pauses) are transcribed by
faster-whisper with its defaults (tiny.en, beam 5) and by the project (`transcribe`: chunks,
word timestamps, the filler decode, per-chunk terms), alternately, N rounds. On a shared machine
the load drifts by tens of percent within minutes, so each round's ratio is taken between
neighbouring runs, and the median ratio is what to quote (issue 8: project <= 1.15x direct).

    python bench/bench_rtf.py                # 3 rounds
    python bench/bench_rtf.py --rounds 5
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_asr import Variant, joined_rtf, load_clips  # noqa: E402

from interviewer.bank import load_bank  # noqa: E402
from interviewer.settings import WhisperSettings  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--model", default="tiny.en")
    args = ap.parse_args()

    settings = WhisperSettings(model=args.model)
    bank = load_bank()
    clips = load_clips()
    questions = {c.question: bank.get(c.question) for c in clips}
    direct, project = Variant("direct", settings, questions), Variant("project", settings, questions)
    ratios, cpu_ratios = [], []
    for i in range(args.rounds):
        # Alternate which goes first, so a load that rises or falls over a round favours neither.
        first, second = (direct, project) if i % 2 == 0 else (project, direct)
        rtf, cpu = {}, {}
        for variant in (first, second):
            c0 = time.process_time()
            rtf[variant.spec] = joined_rtf(variant, clips)
            cpu[variant.spec] = time.process_time() - c0  # all threads: what the answer costs the machine
        ratios.append(rtf["project"] / rtf["direct"])
        cpu_ratios.append(cpu["project"] / cpu["direct"])
        print(f"round {i + 1}: direct RTF {rtf['direct']:.3f} (CPU {cpu['direct']:.0f} s), project RTF "
              f"{rtf['project']:.3f} (CPU {cpu['project']:.0f} s), ratio {ratios[-1]:.2f}", flush=True)
    print(f"median ratio project/direct over {args.rounds} rounds: {statistics.median(ratios):.2f} "
          f"(min {min(ratios):.2f}, max {max(ratios):.2f}); CPU time {statistics.median(cpu_ratios):.2f}")


if __name__ == "__main__":
    main()
