"""One vocabulary for what a decision did: every domain decision returns a `Result` whose
`outcome` is an `Outcome`. Surfaces never guess from spellings: `result.ok` says whether anything
changed, and a refusal is told by one mapper (`bot.notify.refusals`)."""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass, field
from enum import StrEnum


class Outcome(StrEnum):
    # something changed
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    CLOSED = "closed"
    QUALIFIED = "qualified"
    DISQUALIFIED = "disqualified"
    SENT_BACK = "sent_back"
    RE_ENGAGED = "re_engaged"
    SNOOZED = "snoozed"
    ACKNOWLEDGED = "acknowledged"
    ESCALATED = "escalated"
    SAVED = "saved"
    WON = "won"  # a deal closed won
    LOST = "lost"  # a deal closed lost (into the recycle loop)
    # nothing changed (a refusal, told privately)
    ALLOWED = "allowed"  # a check passed (e.g. before opening a modal): nothing changed yet
    NOT_FOUND = "not_found"
    NOT_ALLOWED = "not_allowed"
    ALREADY_DECIDED = "already_decided"
    BAD_INPUT = "bad_input"
    BUSY = "busy"
    NO_FS_REP = "no_fs_rep"
    CHURNED = "churned"
    WRONG_KIND = "wrong_kind"
    EXPIRED = "expired"  # too late: the meeting (or whatever it was for) is over

    @property
    def changed(self) -> bool:
        return self not in _UNCHANGED


_UNCHANGED = frozenset(
    {
        Outcome.ALLOWED, Outcome.NOT_FOUND, Outcome.NOT_ALLOWED, Outcome.ALREADY_DECIDED, Outcome.BAD_INPUT,
        Outcome.BUSY, Outcome.NO_FS_REP, Outcome.CHURNED, Outcome.WRONG_KIND, Outcome.EXPIRED,
    }
)  # fmt: skip


@dataclass(frozen=True)
class Result:
    """What a decision did. `subject` names the kind of record ("lead", "sal", "handoff", "recycle",
    "health_alert", "bottleneck", "account", "deal", "forecast") so a refusal reads right; `by`
    and `state` say who decided first and what state it is already in."""

    outcome: Outcome
    _: KW_ONLY
    subject: str = ""
    by: str | None = None
    state: str | None = None
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Allowed or done: the caller may go on (show the result, open the modal)."""
        return self.outcome.changed or self.outcome == Outcome.ALLOWED
