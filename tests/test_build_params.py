"""Parameter checks and the run matrix (no kernel is started here)."""

from __future__ import annotations

import csv
import json
import random
import tomllib
from pathlib import Path

import numpy as np
import pytest

from tests.fixtures.fixture_matrix import MATRIX as FX
from tests.fixtures.fixture_matrix import (
    NOTEBOOK_DIR,
    series_in_scope,
    series_out_of_scope,
    series_runs,
)
from thyroid_evidence import config, vocab
from thyroid_evidence.build.execute import select_runs
from thyroid_evidence.build.params import inspect_defaults, parse_cli_value
from thyroid_evidence.notebook import (
    EvidenceIndex,
    Matrix,
    NotebookSpec,
    ParameterError,
    Rule,
    check_notebook_parameters,
    check_parameters,
    load_matrix,
    read_matrix,
    read_parameter_defaults,
    run_id_for,
)

MATRIX = load_matrix(config.notebooks_dir() / "matrix.toml")
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb")) + sorted(config.notebooks_dir().glob("*.ipynb"))
STAGING_ENV = config.STAGING_ENV


def refused(parameters: dict, notebook: str = "fx_series") -> list[str]:
    with pytest.raises(ParameterError) as info:
        check_parameters(notebook, parameters, matrix=FX)
    assert info.value.notebook == notebook
    assert str(info.value).startswith(f"invalid parameters for notebook {notebook!r}:")
    return info.value.problems


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_ast_reader_agrees_with_papermill(path: Path) -> None:
    assert read_parameter_defaults(path) == inspect_defaults(path)


def test_defaults_of_fixture() -> None:
    defaults = read_parameter_defaults(NOTEBOOK_DIR / "fx_series.ipynb")
    assert defaults["series_id"] == "bone_ir_cazzato"
    assert defaults["figure_formats"] == ["png", "svg", "pdf"]
    assert defaults["output_dir"] is None


def test_effective_parameters_overlay_defaults_and_promote_int_to_float() -> None:
    effective = check_parameters("fx_series", {"horizon_months": 36, "seed": 7}, matrix=FX)
    assert effective["horizon_months"] == 36.0
    assert isinstance(effective["horizon_months"], float)
    assert effective["seed"] == 7
    assert effective["endpoint"] == "overall_survival"


def test_unknown_name_lists_known_parameters() -> None:
    (problem,) = refused({"horizon": 12})
    assert problem == (
        "unknown parameter 'horizon'; known parameters: alpha, endpoint, fail, figure_formats, "
        "horizon_months, n_ensemble, output_dir, seed, series_id"
    )


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("seed", "3", "seed must be an int (its default is 1), got str '3'"),
        ("seed", 2.5, "seed must be an int (its default is 1), got float 2.5"),
        ("seed", True, "seed must be an int (its default is 1), got bool True"),
        ("alpha", "0.05", "alpha must be a number (its default is 0.05), got str '0.05'"),
        ("fail", 1, "fail must be a bool (True or False) (its default is False), got int 1"),
        ("series_id", 3, "series_id must be a str (its default is 'bone_ir_cazzato'), got int 3"),
        ("figure_formats", "png",
         "figure_formats must be a list of str (its default is ['png', 'svg', 'pdf']), got str "
         "'png'"),
        ("figure_formats", [1, 2],
         "figure_formats must be a list of str (its default is ['png', 'svg', 'pdf']), got list "
         "[1, 2]"),
        ("output_dir", 5, "output_dir must be str, got int 5"),
    ],
)
def test_wrong_types_are_refused(name: str, value: object, expected: str) -> None:
    assert refused({name: value}) == [expected]


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("alpha", 0.0, "alpha=0.0 is out of range; allowed: (0, 0.5)"),
        ("alpha", 0.5, "alpha=0.5 is out of range; allowed: (0, 0.5)"),
        ("alpha", float("nan"), "alpha=nan must be a finite number"),
        ("n_ensemble", 0, "n_ensemble=0 is out of range; allowed: [1, 100000]"),
        ("horizon_months", -1.0, "horizon_months=-1.0 is out of range; allowed: (0, 600]"),
        ("horizon_months", 0, "horizon_months=0.0 is out of range; allowed: (0, 600]"),
        ("seed", -1, "seed=-1 is out of range; allowed: [0, 4.29497e+09]"),
        ("figure_formats", ["png", "gif"],
         "figure_formats has gif which is not allowed; allowed: png, svg, pdf"),
        ("figure_formats", [], "figure_formats must not be empty"),
        ("figure_formats", ["png", "png"], "figure_formats=['png', 'png'] repeats a value"),
    ],
)
def test_out_of_range_values_are_refused(name: str, value: object, expected: str) -> None:
    assert refused({name: value}) == [expected]


