"""Transcript quality benchmark: WER, filler recall/precision, term recall and RTF (issue 8).

Compares faster-whisper called directly with its default options (beam 5, nothing else) with
the project's transcriber (VAD, filler-keeping hotwords and the question's vocabulary), on the
clips in tests/data/asr/ (piper joe and espeak-ng voices, one human LibriVox reading; see
tests/data/asr/scripts.yaml). Tune clips chose the settings; held-out clips are only measured.

    python bench/bench_asr.py                           # tiny.en (bundled), both variants
    python bench/bench_asr.py --model small.en          # any faster-whisper name or local folder
    python bench/bench_asr.py --variants project --split tune --kinds fillers
    python bench/bench_asr.py --variants 'kw:{"hotwords": "Um, uh, hmm."}'   # try decode options

Metrics
    WER       clean read speech (no fillers in the script), numbers spelled out on both sides
    fillers   recall and precision of um/uh/hmm, words aligned one by one (never after Whisper's
              English normaliser, which deletes fillers)
    terms     recall of the domain terms said in ML-dense answers, each graded with a bank
              question that does not name them
    RTF       transcription seconds / audio seconds over every clip, model loaded beforehand;
              with --joined also on every clip joined into one answer with 1.5 s pauses (clips
              of 20 s over-weigh the end of the audio, where Whisper decodes a last short window)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from asr_scoring import filler_counts, term_counts, wer  # noqa: E402

from interviewer.models import Question  # noqa: E402
from interviewer.settings import WhisperSettings  # noqa: E402
from interviewer.transcribe import DecodeOptions, WhisperTranscriber  # noqa: E402

ASR = ROOT / "tests" / "data" / "asr"
# Clean and filler clips answer a behavioural question whose vocabulary has nothing to do with
# them: the hotwords must not cost WER when they do not fit.
DEFAULT_QUESTION = "bh-own-project-failure"


@dataclass
class Clip:
    file: Path
    id: str
    kind: str
    voice: str
    split: str
    duration_s: float
    text: str
    question: str
    terms: list[str] = field(default_factory=list)


def load_clips() -> list[Clip]:
    scripts = yaml.safe_load((ASR / "scripts.yaml").read_text(encoding="utf-8"))
    texts = {item["id"]: item["text"] for kind in scripts.values() for item in kind}
    clips = []
    for c in yaml.safe_load((ASR / "clips.yaml").read_text(encoding="utf-8"))["clips"]:
        if c["kind"] not in ("clean", "fillers", "ml"):
            continue
        clips.append(Clip(
            file=ASR / c["file"], id=c["id"], kind=c["kind"], voice=c["voice"], split=c["split"],
            duration_s=c["duration_s"], text=" ".join((c.get("text") or texts[c["id"]]).split()),
            question=c.get("question", DEFAULT_QUESTION), terms=c.get("terms", []),
        ))
    return clips


class Variant:
    def __init__(self, spec: str, settings: WhisperSettings, questions: dict[str, Question]) -> None:
        self.spec = spec
        self.settings = settings
        self.questions = questions
        self.base = WhisperTranscriber(settings)
        self.label = spec if len(spec) < 40 else spec[:37] + "..."
        self._direct: Any = None

    def model(self) -> Any:
        if self.spec == "direct" and self._direct is None:
            # faster-whisper as a user would call it: default threads and workers, not ours.
            from faster_whisper import WhisperModel

            from interviewer.transcribe import resolve_model

            self._direct = WhisperModel(resolve_model(self.settings.model)[0], compute_type=self.settings.compute_type)
        return self._direct if self.spec == "direct" else self.base.load()

    def transcribe(self, clip: Clip) -> str:
        if self.spec == "direct":
            segments, _ = self.model().transcribe(str(clip.file), beam_size=self.settings.beam_size)
            return " ".join(s.text.strip() for s in segments)
        if self.spec == "project":
            return self.base.for_question(self.questions[clip.question]).transcribe(clip.file).text
        if self.spec.startswith("project+"):  # the project's options with some overridden: project+{"beam_size": 1}
            t = self.base.for_question(self.questions[clip.question])
            t.options = t.options.model_copy(update=json.loads(self.spec[len("project+"):]))
            return t.transcribe(clip.file).text
        if self.spec == "project-no-vocab":
            return self.base.for_question(None).transcribe(clip.file).text
        if self.spec.startswith("kw:"):
            kwargs = DecodeOptions.from_settings(self.settings).transcribe_kwargs()
            kwargs.update(json.loads(self.spec[3:]))
            segments, _ = self.model().transcribe(str(clip.file), **kwargs)
            return " ".join(s.text.strip() for s in segments)
        raise SystemExit(f"unknown variant {self.spec!r}: direct, project, project-no-vocab or kw:JSON")


def joined_rtf(variant: Variant, clips: list[Clip], repeat: int = 1, pause_s: float = 1.5) -> float:
    """Median RTF on one long answer: the clips joined with pauses (a 20 s clip over-weighs the end of audio)."""
    import tempfile

    import numpy as np

    from interviewer import audio as audio_io

    gap = np.zeros(round(pause_s * audio_io.SAMPLE_RATE_HZ), np.float32)
    joined = np.concatenate([part for c in clips for part in (audio_io.load_audio(c.file), gap)])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "joined.wav"
        audio_io.write_wav(path, joined)
        long_clip = Clip(file=path, id="joined", kind="clean", voice="mixed", split="tune",
                         duration_s=len(joined) / audio_io.SAMPLE_RATE_HZ, text="", question=clips[0].question)
        variant.model()
        spent = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            variant.transcribe(long_clip)
            spent.append(time.perf_counter() - t0)
        return sorted(spent)[len(spent) // 2] / long_clip.duration_s


def ratio(a: int, b: int) -> str:
    return f"{a / b:.3f}" if b else "-"


def run(variant: Variant, clips: list[Clip], show: bool) -> dict[str, Any]:
    variant.model()
    totals: dict[str, list[int]] = {}
    spent = audio = 0.0

    def add(key: str, *values: int) -> None:
        acc = totals.setdefault(key, [0] * len(values))
        for i, v in enumerate(values):
            acc[i] += v

    for clip in clips:
        t0 = time.perf_counter()
        hyp = variant.transcribe(clip)
        spent += time.perf_counter() - t0
        audio += clip.duration_s
        human = "human" if clip.voice == "human" else "synthetic"
        if show:
            print(f"  [{variant.label}] {clip.file.name}: {hyp}", file=sys.stderr)
        if clip.kind == "clean":
            add(f"wer/{clip.split}/{human}", *wer(clip.text, hyp))
        elif clip.kind == "fillers":
            add(f"fillers/{clip.split}", *filler_counts(clip.text, hyp))
        else:
            add(f"terms/{clip.split}", *term_counts(clip.terms, clip.text, hyp))
    out: dict[str, Any] = {"variant": variant.spec, "rtf": spent / audio if audio else None, "audio_s": audio}
    for key, v in totals.items():
        if key.startswith("wer/"):
            out[key] = v[0] / v[1] if v[1] else None
        elif key.startswith("fillers/"):
            out[key + "/recall"] = v[2] / v[0] if v[0] else None
            out[key + "/precision"] = v[2] / v[1] if v[1] else None
            out[key + "/counts"] = f"{v[2]}/{v[0]} ref, {v[1]} hyp"
        else:
            out[key] = v[1] / v[0] if v[0] else None
    return out


def table(results: list[dict[str, Any]], model: str) -> str:
    cols = [
        ("WER clean tune", "wer/tune/synthetic", "pct"), ("WER clean held-out", "wer/heldout/synthetic", "pct"),
        ("WER human read", "wer/heldout/human", "pct"),
        ("filler R tune", "fillers/tune/recall", "f"), ("filler P tune", "fillers/tune/precision", "f"),
        ("filler R held-out", "fillers/heldout/recall", "f"), ("filler P held-out", "fillers/heldout/precision", "f"),
        ("term R tune", "terms/tune", "f"), ("term R held-out", "terms/heldout", "f"), ("RTF", "rtf", "f"),
        ("RTF joined", "rtf_joined", "f"),
    ]
    lines = [f"model: {model}", "| variant | " + " | ".join(c[0] for c in cols) + " |",
             "|---" * (len(cols) + 1) + "|"]
    for r in results:
        cells = []
        for _, key, fmt in cols:
            v = r.get(key)
            cells.append("-" if v is None else (f"{v * 100:.2f} %" if fmt == "pct" else f"{v:.2f}"))
        lines.append(f"| {r['variant']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="tiny.en", help="faster-whisper model name or local folder")
    parser.add_argument("--beam", type=int, default=5)
    parser.add_argument("--vocabulary-tokens", type=int, help="prompt tokens for vocabulary terms (default: the setting's)")
    parser.add_argument("--cpu-threads", type=int, default=0, help="the project's [whisper] cpu_threads (0: cores / decodes)")
    parser.add_argument("--variants", nargs="+", default=["direct", "project"])
    parser.add_argument("--split", choices=["tune", "heldout"], help="only these clips")
    parser.add_argument("--kinds", nargs="+", choices=["clean", "fillers", "ml"], help="only these kinds")
    parser.add_argument("--voices", nargs="+", help="only these voices (piper, espeak, human)")
    parser.add_argument("--chunks", metavar="MIN,MAX",
                        help="chunk lengths (s) of the project's chunked decode (default: ChunkingOptions')")
    parser.add_argument("--fixed-terms", action="store_true",
                        help="each answer's terms from its question only (not chosen again per chunk from what was heard)")
    parser.add_argument("--show", action="store_true", help="print every hypothesis to stderr")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--joined", type=int, default=0, metavar="N",
                        help="also time each variant N times on the clips joined into one long answer (RTF joined, median)")
    args = parser.parse_args()

    from interviewer.bank import load_bank

    bank = load_bank()
    clips = [c for c in load_clips()
             if (not args.split or c.split == args.split) and (not args.kinds or c.kind in args.kinds)
             and (not args.voices or c.voice in args.voices)]
    questions = {q: bank.get(q) for q in {c.question for c in clips}}
    if args.chunks:
        import functools

        import interviewer.incremental as incremental

        low, high = (float(x) for x in args.chunks.split(","))
        # Bench only: every transcription made without explicit options uses these lengths.
        incremental.ChunkingOptions = functools.partial(  # type: ignore[misc]
            incremental.ChunkingOptions, min_chunk_s=low, max_chunk_s=high)
    if args.fixed_terms:
        WhisperTranscriber.for_next_chunk = lambda self, heard: self  # type: ignore[method-assign]
    settings = WhisperSettings(model=args.model, beam_size=args.beam, cpu_threads=args.cpu_threads, **({"vocabulary_tokens": args.vocabulary_tokens} if args.vocabulary_tokens is not None else {}))
    results = []
    for spec in args.variants:
        variant = Variant(spec, settings, questions)
        results.append(run(variant, clips, args.show))
        if args.joined:
            results[-1]["rtf_joined"] = joined_rtf(variant, clips, args.joined)
        print(json.dumps(results[-1]), file=sys.stderr)
    label = WhisperTranscriber(settings).model_label
    print(f"{len(clips)} clips, {results[0]['audio_s'] / 60:.1f} min of audio, beam {args.beam}")
    print(table(results, label))
    if args.json:
        args.json.write_text(json.dumps({"model": label, "results": results}, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
