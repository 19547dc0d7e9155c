"""What changed since the last forecast, deal by deal — a pure function of two snapshots.

A snapshot is a list of plain dicts, one per deal: ``id, name, owner, amount, currency, amount_jpy,
close_date (ISO), won_on (ISO, for won/lost deals: the day it closed), phase, category, status``.
The measure is the period's forecast: deals won in the period plus open deals (not ``omitted``)
closing in it, in JPY. Every change of that measure is attributed to waterfall steps, exhaustive
and exclusive, so ``start + sum(steps) == now`` always holds (docs/metrics.md):

- ``new``: deals that did not exist at the baseline, open in the measure now;
- ``pulled_in``: open deals whose close date moved into the period;
- ``increased`` / ``decreased``: amount changes of deals in the measure both times;
- ``slipped``: open deals whose close date moved out of the period;
- ``lost``: deals lost since (their value at the baseline);
- ``won``: deals won in the period since the baseline (their value now — exactly the deals listed
  as won), balanced by ``category`` taking their baseline value out of the open forecast; a deal
  won outside the measure (another period, another rep) is listed as ``won_outside``, its baseline
  value leaving through ``category``;
- ``category``: moves between categories and owners — open → won (above), into / out of
  ``omitted``, moved to / from another rep's forecast, reopened, removed from the CRM, won in
  another period.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Iterable

STEPS = ("new", "pulled_in", "increased", "decreased", "slipped", "lost", "won", "category")
# change kinds, in the order they are shown
KINDS = (
    "new", "moved_in", "pulled_in", "won", "won_outside", "lost", "removed", "moved_out", "slipped", "amount_up", "amount_down",
    "close_date", "phase", "category", "moved", "reopened",
)  # fmt: skip


@dataclass(frozen=True)
class PeriodSpan:
    start: date
    end: date  # exclusive

    def contains(self, d: date | None) -> bool:
        return d is not None and self.start <= d < self.end


@dataclass(frozen=True)
class DealChange:
    id: Any
    name: str
    owner: str | None
    kinds: tuple[str, ...]
    step: str | None  # the main waterfall step of this deal's delta (None: no effect on the measure)
    before_value: Decimal  # in the measure (JPY), 0 when outside
    after_value: Decimal
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    parts: dict[str, Decimal] = field(default_factory=dict)  # step → amount; adds up to `delta`

    @property
    def delta(self) -> Decimal:
        return self.after_value - self.before_value

    @property
    def currency(self) -> str:
        return ((self.after or self.before) or {}).get("currency") or "JPY"


@dataclass(frozen=True)
class Diff:
    period: PeriodSpan
    start: Decimal
    now: Decimal
    steps: dict[str, Decimal]
    changes: tuple[DealChange, ...] = field(default_factory=tuple)

    def adds_up(self) -> bool:
        return self.start + sum(self.steps.values(), Decimal(0)) == self.now

    def of_kind(self, kind: str) -> list[DealChange]:
        return [c for c in self.changes if kind in c.kinds]


def _day(v: Any) -> date | None:
    if v is None or v == "":
        return None
    return v if isinstance(v, date) else date.fromisoformat(str(v)[:10])


def value_jpy(deal: dict[str, Any], rates: dict[str, Decimal] | None = None) -> Decimal:
    """The deal's amount in JPY: the snapshot's own conversion, else `rates` (JPY per unit)."""
    if deal.get("amount_jpy") not in (None, ""):
        return Decimal(str(deal["amount_jpy"]))
    amount = Decimal(str(deal.get("amount") or 0))
    cur = deal.get("currency") or "JPY"
    if cur == "JPY":
        return amount
    rate = (rates or {}).get(cur)
    if rate is None:
        raise ValueError(f"no JPY rate for currency {cur} (forecast.currencies)")
    return (amount * Decimal(str(rate))).quantize(Decimal("1"), rounding=ROUND_HALF_UP)  # whole yen, half up (docs/metrics.md)


def in_measure(deal: dict[str, Any] | None, period: PeriodSpan) -> bool:
    if not deal:
        return False
    status = deal.get("status") or "open"
    if status == "won":
        return period.contains(_day(deal.get("won_on")) or _day(deal.get("close_date")))
    if status != "open" or deal.get("category") == "omitted":
        return False
    return period.contains(_day(deal.get("close_date")))


def forecast_diff(
    before: Iterable[dict[str, Any]],
    after: Iterable[dict[str, Any]],
    period: Any,
    *,
    owners: Iterable[str] | None = None,
    rates: dict[str, Decimal] | None = None,
) -> Diff:
    """Classify every deal's change between two snapshots for `period` (anything with start/end).

    `owners`: whose deals count (a rep, or a team's members); a deal that changed hands across that
    line is ``moved_out`` / ``moved_in``; None counts every deal in the snapshots.
    """
    span = PeriodSpan(period.start, period.end)
    owner_set = set(owners) if owners is not None else None
    b = {str(d["id"]): d for d in before}
    a = {str(d["id"]): d for d in after}

    def counts(d: dict[str, Any] | None) -> bool:
        return d is not None and (owner_set is None or d.get("owner") in owner_set)

    def val(d: dict[str, Any] | None) -> Decimal:
        return value_jpy(d, rates) if counts(d) and in_measure(d, span) else Decimal(0)

    steps = {s: Decimal(0) for s in STEPS}
    changes: list[DealChange] = []
    start = now = Decimal(0)
    order = list(b) + [k for k in a if k not in b]
    for key in order:
        old, new = b.get(key), a.get(key)
        bv, av = val(old), val(new)
        start += bv
        now += av
        kinds: list[str] = []
        was_mine, is_mine = counts(old), counts(new)
        if not was_mine and not is_mine:
            continue
        old_in = was_mine and in_measure(old, span)
        new_in = is_mine and in_measure(new, span)
        old_status = (old or {}).get("status") or "open"
        new_status = (new or {}).get("status") or "open"
        # who holds it
        if old is None and new is not None:
            kinds.append("new")
            if new_status == "won":
                kinds.append("won")
        elif old is not None and new is None:
            kinds.append("removed")
        elif was_mine and not is_mine:
            kinds.append("moved_out")
        elif is_mine and not was_mine:
            kinds.append("moved_in")
        elif old and new and old.get("owner") != new.get("owner"):
            kinds.append("moved")
        if old is not None and new is not None:
            if new_status == "won" and old_status != "won":
                kinds.append("won")
            if new_status == "lost" and old_status != "lost":
                kinds.append("lost")
            if new_status == "open" and old_status != "open":
                kinds.append("reopened")
            if new_status == old_status != "open" and (old.get("won_on"), old.get("close_date")) != (new.get("won_on"), new.get("close_date")):
                kinds.append("close_date")  # a closed deal re-dated (a late correction of its close date)
            if new_status == "open" and old_status == "open":
                oc, nc = _day(old.get("close_date")), _day(new.get("close_date"))
                if oc != nc:
                    if span.contains(oc) and not span.contains(nc):
                        kinds.append("slipped")
                    elif span.contains(nc) and not span.contains(oc):
                        kinds.append("pulled_in")
                    else:
                        kinds.append("close_date")
            ov, nv = value_jpy(old, rates), value_jpy(new, rates)
            if nv > ov:
                kinds.append("amount_up")
            elif nv < ov:
                kinds.append("amount_down")
            if old.get("phase") != new.get("phase"):
                kinds.append("phase")
            if old.get("category") != new.get("category"):
                kinds.append("category")
        if not (old_in or new_in):
            continue  # nothing to do with this period
        if not kinds:
            continue
        if "won" in kinds and not new_in:
            # Won, but not in this measure (in another period, or by a rep outside `owners`): listed so,
            # never as "won" — the won step is exactly the deals listed as won.
            kinds[kinds.index("won")] = "won_outside"
        parts = _parts(kinds, old_in, new_in, bv, av)
        for k, v in parts.items():
            steps[k] += v
        step = next(iter(parts), None)
        changes.append(DealChange(key if not str(key).isdecimal() else int(key), (new or old or {}).get("name") or "",
                                  (new or old or {}).get("owner"), tuple(k for k in KINDS if k in kinds), step, bv, av, old, new, parts))  # fmt: skip
    changes.sort(key=lambda c: (-abs(c.delta), KINDS.index(c.kinds[0]), str(c.id)))
    return Diff(span, start, now, steps, tuple(changes))


def _parts(kinds: list[str], old_in: bool, new_in: bool, bv: Decimal, av: Decimal) -> dict[str, Decimal]:
    """The deal's change of the measure (av − bv) split over the waterfall steps (see the module)."""
    if "won" in kinds:
        # Its value moves from the open forecast to won: the won step is what was won.
        parts = {"won": av, "category": -bv}
    elif "won_outside" in kinds:
        parts = {"category": -bv}
    elif "lost" in kinds:
        parts = {"lost": -bv, "category": av}
    elif not old_in and new_in:
        parts = {"pulled_in" if "pulled_in" in kinds else "new" if "new" in kinds else "category": av}
    elif old_in and not new_in:
        parts = {"slipped" if "slipped" in kinds else "category": -bv}
    else:
        parts = {"increased" if av > bv else "decreased": av - bv}
    return {k: v for k, v in parts.items() if v}