def test_unknown_series_lists_series_in_scope() -> None:
    (problem,) = refused({"series_id": "lung_rfa_debaer"})
    assert problem == (
        "series_id='lung_rfa_debaer' is not a series of the evidence; allowed: "
        + ", ".join(series_in_scope())
    )


def test_series_without_data_for_the_notebook_is_refused() -> None:
    outside = series_out_of_scope()
    if not outside:
        pytest.fail("every series reports the fixture's endpoint: test on a made-up copy")
    (problem,) = refused({"series_id": outside[0]})
    assert problem == (
        f"series_id={outside[0]!r} has no outcome that notebook 'fx_series' uses; "
        "allowed: " + ", ".join(series_in_scope())
    )


def test_unknown_endpoint_lists_endpoints_of_the_series() -> None:
    (problem,) = refused({"endpoint": "overall"})
    assert problem == (
        "endpoint='overall' is not available for series 'bone_ir_cazzato' in notebook "
        "'fx_series'; allowed: overall_survival"
    )


def test_every_problem_is_listed_at_once() -> None:
    problems = refused({"bogus": 1, "seed": "x", "alpha": 2.0, "series_id": "nope",
                        "endpoint": "nope"})
    assert len(problems) == 5
    assert problems[0].startswith("unknown parameter 'bogus'")
    assert any(p.startswith("seed must be an int") for p in problems)
    assert any(p.startswith("alpha=2.0 is out of range") for p in problems)
    assert any(p.startswith("series_id='nope'") for p in problems)
    assert any(p.startswith("endpoint='nope' is not available in notebook 'fx_series'")
               for p in problems)


def test_notebook_rules_replace_common_rules(tmp_path: Path) -> None:
    spec = NotebookSpec("fx_single", "t", rules={"title": Rule(choices=("A", "B"))})
    matrix = Matrix((spec,), NOTEBOOK_DIR, FX.evidence_dir)
    with pytest.raises(ParameterError, match="title=Fixture overview|title='Fixture overview'"):
        check_parameters("fx_single", {}, matrix=matrix)
    assert check_parameters("fx_single", {"title": "A"}, matrix=matrix)["title"] == "A"


def test_unknown_notebook_lists_notebooks() -> None:
    with pytest.raises(LookupError, match="notebook 'nosuch' is not in the run matrix; allowed: "
                                         "fx_series, fx_single"):
        check_parameters("nosuch", {}, matrix=FX)


@pytest.mark.parametrize(
    ("text", "default", "expected"),
    [
        ("12", 1, 12),
        ("x12", 1, "x12"),
        ("12", 1.0, 12.0),
        ("true", False, True),
        ("No", True, False),
        ("maybe", True, "maybe"),
        ("png,svg", ["png"], ["png", "svg"]),
        ("['pdf']", ["png"], ["pdf"]),
        ("bone_ir_cazzato", "x", "bone_ir_cazzato"),
        ("None", None, None),
        ("out/dir", None, "out/dir"),
    ],
)
def test_parse_cli_value(text: str, default: object, expected: object) -> None:
    assert parse_cli_value(text, default) == expected


def test_the_build_re_exports_the_notebook_check() -> None:
    import thyroid_evidence.build
    import thyroid_evidence.notebook

    for name in ("check_notebook_parameters", "check_parameters", "RunContext", "Rule",
                 "ParameterError", "save_table", "load_matrix"):
        assert getattr(thyroid_evidence.build, name) is getattr(thyroid_evidence.notebook, name)
    assert ParameterError.__module__ == "thyroid_evidence.exceptions"


