"""The build-wide store of scenario sets: plain JSON, content-addressed, float-for-float.

Inputs are made up (summary specifications, not rows of evidence/), except the last test,
which picks whichever series the evidence reports overall survival for.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from thyroid_evidence.study import cache as results_cache
from thyroid_evidence.survival import ScenarioSet, scenario_set, summary_spec
from thyroid_evidence.survival.scenarios import DATA_FORMAT


@pytest.fixture(scope="module")
def incidence_set():
    """Per-lesion incidence with deaths competing: both estimators, NaN shapes, inf limits."""
    spec = summary_spec(120, cumulative_incidence_at={12: 0.10, 24: 0.18},
                        competing_rate=math.log(2) / 40, follow_up_median=20,
                        precision={"milestones": 0.01, "follow_up_median": 1},
                        unit_of_analysis="lesion")
    return scenario_set(spec, n_patients=80, competing_note="made-up deaths", n_draws=40,
                        seed=5)


def test_plain_data_round_trip_is_exact(incidence_set):
    text = json.dumps(incidence_set.to_data(), allow_nan=False)  # strict JSON, no pickle
    back = ScenarioSet.from_data(json.loads(text), alpha=0.05, n_draws=40, seed=5)
    pd.testing.assert_frame_equal(back.scenarios, incidence_set.scenarios, check_exact=True)
    pd.testing.assert_frame_equal(back.reported, incidence_set.reported, check_exact=True)
    assert back.scenarios["shape"].isna().any() and back.scenarios["accepted"].dtype == bool
    times = np.linspace(0.0, 40.0, 81)
    pd.testing.assert_frame_equal(back.band(times), incidence_set.band(times),
                                  check_exact=True)
    pd.testing.assert_frame_equal(back.summary(times=[12.0, 30.0]),
                                  incidence_set.summary(times=[12.0, 30.0]), check_exact=True)
    first = incidence_set.reference()
    pd.testing.assert_frame_equal(back.pseudo_data(first), incidence_set.pseudo_data(first))
    assert back.caption() == incidence_set.caption()


def test_sampling_settings_are_not_part_of_the_stored_grid(incidence_set):
    data = incidence_set.to_data()
    other = ScenarioSet.from_data(data, alpha=0.1, n_draws=7, seed=99)
    assert (other.alpha, other.n_draws, other.seed) == (0.1, 7, 99)
    assert other.to_data() == data
    with pytest.raises(ValueError, match="alpha"):
        ScenarioSet.from_data(data, alpha=1.5)


def test_foreign_data_is_refused():
    with pytest.raises(ValueError, match="data format"):
        ScenarioSet.from_data({"format": DATA_FORMAT + 1})
    with pytest.raises(ValueError, match="lacks or mistypes"):
        ScenarioSet.from_data({"format": DATA_FORMAT, "scenarios": {"columns": []}})


def test_cached_computes_once_then_reads_and_recovers_from_a_bad_file(tmp_path, monkeypatch):
    monkeypatch.setenv("THYROID_EVIDENCE_CACHE", str(tmp_path))
    calls = []

    def compute():
        calls.append(1)
        return {"value": 0.1 + 0.2}

    def run(arguments):
        return results_cache.cached("demo", arguments, compute, to_data=dict,
                                    from_data=lambda d: {"value": float(d["value"])})

    assert run({"x": 1.0}) == {"value": 0.30000000000000004}
    files = sorted((tmp_path / "results").glob("demo-*.json"))
    assert len(files) == 1 and len(calls) == 1
    assert run({"x": 1.0}) == {"value": 0.30000000000000004} and len(calls) == 1
    run({"x": 2.0})  # other arguments, other key
    assert len(calls) == 2 and len(list((tmp_path / "results").glob("demo-*.json"))) == 2
    files[0].write_text('{"value": ', encoding="utf-8")  # truncated: a miss, rewritten
    assert run({"x": 1.0}) == {"value": 0.30000000000000004} and len(calls) == 3
    assert json.loads(files[0].read_text(encoding="utf-8")) == {"value": 0.30000000000000004}
    assert not list((tmp_path / "results").glob(".*"))  # no temporary file left behind


def test_only_the_most_recent_results_are_kept(tmp_path, monkeypatch):
    import os

    monkeypatch.setenv("THYROID_EVIDENCE_CACHE", str(tmp_path))
    monkeypatch.setattr(results_cache, "MAX_RESULTS", 2)
    folder = tmp_path / "results"
    for x in range(3):
        results_cache.cached("demo", {"x": x}, lambda x=x: {"x": x}, dict, dict)
        stored = folder / f"demo-{results_cache.result_key('demo', {'x': x})}.json"
        os.utime(stored, ns=(10**18 + x * 10**9,) * 2)  # written x seconds apart
    kept = sorted(json.loads(p.read_text())["x"] for p in folder.glob("*.json"))
    assert kept == [1, 2]


def test_key_changes_with_every_argument_and_the_code(monkeypatch):
    key = results_cache.result_key("f", {"a": 1.0, "b": "x"})
    assert key == results_cache.result_key("f", {"b": "x", "a": 1.0})
    assert key != results_cache.result_key("f", {"a": 1.0000000000000002, "b": "x"})
    assert key != results_cache.result_key("g", {"a": 1.0, "b": "x"})
    monkeypatch.setattr(results_cache, "code_fingerprint", lambda: "other code")
    assert key != results_cache.result_key("f", {"a": 1.0, "b": "x"})


def test_reconstruct_scenarios_reads_back_what_it_stored(evidence_copy, edit_cell, tmp_path,
                                                       monkeypatch):
    from tests.conftest import find_line
    from thyroid_evidence import load_evidence
    from thyroid_evidence.study import reconstruct_scenarios

    monkeypatch.setenv("THYROID_EVIDENCE_CACHE", str(tmp_path / "cache"))
    evidence = load_evidence(evidence_copy)
    out = evidence.outcomes
    rows = out[(out["endpoint"] == "overall_survival") & (out["statistic"] == "survival")
               & (out["unit"] == "percent") & out["category"].isna() & out["subgroup"].isna()]
    sizes = evidence.series.set_index("series_id")["n_patients"]
    series_id = min(rows["series_id"].unique(), key=lambda s: sizes.get(s, 0))  # fastest
    results = tmp_path / "cache" / "results"
    first = reconstruct_scenarios(evidence, series_id, "overall_survival", n_draws=30)
    stored = list(results.glob("scenario_set-*.json"))
    assert len(stored) == 1
    second = reconstruct_scenarios(evidence, series_id, "overall_survival", n_draws=30)
    assert list(results.glob("scenario_set-*.json")) == stored
    pd.testing.assert_frame_equal(second.scenarios, first.scenarios, check_exact=True)
    pd.testing.assert_frame_equal(second.summary(times=[12.0]), first.summary(times=[12.0]),
                                  check_exact=True)
    # one reported number changed in the evidence: another key, computed afresh
    row = rows[rows["series_id"] == series_id].iloc[0]
    line = find_line(evidence_copy, "outcomes", "outcome_id", row["outcome_id"])
    edit_cell(evidence_copy, "outcomes", line, "value", f"{float(row['value']) - 1:g}")
    changed = reconstruct_scenarios(load_evidence(evidence_copy), series_id,
                                    "overall_survival", n_draws=30)
    assert len(list(results.glob("scenario_set-*.json"))) == 2
    assert not changed.reported["reported"].equals(first.reported["reported"])
