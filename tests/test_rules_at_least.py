"""A rule across two parameters: ``at_least`` (the ICC range of response_and_control)."""

from __future__ import annotations

import pytest

from thyroid_evidence.exceptions import ParameterError
from thyroid_evidence.notebook import check_parameters
from thyroid_evidence.notebook.rules import Rule


def test_a_range_given_backwards_is_refused_before_the_run():
    with pytest.raises(ParameterError, match=r"icc_high=0\.1 must be at least icc_low=0\.4"):
        check_parameters("response_and_control", {"icc_low": 0.4, "icc_high": 0.1})


def test_an_ordered_range_and_an_empty_one_pass():
    assert check_parameters("response_and_control",
                            {"icc_low": 0.2, "icc_high": 0.2})["icc_high"] == 0.2


def test_at_least_from_the_matrix_file_and_its_refusals():
    rule = Rule.from_table({"at_least": "low", "maximum": 1}, "rules.high")
    assert rule.problems("high", 0.3, {"low": 0.5}) == ["high=0.3 must be at least low=0.5"]
    assert rule.problems("high", 0.5, {"low": 0.5}) == []
    assert rule.problems("high", 0.3) == []  # without the other values nothing to compare
    with pytest.raises(ValueError, match="rules.high.at_least must be a parameter name"):
        Rule.from_table({"at_least": 3}, "rules.high")