def test_notebook_support_imports_the_standard_library_only() -> None:
    import subprocess
    import sys

    code = ("import sys\nimport thyroid_evidence.notebook\n"
            "print(sorted(m for m in ('numpy', 'pandas', 'matplotlib', 'papermill', 'jinja2', "
            "'jupyter_client') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout == "[]\n"


def test_fixture_matrix_runs() -> None:
    assert series_runs(), "the fixture needs a series with overall-survival points"
    assert [r.run_id for r in FX.runs()] == [*series_runs(), "fx_single"]


def test_project_matrix_covers_every_series_with_survival_data() -> None:
    index = EvidenceIndex.from_dir(MATRIX.evidence_dir)
    survival = [r for r in MATRIX.runs(index) if r.notebook == "survival"]
    expected = sorted(
        f"survival-{s}-{e}" for s, e, stat in index.outcomes
        if stat in ("survival", "median") and e in vocab.SURVIVAL_ENDPOINTS
    )
    assert sorted({r.run_id for r in survival}) == sorted(set(expected))
    assert "survival-bone_ir_cazzato-overall_survival" in {r.run_id for r in survival}
    assert [r.run_id for r in MATRIX.runs(index) if r.notebook == "comparison"] == ["comparison"]


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _expected_project_runs(evidence: Path) -> list[str]:
    """The runs notebooks/matrix.toml declares over ``evidence``, worked out from the TOML
    and the CSVs: notebooks in file order; a per-series notebook runs for every series
    (series.csv order) reporting one of its endpoints with one of its statistics, endpoints
    sorted; a per-curve notebook for every curve; ``default_run_title`` adds the notebook's
    own run first, each ``[notebooks.examples.NAME]`` a run ``<notebook>-NAME`` last."""
    from thyroid_evidence.curves import read_curve_ids

    with (config.notebooks_dir() / "matrix.toml").open("rb") as fh:
        entries = tomllib.load(fh)["notebooks"]
    series = [row["series_id"] for row in _csv_rows(evidence / "series.csv")]
    outcomes = _csv_rows(evidence / "outcomes.csv")

    def named(value: object) -> list[str]:
        return list(getattr(vocab, value) if isinstance(value, str) else value)

    runs: list[str] = []
    for entry in entries:
        name, for_each = entry["name"], entry.get("for_each", [])
        if "default_run_title" in entry or not for_each:
            runs.append(name)
        if for_each == ["curve_id"]:
            runs += [f"{name}-{c}" for c in read_curve_ids(evidence)]
        elif for_each in (["series_id"], ["series_id", "endpoint"]):
            endpoints, statistics = named(entry["endpoints"]), named(entry["statistics"])
            found: dict[str, set[str]] = {}
            for row in outcomes:
                if row["endpoint"] in endpoints and row["statistic"] in statistics:
                    found.setdefault(row["series_id"], set()).add(row["endpoint"])
            for s in (s for s in series if s in found):
                runs += ([f"{name}-{s}"] if for_each == ["series_id"]
                         else [f"{name}-{s}-{e}" for e in sorted(found[s])])
        elif for_each:
            pytest.fail(f"for_each = {for_each} of {name!r}: teach this test its runs")
        runs += [f"{name}-{example}" for example in entry.get("examples", {})]
    return runs


def test_project_matrix_runs_are_those_of_the_notebooks() -> None:
    """The run list of the project's matrix (notebooks/matrix.toml), in report order, for
    whatever studies the evidence holds."""
    runs = [r.run_id for r in MATRIX.runs(EvidenceIndex.from_dir(MATRIX.evidence_dir))]
    assert runs == _expected_project_runs(MATRIX.evidence_dir)
    assert MATRIX.notebooks[0].endpoints == vocab.SURVIVAL_ENDPOINTS


def test_select_runs_by_glob_and_notebook() -> None:
    runs = FX.runs()
    first = series_in_scope()[0]
    assert [r.run_id for r in select_runs(runs, f"fx_series-{first}-*")] == [
        r for r in series_runs() if r.startswith(f"fx_series-{first}-")
    ]
    assert len(select_runs(runs, "fx_series")) == len(series_runs())
    with pytest.raises(ValueError, match="--only 'zzz' matches no run; runs: fx_series-liver"):
        select_runs(runs, "zzz")


def test_spec_and_run_id_validation() -> None:
    with pytest.raises(ValueError, match="for_each of 'x' must be"):
        NotebookSpec("x", "t", for_each=("endpoint",))
    with pytest.raises(ValueError, match="name must match"):
        NotebookSpec("X-1", "t")
    with pytest.raises(ValueError, match="cannot be part of a file name"):
        run_id_for("x", ("series_id",), {"series_id": "a/b"})


def test_load_matrix_from_file_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    loaded = load_matrix(FX.ref)
    assert loaded.names == ("fx_series", "fx_single")
    assert loaded.notebook_dir == NOTEBOOK_DIR and loaded.package_dir == NOTEBOOK_DIR.parent
    monkeypatch.delenv("THYROID_EVIDENCE_MATRIX", raising=False)
    assert load_matrix() == MATRIX
    assert MATRIX.notebook_dir == config.notebooks_dir()
    assert MATRIX.evidence_dir == config.evidence_dir()
    monkeypatch.setenv("THYROID_EVIDENCE_MATRIX", FX.ref)
    assert load_matrix().names == ("fx_series", "fx_single")
    with pytest.raises(ValueError, match="THYROID_EVIDENCE_MATRIX must name a .toml file"):
        load_matrix("fixture_matrix.py:MATRIX")
    with pytest.raises(ValueError, match=r"run matrix /nowhere/m\.toml does not exist"):
        load_matrix("/nowhere/m.toml")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "m.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_matrix_file_names_vocabularies_and_rules(tmp_path: Path) -> None:
    path = write(tmp_path, '''
notebook_dir = "nb"
[[notebooks]]
name = "a"
title = "A"
for_each = ["series_id", "endpoint"]
endpoints = "TIME_TO_EVENT_ENDPOINTS"
parameters = {n_ensemble = 5}
[notebooks.rules.interval_method]
choices = "CI_METHODS"
[notebooks.rules.title]
choices = ["x", "y"]
allow_none = true
[notebooks.rules.limit]
minimum = 1
maximum = 2.5
exclusive_maximum = true
kinds = ["int", "float"]
''')
    matrix = read_matrix(path)
    (spec,) = matrix.notebooks
    assert matrix.notebook_dir == tmp_path / "nb" and matrix.ref == str(path)
    assert spec.endpoints == vocab.TIME_TO_EVENT_ENDPOINTS
    assert spec.parameters == {"n_ensemble": 5}
    assert spec.rules == {
        "interval_method": Rule(choices=vocab.CI_METHODS),
        "title": Rule(choices=("x", "y"), allow_none=True),
        "limit": Rule(minimum=1, maximum=2.5, exclusive_maximum=True, kinds=(int, float)),
    }


@pytest.mark.parametrize(
    ("text", "error", "message"),
    [
        ("[[notebooks]]\nname = 'a'\ntitle = 'A'\nendpoints = 'NO_SUCH'\n", LookupError,
         "notebook 1 (a): endpoints: 'NO_SUCH' is not a list of thyroid_evidence.vocab; known: "
         "EVENT_CODES, "),
        ("[[notebooks]]\nname = 'a'\ntitle = 'A'\ncolour = 1\n", ValueError,
         "notebook 1: unknown key(s) colour; allowed: name, title, for_each, endpoints, "
         "statistics, parameters, rules"),
        ("[[notebooks]]\nname = 'a'\ntitle = 'A'\n[notebooks.rules.x]\nchoices = 3\n",
         ValueError, "rules.x.choices must be a list or the name of a vocab list, got 3"),
        ("[[notebooks]]\nname = 'a'\ntitle = 'A'\n[notebooks.rules.x]\nkinds = ['set']\n",
         LookupError, "rules.x.kinds: unknown type(s) set; known: str, int, float, bool, list"),
        ("[[notebooks]]\nname = 'a'\ntitle = 'A'\n[[notebooks]]\nname = 'a'\ntitle = 'B'\n",
         ValueError, "notebook(s) declared more than once: a"),
        ("[[notebooks]]\nname = 'A-1'\ntitle = 'A'\n", ValueError,
         "notebook 1 (A-1): NotebookSpec.name must match [a-z0-9_]+, got 'A-1'"),
        ("[[notebooks]]\nname = 'a'\ntitle = 'A'\nfor_each = ['endpoint']\n", ValueError,
         "NotebookSpec.for_each of 'a' must be (), ('series_id',) or ('series_id', 'endpoint')"),
        ("notebooks = [", ValueError, "is not valid TOML"),
    ],
)
def test_matrix_file_problems_name_the_file_and_key(
    tmp_path: Path, text: str, error: type, message: str
) -> None:
    with pytest.raises(error) as info:
        read_matrix(write(tmp_path, text))
    assert str(tmp_path / "m.toml") in str(info.value)
    assert message in str(info.value)


def test_notebook_check_sees_injected_unknown_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THYROID_EVIDENCE_MATRIX", FX.ref)
    defaults = read_parameter_defaults(NOTEBOOK_DIR / "fx_series.ipynb")
    namespace = {**defaults, "seed": 5, "extra": 1,
                 "In": ["", "import x", "# Parameters\nseed = 5\nextra = 1\n"]}
    with pytest.raises(ParameterError) as info:
        check_notebook_parameters("fx_series", namespace)
    assert info.value.problems[0].startswith("unknown parameter 'extra'")


def test_notebook_check_returns_context_and_seeds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THYROID_EVIDENCE_MATRIX", FX.ref)
    defaults = read_parameter_defaults(NOTEBOOK_DIR / "fx_series.ipynb")
    run = check_notebook_parameters("fx_series", {**defaults, "seed": 5, "output_dir": "/x"})
    assert run.run_id == "fx_series-bone_ir_cazzato-overall_survival"
    assert run.output_dir == Path("/x")
    assert run.figure_formats == ("png", "svg", "pdf")
    assert run.stem("km") == "fx_series-bone_ir_cazzato-overall_survival-km"
    with pytest.raises(ValueError, match="key must match"):
        run.stem("Bad Key")
    first = (random.random(), np.random.random())
    check_notebook_parameters("fx_series", {**defaults, "seed": 5})
    assert (random.random(), np.random.random()) == first


def test_run_context_writes_into_staging_and_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import matplotlib.pyplot as plt
    import pandas as pd

    monkeypatch.setenv("THYROID_EVIDENCE_MATRIX", FX.ref)
    monkeypatch.setenv(STAGING_ENV, str(tmp_path / "staging"))
    defaults = read_parameter_defaults(NOTEBOOK_DIR / "fx_single.ipynb")
    run = check_notebook_parameters("fx_single", {**defaults, "figure_formats": ["png"],
                                                  "output_dir": str(tmp_path / "final")})
    fig, ax = plt.subplots()
    paths = run.save_figure(fig, caption="C <1>")
    plt.close(fig)
    table = run.save_table(pd.DataFrame({"a": [1]}), key="t", caption="T")
    assert paths == (tmp_path / "final" / "figures" / "fx_single.png",)
    assert table == tmp_path / "final" / "tables" / "fx_single-t.csv"
    assert not (tmp_path / "final").exists()
    assert (tmp_path / "staging" / "figures" / "fx_single.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "staging" / "tables" / "fx_single-t.csv").read_text() == "a\n1\n"
    record = json.loads((tmp_path / "staging" / ".records" / "fx_single.json").read_text())
    assert record["figures"] == [
        {"stem": "fx_single", "caption": "C <1>", "files": ["figures/fx_single.png"]}
    ]
    assert record["tables"][0]["files"] == ["tables/fx_single-t.csv"]
    assert "output_dir" not in record["parameters"]


def test_common_rules_list_the_vocabularies_in_declaration_order() -> None:
    from thyroid_evidence.notebook import COMMON_RULES

    rule = COMMON_RULES["interval_method"]
    assert rule.problems("interval_method", "exact") == [
        "interval_method='exact' is not allowed; allowed: wilson, clopper-pearson, jeffreys, "
        "agresti-coull"
    ]
    assert rule.problems("interval_method", vocab.CI_METHODS[0]) == []
    assert COMMON_RULES["status_filter"].problems("status_filter", ["fine"]) == [
        f"status_filter has fine which is not allowed; allowed: {', '.join(vocab.STATUSES)}"
    ]
    assert COMMON_RULES["pool_method"].choices == vocab.POOLING_METHODS


def test_out_that_is_a_file_is_refused_before_any_work(tmp_path, capsys):
    from thyroid_evidence.cli import main

    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    assert main(["build", "--out", str(blocker / "sub")]) == 1
    assert f"{blocker} exists and is not a folder" in capsys.readouterr().err
    assert main(["run", "data_audit", "--out", str(blocker)]) == 1
    assert "exists and is not a folder" in capsys.readouterr().err
    assert blocker.read_text(encoding="utf-8") == "not a folder"
