"""The foundation: where the project root is found, and the exception hierarchy."""

from __future__ import annotations

from pathlib import Path

import pytest

import thyroid_evidence
from thyroid_evidence import config, evidence, exceptions, vocab
from thyroid_evidence.config import (
    CACHE_ENV,
    ROOT_ENV,
    SOURCE_ENV,
    ProjectRootError,
    cache_dir,
    project_root,
    review_text_path,
)
from thyroid_evidence.exceptions import (
    EvidenceError,
    ParameterError,
    ThyroidEvidenceError,
    ThyroidEvidenceWarning,
)

#: The source checkout the tests run from (an editable install or a clone).
CHECKOUT = Path(thyroid_evidence.__file__).resolve().parent.parent


def make_root(path: Path) -> Path:
    (path / "evidence").mkdir(parents=True)
    (path / "notebooks").mkdir()
    return path.resolve()


@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The package as if installed into site-packages (its parent is no project root)."""
    site = tmp_path / "site-packages"
    site.mkdir()
    monkeypatch.setattr(config, "_PACKAGE_PARENT", site)
    return site


# --- the project root -------------------------------------------------------------------


def test_the_environment_variable_wins(tmp_path: Path):
    named = make_root(tmp_path / "named")
    here = make_root(tmp_path / "here")
    assert project_root({ROOT_ENV: str(named)}, cwd=here) == named


def test_a_relative_root_is_read_from_the_current_folder(tmp_path: Path):
    named = make_root(tmp_path / "named")
    assert project_root({ROOT_ENV: "named"}, cwd=tmp_path) == named


def test_a_bad_root_value_is_named_in_the_message(tmp_path: Path):
    (tmp_path / "half" / "evidence").mkdir(parents=True)  # no notebooks/
    bad = tmp_path / "half"
    with pytest.raises(ProjectRootError) as info:
        project_root({ROOT_ENV: str(bad)}, cwd=make_root(tmp_path / "here"))
    assert str(info.value) == (
        f"{ROOT_ENV}={bad} does not name a project root: {bad.resolve()} must hold evidence/ "
        "and notebooks/"
    )


def test_the_source_checkout_is_found_from_anywhere(tmp_path: Path):
    assert project_root({}, cwd=tmp_path) == CHECKOUT
    assert (CHECKOUT / "pyproject.toml").is_file()


def test_the_current_folder_is_used_when_it_holds_evidence_and_notebooks(
    tmp_path: Path, installed: Path
):
    here = make_root(tmp_path / "clone")
    assert project_root({}, cwd=here) == here


def test_a_parent_of_the_current_folder_is_used_nearest_first(tmp_path: Path, installed: Path):
    outer = make_root(tmp_path / "outer")
    inner = make_root(outer / "clone")
    assert project_root({}, cwd=inner / "notebooks") == inner
    assert project_root({}, cwd=outer / "notebooks") == outer


def test_the_error_names_every_place_looked_at(tmp_path: Path, installed: Path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ProjectRootError) as info:
        project_root({}, cwd=empty)
    assert str(info.value) == (
        "cannot find the project root (a folder holding evidence/ and notebooks/); looked at "
        f"{ROOT_ENV} (not set); the folder holding the package ({installed}); the current "
        f"folder ({empty.resolve()}) and its parents. Run from the repository root or set "
        f"{ROOT_ENV}."
    )
    assert isinstance(info.value, ThyroidEvidenceError)
    assert isinstance(info.value, LookupError)


def test_paths_follow_the_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    root = make_root(tmp_path / "root")
    monkeypatch.setenv(ROOT_ENV, str(root))
    assert config.evidence_dir() == root / "evidence"
    assert config.notebooks_dir() == root / "notebooks"
    assert config.build_dir() == root / "build"


# --- other paths ------------------------------------------------------------------------


def test_review_text_named_by_the_environment_wins(tmp_path: Path):
    text = tmp_path / "review.txt"
    text.write_text("the review", encoding="utf-8")
    assert review_text_path({SOURCE_ENV: str(text)}) == text
    assert review_text_path({SOURCE_ENV: str(tmp_path / "absent.txt"),
                             ROOT_ENV: str(make_root(tmp_path / "root"))}) is None


def test_review_text_next_to_the_root(tmp_path: Path):
    root = make_root(tmp_path / "main")
    text = tmp_path / "shared" / "source" / "review.txt"
    text.parent.mkdir(parents=True)
    text.write_text("the review", encoding="utf-8")
    assert review_text_path({ROOT_ENV: str(root)}) == text


def test_cache_dir(tmp_path: Path):
    assert cache_dir({CACHE_ENV: str(tmp_path / "c")}) == tmp_path / "c"
    assert cache_dir({"XDG_CACHE_HOME": str(tmp_path)}) == tmp_path / "thyroid-evidence"
    assert cache_dir({}) == Path.home() / ".cache" / "thyroid-evidence"


def test_every_environment_variable_is_listed_once():
    assert len(set(config.ENVIRONMENT_VARIABLES)) == len(config.ENVIRONMENT_VARIABLES) == 9
    standard = (config.SOURCE_DATE_EPOCH_ENV, config.XDG_CACHE_ENV)
    assert set(standard) <= set(config.ENVIRONMENT_VARIABLES)
    ours = [n for n in config.ENVIRONMENT_VARIABLES if n not in standard]
    assert all(name.startswith("THYROID_EVIDENCE_") for name in ours)


def test_every_environment_variable_read_is_listed():
    """Each ``*_ENV`` constant of config names a variable of ENVIRONMENT_VARIABLES."""
    named = {value for name, value in vars(config).items() if name.endswith("_ENV")}
    assert named == set(config.ENVIRONMENT_VARIABLES)
    assert "XDG_CACHE_HOME" in config.ENVIRONMENT_VARIABLES


def test_the_package_folder_is_named_once():
    from thyroid_evidence.notebook import matrix
    from thyroid_evidence.study import cache

    assert config.PACKAGE_DIR == Path(thyroid_evidence.__file__).resolve().parent
    assert matrix.PACKAGE_DIR is config.PACKAGE_DIR
    assert not hasattr(cache, "_PACKAGE")


def test_only_config_reads_environment_variables():
    import re

    package = Path(config.__file__).parent
    reads = re.compile(r"environ\.get\(|getenv\(|environ\[[^]]+\](?!\s*=)")
    offenders = [f"{path.relative_to(package)}:{number}"
                 for path in sorted(package.rglob("*.py")) if path.name != "config.py"
                 for number, line in enumerate(path.read_text().splitlines(), start=1)
                 if reads.search(line)]
    assert offenders == []


def test_run_variables_are_read_through_config():
    env = {config.MATRIX_ENV: "/m.toml", config.STAGING_ENV: "/s", "SOURCE_DATE_EPOCH": "0"}
    assert config.matrix_override(env) == Path("/m.toml")
    assert config.staging_dir(env) == Path("/s")
    assert config.source_date_epoch(env) == "0"
    assert config.matrix_override({}) is config.staging_dir({}) is config.source_date_epoch({})


# --- exceptions -------------------------------------------------------------------------


@pytest.mark.parametrize("error", [EvidenceError, ParameterError])
def test_errors_are_thyroid_evidence_errors_and_value_errors(error: type):
    assert issubclass(error, ThyroidEvidenceError)
    assert issubclass(error, ValueError)


def test_evidence_error_is_one_class_wherever_it_is_imported_from():
    assert evidence.EvidenceError is exceptions.EvidenceError
    assert thyroid_evidence.EvidenceError is exceptions.EvidenceError


def test_errors_list_their_problems():
    error = EvidenceError(["a.csv:2: x: 1 — rule"], root=Path("ev"))
    assert str(error) == "1 problem(s) found in ev:\n  a.csv:2: x: 1 — rule"
    error = ParameterError("survival", ["alpha must lie in (0, 1)"])
    assert str(error) == "invalid parameters for notebook 'survival':\n  - alpha must lie in (0, 1)"
    assert error.problems == ["alpha must lie in (0, 1)"]


def test_the_warning_root_is_a_user_warning():
    assert issubclass(ThyroidEvidenceWarning, UserWarning)
    assert thyroid_evidence.ThyroidEvidenceWarning is ThyroidEvidenceWarning


def test_the_disclaimer_is_defined_once():
    assert thyroid_evidence.DISCLAIMER is vocab.DISCLAIMER


def test_pooling_warnings_share_the_kit_warning_root() -> None:
    import warnings

    from thyroid_evidence.exceptions import PoolingWarning, ThyroidEvidenceWarning
    from thyroid_evidence.proportions import pool_proportions

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pool_proportions([3], [10])
    assert [w.category for w in caught] == [PoolingWarning]
    assert issubclass(PoolingWarning, ThyroidEvidenceWarning)
