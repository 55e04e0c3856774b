"""Lazy package namespaces: light submodules load without the scientific stack."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from thyroid_evidence._lazy import lazy_exports


def loaded_after(code: str) -> list[str]:
    """Which heavy libraries a fresh interpreter has loaded after running ``code``."""
    probe = ("import sys\n" + code + "\nprint(sorted(m for m in ('statsmodels', 'scipy', "
             "'pandas', 'matplotlib', 'lifelines') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return eval(result.stdout.strip().splitlines()[-1])  # noqa: S307 - our own list literal


def test_the_notebooks_parameter_rules_resolve_without_the_scientific_stack() -> None:
    code = ("from thyroid_evidence.notebook.rules import COMMON_RULES\n"
            "assert 'clopper-pearson' in COMMON_RULES['interval_method'].choices\n"
            "assert 'REML' in COMMON_RULES['pool_method'].choices\n"
            "assert 'inconsistent' in COMMON_RULES['status_filter'].subset_of")
    assert loaded_after(code) == []


def test_the_command_line_and_the_foundation_load_without_the_scientific_stack() -> None:
    code = ("import thyroid_evidence, thyroid_evidence.cli, thyroid_evidence.config\n"
            "import thyroid_evidence.exceptions, thyroid_evidence.vocab\n"
            "assert thyroid_evidence.DISCLAIMER\n"
            "assert thyroid_evidence.EvidenceError")
    assert loaded_after(code) == []


@pytest.mark.parametrize("package", ["thyroid_evidence.proportions", "thyroid_evidence.audit"])
def test_lazy_package_is_light_and_exports_every_name(package: str) -> None:
    assert loaded_after(f"import {package}") == []
    module = importlib.import_module(package)
    for name in module.__all__:
        assert getattr(module, name) is not None, name
    assert set(module.__all__) <= set(dir(module))
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        module.nothing_here  # noqa: B018


def test_grim_is_the_function_even_after_its_submodule_is_imported() -> None:
    code = ("import thyroid_evidence.study.audit\n"
            "from thyroid_evidence.audit import grim\n"
            "assert callable(grim), grim")
    loaded_after(code)  # fails the test if the assertion in the probe fails


def test_lazy_exports_take_submodules_and_full_module_paths() -> None:
    # Names the real package exports already: looking them up caches the same objects there.
    getattr_, dir_ = lazy_exports(
        "thyroid_evidence", {"Evidence": "evidence", "DISCLAIMER": "thyroid_evidence.vocab"}, {}
    )
    from thyroid_evidence import evidence, vocab

    assert getattr_("Evidence") is evidence.Evidence
    assert getattr_("DISCLAIMER") is vocab.DISCLAIMER
    assert dir_() == ["DISCLAIMER", "Evidence"]
