"""Rubrics: the shipped files, per-track weights, the choice by round/track, validation errors.
(The structure measurements the new criteria are scored with are tested in test_structure.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from interviewer.errors import RubricError
from interviewer.analysis import analyze
from interviewer.grading.evidence import EvidenceGrader, evidence_metrics
from interviewer.models import Evidence, Question, Round, Track, Transcript
from interviewer.resources import rubrics_dir
from interviewer.rubric import Metric, Rubric, choose_rubric, get_rubric, load_rubric

SHIPPED = sorted(rubrics_dir().glob("*.yaml"))

# The core criteria each round must carry, where the round makes them relevant.
RELEVANT = {
    "behavioral": {"ownership", "metrics", "structure"},
    "recruiter_screen": {"ownership", "metrics"},
    "technical_screen": {"assumptions", "metrics"},
    "ml_breadth": {"assumptions", "depth", "tradeoffs"},
    "ml_depth": {"assumptions", "ownership", "metrics", "depth", "tradeoffs"},
    "ml_system_design": {"assumptions", "metrics", "clarifying", "tradeoffs", "depth"},
    "coding": {"assumptions", "complexity", "edge_cases"},
    "core": {"assumptions", "ownership", "metrics"},
}
# The guide's lens: research rigor vs product impact, 70/30 for scientists, 30/70 for MLEs.
RIGOR = {"depth"}
PRODUCT = {"tradeoffs", "metrics"}


def _q(round_: Round) -> Question:
    return Question(id="q-test", text="A question long enough to validate.", round=round_)


# --- shipped rubrics -----------------------------------------------------------------------------


def test_every_round_has_a_rubric() -> None:
    assert {p.stem for p in SHIPPED} >= {r.value for r in Round} | {"core"}


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_rubric_loads_with_relevant_criteria(path: Path) -> None:
    rubric = load_rubric(path)
    assert rubric.id == path.stem
    ids = {c.id for c in rubric.criteria}
    assert len(ids) >= 3
    assert RELEVANT[path.stem] <= ids, f"{path.name} lacks {RELEVANT[path.stem] - ids}"
    # As many criteria as is honest are scored offline; the rest are judged by the LLM only.
    assert sum(c.evidence is not None for c in rubric.criteria) >= 3
    for c in rubric.criteria:
        assert all(len(c.anchors[level]) > 10 for level in range(1, 6))


def test_core_keeps_its_ids_and_rules() -> None:
    core = get_rubric("core")
    assert [c.id for c in core.criteria] == ["assumptions", "ownership", "metrics", "delivery"]
    assert [c.evidence.metric for c in core.criteria if c.evidence] == [
        "assumptions.coverage", "ownership.actor_balance", "impact.strength", "delivery.filler_rate",
    ]  # fmt: skip


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_track_weights_follow_the_research_product_lens(path: Path) -> None:
    rubric = load_rubric(path)
    weighted = [c for c in rubric.criteria if c.track_weights]
    if not weighted:  # judged the same for both tracks
        assert rubric.weighted_mean({c.id: 1 + i % 5 for i, c in enumerate(rubric.criteria)}, Track.scientist) == (
            rubric.weighted_mean({c.id: 1 + i % 5 for i, c in enumerate(rubric.criteria)}, Track.mle)
        )
        return
    assert {c.id for c in weighted} <= RIGOR | PRODUCT
    for track, share in ((Track.scientist, 0.7), (Track.mle, 0.3)):
        rigor = sum(c.weight_for(track) for c in rubric.criteria if c.id in RIGOR)
        product = sum(c.weight_for(track) for c in rubric.criteria if c.id in PRODUCT)
        assert rigor / (rigor + product) == pytest.approx(share)
        # The no-track weight is the even split of the same budget.
        assert sum(c.weight for c in weighted) == pytest.approx(rigor + product)


def test_depth_weighs_more_for_scientists_on_ml_depth() -> None:
    rubric = get_rubric("ml_depth")
    depth = rubric.criterion("depth")
    assert depth is not None and depth.weight_for(Track.scientist) > depth.weight_for(Track.mle)
    deep_but_unquantified = {"depth": 5, "tradeoffs": 2, "metrics": 2, "ownership": 3, "assumptions": 3, "delivery": 3}
    sci = rubric.weighted_mean(deep_but_unquantified, Track.scientist)
    mle = rubric.weighted_mean(deep_but_unquantified, Track.mle)
    assert sci > mle
    assert rubric.weighted_mean(deep_but_unquantified, None) not in (sci, mle)


def test_tradeoffs_and_cost_weigh_more_for_mles_on_system_design() -> None:
    rubric = get_rubric("ml_system_design")
    for cid in ("tradeoffs", "metrics"):
        c = rubric.criterion(cid)
        assert c is not None and c.weight_for(Track.mle) > c.weight_for(Track.scientist)
    frugal_but_shallow = {"clarifying": 4, "assumptions": 4, "tradeoffs": 5, "depth": 2, "metrics": 5, "delivery": 3}
    assert rubric.weighted_mean(frugal_but_shallow, Track.mle) > rubric.weighted_mean(frugal_but_shallow, Track.scientist)


def test_evidence_grade_overall_differs_by_track() -> None:
    rubric = get_rubric("ml_system_design")
    text = (
        "What QPS and P99 latency budget should I design for? Let's assume 100k requests per second. "
        "I'd use a two-tower retrieval model instead of a cross-encoder, at the cost of some recall. "
        "Distillation is cheaper than more GPUs. I'd compare against the current baseline offline and "
        "then run an A/B test. We monitor drift with alerts."
    )
    t = Transcript.from_text(text)
    ev = analyze(t, _q(Round.ml_system_design))
    sci = EvidenceGrader().grade(_q(Round.ml_system_design), rubric, t, ev, track=Track.scientist)
    mle = EvidenceGrader().grade(_q(Round.ml_system_design), rubric, t, ev, track=Track.mle)
    assert [c.score for c in sci.criteria] == [c.score for c in mle.criteria]
    assert sci.overall != mle.overall


# --- choosing a rubric ---------------------------------------------------------------------------


@pytest.mark.parametrize("round_", list(Round))
@pytest.mark.parametrize("track", [Track.scientist, Track.mle, None])
def test_choose_rubric_picks_the_round_rubric(round_: Round, track: Track | None) -> None:
    assert choose_rubric(_q(round_), track).id == round_.value


def test_rubric_override_wins() -> None:
    assert choose_rubric(_q(Round.behavioral), Track.mle, "core").id == "core"
    assert choose_rubric(_q(Round.coding), None, rubrics_dir() / "ml_depth.yaml").id == "ml_depth"


def _write_rubric(path: Path, rid: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = yaml.safe_load((rubrics_dir() / "core.yaml").read_text())
    raw["id"] = rid
    path.write_text(yaml.safe_dump(raw))
    return path


def test_user_rubric_dir_overrides_shipped(isolated_home: Path) -> None:
    _write_rubric(isolated_home / "rubrics" / "behavioral.yaml", "my-behavioral")
    assert choose_rubric(_q(Round.behavioral), Track.mle).id == "my-behavioral"
    assert choose_rubric(_q(Round.coding), Track.mle).id == "coding"


def test_round_track_rubric_is_most_specific(isolated_home: Path) -> None:
    _write_rubric(isolated_home / "rubrics" / "ml_depth-mle.yaml", "ml-depth-for-mle")
    assert choose_rubric(_q(Round.ml_depth), Track.mle).id == "ml-depth-for-mle"
    assert choose_rubric(_q(Round.ml_depth), Track.scientist).id == "ml_depth"
    assert choose_rubric(_q(Round.ml_depth), None).id == "ml_depth"
    # An explicit --rubric still wins over the most specific file.
    assert choose_rubric(_q(Round.ml_depth), Track.mle, "core").id == "core"


# --- validation errors ---------------------------------------------------------------------------


def _broken(tmp_path: Path, mutate) -> Path:  # type: ignore[no-untyped-def]
    raw = yaml.safe_load((rubrics_dir() / "ml_depth.yaml").read_text())
    mutate(raw)
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def _error(path: Path) -> str:
    with pytest.raises(RubricError) as info:
        load_rubric(path)
    message = str(info.value)
    assert str(path) in message and "\n" not in message
    return message


def test_missing_anchor_level_names_file_and_field(tmp_path: Path) -> None:
    def drop_level(raw: dict) -> None:
        del raw["criteria"][1]["anchors"][3]

    msg = _error(_broken(tmp_path, drop_level))
    assert "criteria[1](tradeoffs).anchors" in msg and "levels 1, 2, 3, 4 and 5" in msg


def test_unknown_metric_names_file_and_field(tmp_path: Path) -> None:
    def bad_metric(raw: dict) -> None:
        raw["criteria"][0]["evidence"]["metric"] = "rigor.vibes"

    msg = _error(_broken(tmp_path, bad_metric))
    assert "criteria[0](depth).evidence.metric" in msg and "rigor.count" in msg


def test_non_monotonic_thresholds_name_file_and_field(tmp_path: Path) -> None:
    def unordered(raw: dict) -> None:
        raw["criteria"][2]["evidence"]["thresholds"] = [1, 4, 2, 6]

    msg = _error(_broken(tmp_path, unordered))
    assert "criteria[2](metrics).evidence" in msg and "ascending" in msg


def test_lower_is_better_thresholds_must_descend(tmp_path: Path) -> None:
    def ascending(raw: dict) -> None:
        raw["criteria"][-1]["evidence"]["thresholds"] = [1.5, 3, 5, 8]

    msg = _error(_broken(tmp_path, ascending))
    assert "criteria[5](delivery).evidence" in msg and "descending" in msg


def test_duplicate_criterion_id_names_file_and_id(tmp_path: Path) -> None:
    def duplicate(raw: dict) -> None:
        raw["criteria"][1]["id"] = "depth"

    msg = _error(_broken(tmp_path, duplicate))
    assert "criteria" in msg and "duplicate criterion id 'depth'" in msg


def test_bad_track_in_track_weights(tmp_path: Path) -> None:
    def bad_track(raw: dict) -> None:
        raw["criteria"][0]["track_weights"] = {"scientist": 2.0, "researcher": 1.0}

    assert "criteria[0](depth).track_weights" in _error(_broken(tmp_path, bad_track))


def test_bad_yaml_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("id: x\nname: y\ncriteria:\n  - id: a\n    anchors: {1: [unclosed\n")
    msg = _error(path)
    assert "line" in msg


def test_unknown_rubric_name_lists_the_known_ones() -> None:
    with pytest.raises(RubricError, match="ml_system_design"):
        get_rubric("no-such-rubric")


def test_every_metric_is_computed() -> None:
    metrics = evidence_metrics(analyze(Transcript.from_text("Hello.")))
    assert set(metrics) == set(Metric.__args__)  # type: ignore[attr-defined]
    assert evidence_metrics(Evidence()).keys() == metrics.keys()


def test_every_shipped_rule_names_a_computed_metric() -> None:
    metrics = evidence_metrics(Evidence())
    for path in SHIPPED:
        rubric: Rubric = load_rubric(path)
        for c in rubric.criteria:
            if c.evidence:
                assert c.evidence.metric in metrics


# --- checks: the rules every grade obeys ----------------------------------------------------------


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_shipped_rubric_states_its_checks(path: Path) -> None:
    # The band and thresholds are visible in each file, not only defaults in code.
    raw = yaml.safe_load(path.read_text())
    assert {"pace_wpm", "pace_far_wpm", "short_answer_words", "brief_answer_words"} <= set(raw["checks"])
    checks = load_rubric(path).checks
    assert checks.pace_far_wpm.low <= checks.pace_wpm.low < checks.pace_wpm.high <= checks.pace_far_wpm.high
    assert 160 in checks.pace_wpm and 183 not in checks.pace_far_wpm  # the tool's advice; the measured 183 wpm


def test_core_names_the_source_of_its_pace_band() -> None:
    text = (rubrics_dir() / "core.yaml").read_text()
    assert "130-160" in text and "National Center for Voice and Speech" in text


def test_bad_checks_name_file_and_field(tmp_path: Path) -> None:
    path = _broken(tmp_path, lambda raw: raw["checks"].update(pace_wpm={"low": 170, "high": 130}))
    assert "checks.pace_wpm" in _error(path) and "must be below high" in _error(path)
    path = _broken(tmp_path, lambda raw: raw["checks"].update(pace_wpm={"low": 100, "high": 200}))
    assert "must contain pace_wpm" in _error(path)
    path = _broken(tmp_path, lambda raw: raw["checks"].update(short_answer_words=500))
    assert "short_answer_words must not exceed brief_answer_words" in _error(path)
    path = _broken(tmp_path, lambda raw: raw["checks"].update(unfinished_cap=0))
    assert "checks.unfinished_cap" in _error(path)


def test_checks_default_when_a_user_rubric_omits_them(tmp_path: Path) -> None:
    raw = yaml.safe_load((rubrics_dir() / "core.yaml").read_text())
    del raw["checks"]
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    assert load_rubric(path).checks == get_rubric("core").checks
