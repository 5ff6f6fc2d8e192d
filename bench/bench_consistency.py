"""Benchmark: how consistent is an LLM grader with itself on the same answer?

Grades one answer N times against an OpenAI-compatible endpoint and prints, per criterion, the
scores of every run, their mean, standard deviation and spread (max - min), then latency and
tokens per run. A grader whose spread is above 1 on a criterion is not fit to track progress.

    python bench/bench_consistency.py --base-url http://127.0.0.1:8080/v1 -n 5
    python bench/bench_consistency.py --base-url http://127.0.0.1:11434/v1 --model llama3.1 -n 10
    python bench/bench_consistency.py --base-url https://api.openai.com/v1 --model gpt-4o-mini \\
        --api-key-env OPENAI_API_KEY --json report.json
    python bench/bench_consistency.py --transcript answer.txt --question "Design ads ranking ..."

Without --transcript it grades the bundled demo answer's script. Without --model it uses the
first model the endpoint lists. The key is read from the environment variable named by
--api-key-env (local servers need none).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from pydantic import SecretStr

from interviewer.errors import InterviewerError
from interviewer.grading.consistency import grade_repeat
from interviewer.grading.llm import Endpoint, LLMGrader
from interviewer.grading.select import list_models
from interviewer.models import Evidence, Question, Round, Track, Transcript
from interviewer.rubric import get_rubric
from interviewer.settings import LLMSettings


def _demo() -> tuple[Question, str]:
    import yaml

    from interviewer.resources import data_dir

    raw = yaml.safe_load((data_dir() / "demo.yaml").read_text(encoding="utf-8"))
    script = (raw.get("answer") or {}).get("script") or raw.get("script", "")
    return Question.model_validate(raw["question"]), script


def _evidence(transcript: Transcript, question: Question) -> Evidence:
    try:
        from interviewer.analysis import analyze
    except ImportError:  # analyzer not available: the grader still runs, with empty counts
        return Evidence()
    return analyze(transcript, question)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--base-url", required=True, help="OpenAI-compatible base URL, e.g. http://127.0.0.1:8080/v1")
    p.add_argument("--model", help="model name (default: the first one GET /models lists)")
    p.add_argument("--api-key-env", default="OPENAI_API_KEY", help="environment variable holding the key")
    p.add_argument("-n", type=int, default=5, help="number of gradings (default 5)")
    p.add_argument("--transcript", type=Path, help="a .txt answer (default: the bundled demo script)")
    p.add_argument("--question", help="question text for --transcript")
    p.add_argument("--round", default="behavioral", choices=[r.value for r in Round])
    p.add_argument("--track", choices=[t.value for t in Track])
    p.add_argument("--rubric", default="core")
    p.add_argument("--timeout", type=float, default=300.0)
    p.add_argument("--temperature", type=float, default=0.0)
    p.add_argument("--max-tokens", type=int, default=2000)
    p.add_argument("--json", type=Path, help="also write the report as JSON here")
    args = p.parse_args(argv)

    key = os.environ.get(args.api_key_env) or None
    try:
        if args.transcript:
            text = args.transcript.read_text(encoding="utf-8")
            question = Question(id="bench", text=args.question or "Tell me about a project you are proud of.",
                                round=Round(args.round))
        else:
            question, text = _demo()
        transcript = Transcript.from_text(text)
        evidence = _evidence(transcript, question)
        rubric = get_rubric(args.rubric)
        model = args.model or next(iter(list_models(args.base_url, key, 10.0)), None)
        if not model:
            print(f"{args.base_url} lists no model; pass --model", file=sys.stderr)
            return 2
        settings = LLMSettings(enabled="on", base_url=args.base_url, model=model, timeout_s=args.timeout,
                               temperature=args.temperature, max_tokens=args.max_tokens)
        endpoint = Endpoint(base_url=args.base_url, model=model, api_key=SecretStr(key) if key else None)
        track = Track(args.track) if args.track else None

        def progress(i: int, grade: object, err: str | None) -> None:
            status = f"failed: {err}" if err else f"overall {getattr(grade, 'overall', '?')}, {getattr(grade, 'latency_s', 0):.1f} s"
            print(f"  run {i}/{args.n}: {status}", file=sys.stderr)

        print(f"grading {args.n}x with {endpoint.describe()} (rubric {rubric.id}, temperature {args.temperature:g})",
              file=sys.stderr)
        with LLMGrader(settings, endpoint) as grader:
            report = grade_repeat(grader, question, rubric, transcript, evidence, n=args.n, track=track, on_run=progress)
            mode = grader.response_mode
    except InterviewerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"\n{report.endpoint}  model {report.model}  prompt {report.prompt_version}  response_format {mode}\n")
    print(report.table())
    tokens = report.tokens_mean
    print(f"\nmean latency {report.latency_mean_s} s; mean tokens {tokens.get('prompt_tokens', 0):.0f} in / "
          f"{tokens.get('completion_tokens', 0):.0f} out; max criterion spread {report.max_spread}")
    if args.json:
        args.json.write_text(json.dumps(report.model_dump(mode="json"), indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
