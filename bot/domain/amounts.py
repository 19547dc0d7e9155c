"""The one reader of a yen amount typed by a person: "1200万", "1.2億", "¥12,000,000", "3.5M", "800k"."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import case, func, null

MAX_AMOUNT = Decimal("1e15")
_SUFFIXES = (("億", Decimal(100_000_000)), ("万", Decimal(10_000)), ("m", Decimal(1_000_000)), ("k", Decimal(1000)))


def parse_amount(text: Any) -> Decimal | None:
    """A whole-yen Decimal; None when empty; ValueError when unreadable, negative or absurdly large."""
    s = str(text or "").strip().replace(",", "").replace("円", "").replace("¥", "")
    if not s:
        return None
    mult = Decimal(1)
    for suffix, m in _SUFFIXES:
        if s.lower().endswith(suffix):
            s, mult = s[: -len(suffix)], m
            break
    try:
        value = Decimal(s) * mult
    except InvalidOperation:
        raise ValueError(s) from None
    if not value.is_finite() or value < 0 or value > MAX_AMOUNT:
        raise ValueError(s)
    return value.quantize(Decimal("1"))


def amount_or_none(text: Any) -> Decimal | None:
    """For forms where empty and unreadable are the same mistake."""
    try:
        return parse_amount(text)
    except ValueError:
        return None


def in_jpy(amount: Any, currency: Any, rates: dict[str, Decimal]) -> Any:
    """An amount column in JPY, as SQL, by the one rule of docs/metrics.md: JPY as it is, another
    currency at `forecast.currencies` rounded to the whole yen (half up: amounts are never negative),
    a currency without a rate NULL — left out of every sum, as the forecast leaves it out."""
    cur = func.coalesce(currency, "JPY")
    converted = [(cur == code, func.round(amount * rate)) for code, rate in sorted(rates.items()) if code != "JPY"]
    return case((cur == "JPY", amount), *converted, else_=null())
