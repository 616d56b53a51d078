"""Answer checking: forgiving about form, strict about content."""

from __future__ import annotations

import pytest

from jupyter_codeact.eval.checker import check, format_answer, parse_list, parse_number, perturb
from jupyter_codeact.eval.suite import CheckerKind


@pytest.mark.parametrize(
    ("answer", "expected", "tolerance"),
    [
        ("253.5", 253.5, None),
        ("$253.50", 253.5, 0.005),
        ("1,113.74", 1113.74, 0.01),
        ("-356.92", -356.92, 0.01),
        ("The total is 367 euros.", 367, None),
        (" 372574 ", 372575, 1),
        ("4.8", 4.8, None),
    ],
)
def test_numbers_match_within_tolerance(answer: str, expected: float, tolerance: float) -> None:
    assert check("number", answer, expected, tolerance)


@pytest.mark.parametrize(
    ("answer", "expected", "tolerance"),
    [
        ("253.6", 253.5, 0.005),
        ("372573", 372575, 1),
        ("between 10 and 12", 11, None),
        ("eleven", 11, None),
        ("nan", 1, None),
        ("", 0, None),
    ],
)
def test_numbers_that_do_not_match(answer: str, expected: float, tolerance: float) -> None:
    assert not check("number", answer, expected, tolerance)


@pytest.mark.parametrize(
    "answer",
    [
        "-$140.00",
        "$-140",
        "-140",
        "\u2212140",
        "\u2212$140.00",
        "-€140",
        "-$ 140",
        "A loss of -$140.00.",
        "The net is $-140.",
        '"-$140.00"',
    ],
)
def test_negative_money_answers_keep_their_sign(answer: str) -> None:
    assert parse_number(answer) == -140.0
    assert check("number", answer, -140.0, 0.01)
    assert not check("number", answer, 140.0, 0.01)


@pytest.mark.parametrize("answer", ["$140.00", "140", "+$140", "A gain of $140."])
def test_positive_money_answers_do_not_pass_for_a_negative_one(answer: str) -> None:
    assert check("number", answer, 140.0, 0.01)
    assert not check("number", answer, -140.0, 0.01)


def test_negative_money_in_lists() -> None:
    assert check("list", "[-$140.00, $25]", [-140, 25], 0.01)
    assert not check("list", "[-$140.00, $25]", [140, 25], 0.01)
    assert check("set", "$25, \u2212$140", [-140, 25], 0.01)


def test_strings_ignore_case_spacing_quotes_and_a_final_full_stop() -> None:
    assert check(
        "string", '  "meet me at  the old\nMILL at noon." ', "MEET ME AT THE OLD MILL AT NOON"
    )
    assert not check("string", "Trailhead 3 or Ridge 3", "Trailhead 3")
    assert not check("string", "Ridge 3", "Trailhead 3")


def test_lists_keep_their_order_and_sets_do_not() -> None:
    expected = ["Summit 2", "Featherlite 1", "Ridge 3"]
    for form in (
        '["Summit 2", "Featherlite 1", "Ridge 3"]',
        "['summit 2', 'featherlite 1', 'ridge 3']",
        "Summit 2, Featherlite 1, Ridge 3",
        "[Summit 2, Featherlite 1, Ridge 3]",
    ):
        assert check("list", form, expected), form
    assert not check("list", "Ridge 3, Summit 2, Featherlite 1", expected)
    assert check("set", "Ridge 3, Summit 2, Featherlite 1", expected)
    assert not check("set", "Ridge 3, Summit 2", expected)
    assert not check("set", "Ridge 3, Ridge 3, Summit 2", expected)


def test_list_items_that_are_numbers_compare_as_numbers() -> None:
    assert check("list", "[21, 32.0, 36]", [21, 32, 36])
    assert check("list", "21, 32, 36", [21, 32, 36])
    assert not check("list", "[21, 32]", [21, 32, 36])
    assert parse_list("") == []


@pytest.mark.parametrize(
    ("value", "kind"),
    [(0.0, "number"), (-140.0, "number"), ("NOVA", "string"), (["M2", "M7"], "list")],
)
def test_the_oracle_form_passes_and_a_perturbed_answer_fails(
    value: object, kind: CheckerKind
) -> None:
    assert check(kind, format_answer(value), value, 0.01)
    assert not check(kind, format_answer(perturb(value, kind, 0.01)), value, 0.01)
