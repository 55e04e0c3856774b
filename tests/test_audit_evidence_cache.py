"""The evidence audit is stored by the content of the tables it reads (study/cache.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pandas.testing as pdt
import pytest

from thyroid_evidence import config, load_evidence
from thyroid_evidence.study import audit_evidence
from thyroid_evidence.study.cache import results_dir

#: long (six audits of the evidence): scheduled first (tests/conftest.py)
pytestmark = pytest.mark.heavy


@pytest.fixture()
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(config.CACHE_ENV, str(tmp_path / "cache"))
    return results_dir()


@pytest.fixture(scope="module")
def evidence():
    return load_evidence()


@pytest.fixture(scope="module")
def proportions(evidence):
    """The evidence with its proportion outcomes only: what a stored entry's key and a miss
    do needs no full audit (about half the time of one); the round trip uses all of it."""
    outcomes = evidence.outcomes
    kept = outcomes[outcomes["statistic"] == "proportion"].reset_index(drop=True)
    assert len(kept) > 0
    return type(evidence)(**{**vars(evidence), "outcomes": kept})


def _stored(cache: Path) -> list[Path]:
    return sorted(cache.glob("audit_evidence-*.json"))


def test_a_stored_audit_reads_back_equal_to_the_computed_one(cache: Path, evidence) -> None:
    first = audit_evidence(evidence)
    (entry,) = _stored(cache)
    data = json.loads(entry.read_text(encoding="utf-8"))
    assert data["columns"] == list(first.columns)
    assert len(data["rows"]) == len(first)
    again = audit_evidence(evidence)
    pdt.assert_frame_equal(again, first)
    assert again.to_csv(index=False) == first.to_csv(index=False)


def test_a_changed_outcome_is_audited_again_not_read_from_the_store(cache: Path,
                                                                    proportions) -> None:
    evidence = proportions
    audit_evidence(evidence)
    changed = pd.DataFrame(evidence.outcomes).copy()
    row = changed.index[changed["value"].notna()][0]
    changed.loc[row, "value"] = changed.loc[row, "value"] + 0.5
    edited = type(evidence)(**{**vars(evidence), "outcomes": changed})
    audit_evidence(edited)
    assert len(_stored(cache)) == 2  # a second key: the edited tables


def test_a_foreign_or_truncated_entry_is_computed_again(cache: Path, proportions) -> None:
    evidence = proportions
    first = audit_evidence(evidence)
    (entry,) = _stored(cache)
    entry.write_text('{"columns": ["x"], "rows": []}', encoding="utf-8")
    pdt.assert_frame_equal(audit_evidence(evidence), first)
    entry.write_text(entry.read_text(encoding="utf-8")[:10], encoding="utf-8")
    pdt.assert_frame_equal(audit_evidence(evidence), first)
