"""Figures and dates as a reader says them (issue 15: "$280 billion", not "280,000,000,000 USD")."""

from __future__ import annotations

import pytest
from econsec.service.web.amounts import amount_in_words, date_in_words, exact_amount, number_in_words


@pytest.mark.parametrize(
    ("value", "currency", "unit", "approximation", "said"),
    [
        ("280000000000", "USD", None, None, "$280 billion"),
        ("3900000000000", "JPY", None, None, "¥3.9 trillion"),
        ("6300000000", "KRW", None, None, "6.3 billion KRW"),
        ("70", None, "percent", "nearly", "nearly 70 percent"),
        ("1500", None, None, None, "1,500"),
        ("0.71", None, "percent", None, "0.71 percent"),
        ("52700000", "USD", None, "over", "over $52.7 million"),
    ],
)
def test_amounts_in_words(
    value: str, currency: str | None, unit: str | None, approximation: str | None, said: str
) -> None:
    assert amount_in_words(value, currency, unit, approximation) == said


def test_the_exact_figure_keeps_every_digit() -> None:
    assert exact_amount("3900000000000", "JPY") == "3,900,000,000,000 JPY"
    assert number_in_words("not a number") == "not a number"


@pytest.mark.parametrize(
    ("value", "said"),
    [("2023-03", "March 2023"), ("2022-10-07", "7 October 2022"), ("2024", "2024"), ("soon", "soon")],
)
def test_dates_in_words(value: str, said: str) -> None:
    assert date_in_words(value) == said
