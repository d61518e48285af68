"""Numbers and dates as a reader says them: "$280 billion", "nearly 90 percent", "March 2023".

The graph stores exact values (``280000000000`` with currency USD, ``"2023-03"^^xsd:gYearMonth``);
a page that prints them as they are makes the reader count zeros. These functions only format:
they never round a figure by more than the words say (one decimal of the scale word, "3.9
trillion"), and a value that is not a number or a date is returned as it came.
"""

from __future__ import annotations

import calendar
import re
from decimal import Decimal, InvalidOperation

__all__ = ["amount_in_words", "date_in_words", "exact_amount", "number_in_words"]

#: the scale words, largest first
_SCALES = ((Decimal(10) ** 12, "trillion"), (Decimal(10) ** 9, "billion"), (Decimal(10) ** 6, "million"))
#: currencies written with a symbol before the number; any other goes after it by its code
_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}
_DATE = re.compile(r"^(-?\d{4})(?:-(\d{2}))?(?:-(\d{2}))?")


def number_in_words(value: str) -> str:
    """``280000000000`` -> ``280 billion``; ``3900000000000`` -> ``3.9 trillion``; ``1500`` -> ``1,500``."""
    try:
        number = Decimal(value)
    except InvalidOperation:
        return value
    for size, word in _SCALES:
        if abs(number) >= size:
            scaled = (number / size).quantize(Decimal("0.1")).normalize()
            return f"{scaled:f} {word}"
    if number == number.to_integral_value():
        return f"{int(number):,}"
    return f"{number.normalize():,}"


def amount_in_words(
    value: str, currency: str | None = None, unit: str | None = None, approximation: str | None = None
) -> str:
    """``$280 billion``, ``¥3.9 trillion``, ``nearly 90 percent``, ``12 KRW``... as a reader writes it."""
    text = number_in_words(value)
    if currency in _SYMBOLS:
        text = _SYMBOLS[currency] + text
    elif currency:
        text = f"{text} {currency}"
    elif unit:
        text = f"{text} {unit}"
    return f"{approximation} {text}" if approximation else text


def date_in_words(value: str) -> str:
    """``2023-03`` -> ``March 2023``; ``2022-10-07`` -> ``7 October 2022``; a year stays a year."""
    found = _DATE.match(value)
    if not found:
        return value
    year, month, day = found.groups()
    if month is None or not 1 <= int(month) <= 12:
        return year
    name = calendar.month_name[int(month)]
    return f"{int(day)} {name} {year}" if day else f"{name} {year}"


def exact_amount(value: str, code: str | None = None, unit: str | None = None) -> str:
    """``3,900,000,000,000 JPY``: every digit, grouped, for the reader who wants the figure as stated."""
    try:
        number = Decimal(value)
        text = f"{int(number):,}" if number == number.to_integral_value() else f"{number.normalize():,}"
    except InvalidOperation:
        text = value
    return " ".join(p for p in (text, code or unit) if p)
