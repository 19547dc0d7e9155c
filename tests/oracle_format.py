"""How figures read on screen, written out independently of bot.formatting (for tests that compare
a message with figures computed from raw facts): ja yen exact to the 万円 (in yen under 1万円), en
every yen; percentages with a given number of decimals, half-up."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def _half_up(v: Decimal, q: Decimal = Decimal(1)) -> Decimal:
    return v.quantize(q, rounding=ROUND_HALF_UP)


def yen(v: int | Decimal, locale: str = "ja") -> str:
    v = Decimal(v)
    sign = "-" if v < 0 else ""
    y = _half_up(abs(v))
    if locale == "en":
        return f"{sign if y else ''}¥{int(y):,}"
    if y < 10_000:
        return f"{sign if y else ''}{int(y):,}円"
    man = int(_half_up(y / 10_000))
    oku, rest = divmod(man, 10_000)
    body = (f"{oku:,}億" if oku else "") + (f"{rest:,}万" if rest or not oku else "")
    return f"{sign}{body}円"


def percent(ratio: float, digits: int = 0) -> str:
    q = Decimal(1).scaleb(-digits)
    return f"{_half_up(Decimal(str(ratio)) * 100, q)}%"


def avg1(v: float) -> str:
    """An average or a per-period count: at most one decimal, half up, no trailing ".0"."""
    d = _half_up(Decimal(str(v)), Decimal("0.1"))
    return f"{int(d):,}" if d == d.to_integral_value() else f"{d:,}"


_JA_DOW = "月火水木金土日"


def day(d, locale: str = "ja", today=None) -> str:
    """ja "11月24日(火)", en "Tue, Nov 24"; with the year ("2027年1月12日(火)", "Tue, Jan 12, 2027")
    when `today` is given and in another year."""
    other = today is not None and today.year != d.year
    if locale == "ja":
        return f"{d.year}年" * other + f"{d.month}月{d.day}日({_JA_DOW[d.weekday()]})"
    en = f"{['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'][d.weekday()]}, {['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.month - 1]} {d.day}"
    return en + f", {d.year}" * other


def whole(v) -> int:
    """Half up (away from zero) to a whole number."""
    return int(_half_up(Decimal(v)))


def texts(node) -> str:
    """Every string in a message or view (its blocks, as JSON), joined by newlines: what a person reads."""
    if isinstance(node, dict):
        return "\n".join(texts(v) for v in node.values())
    if isinstance(node, list):
        return "\n".join(texts(v) for v in node)
    return node if isinstance(node, str) else ""
