"""Who may do what: one table, every decision surface → the grants that allow it.

A surface's rule is read here and nowhere else; the domain functions that decide (`may_decide`,
`may_work_sal`, …) ask `allows(surface, config, person, record)`. A grant looks at the person and
the record (an MQL, an SAL, a deal, a loop item, a customer, a rep's forecast) and the team it
belongs to. tests/reliability/test_permissions_table.py proves the whole table against every role.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.config import AppConfig, Person, Team

Grant = Callable[[AppConfig, Person, Any], bool]


def _team(config: AppConfig, record: Any, attr: str) -> Team | None:
    return config.team(getattr(record, attr, None))


def is_(attr: str) -> Grant:
    """The person the record names (its owner, assignee, CSM …)."""
    return lambda config, person, record: bool(getattr(record, attr, None)) and person.id == getattr(record, attr)


def manager_of(attr: str = "team_id") -> Grant:
    """The manager of the record's team."""

    def grant(config: AppConfig, person: Person, record: Any) -> bool:
        team = _team(config, record, attr)
        return team is not None and person.id == team.manager

    return grant


def member_of(attr: str = "team_id") -> Grant:
    def grant(config: AppConfig, person: Person, record: Any) -> bool:
        team = _team(config, record, attr)
        return team is not None and person.id in team.members

    return grant


def in_function(function: str) -> Grant:
    """A member or the manager of a team of that function (customer_success …)."""
    return lambda config, person, record: any(
        person.id in t.members or person.id == t.manager for t in config.teams_by_function(function)
    )


def manages_function(function: str) -> Grant:
    """The manager of a team of that function (the CS manager for any customer)."""
    return lambda config, person, record: any(t.manager == person.id for t in config.teams_by_function(function))


def has_role(*roles: str) -> Grant:
    return lambda config, person, record: bool(set(roles).intersection(person.roles))


def unless_assignee_only(grant: Grant) -> Grant:
    """app.yaml `handoff.who_may_decide: assignee`: once an MQL has an assignee, only they decide."""
    return lambda config, person, record: not (
        config.mql.who_may_decide == "assignee" and getattr(record, "assignee_id", None)
    ) and grant(config, person, record)


def manages_rep(attr: str = "rep_id") -> Grant:
    """The manager of a team the rep is in; a CRO sees every Field Sales rep."""

    def grant(config: AppConfig, person: Person, record: Any) -> bool:
        rep = getattr(record, attr, None)
        if any(t.manager == person.id and rep in t.members and rep != person.id for t in config.teams):
            return True
        return "cro" in person.roles and any(rep in t.members for t in config.teams_by_function("field_sales"))

    return grant


def cs_manager(config: AppConfig, person: Person, record: Any) -> bool:
    """The manager of a Customer Success team, or someone app.yaml gives the cs_manager role."""
    return "cs_manager" in person.roles or any(t.manager == person.id for t in config.teams_by_function("customer_success"))


# The grants app.yaml `success.who_may_act` may name for a customer's health alert.
CS_GRANTS: dict[str, Grant] = {
    "csm": is_("csm_id"), "ae": is_("ae_id"), "cs_manager": cs_manager, "cs_team": in_function("customer_success"),
    "cro": has_role("cro"), "admin": has_role("admin"),
}  # fmt: skip


def configured_cs(config: AppConfig, person: Person, record: Any) -> bool:
    return any(CS_GRANTS[name](config, person, record) for name in config.success.who_may_act)


POLICY: dict[str, tuple[Grant, ...]] = {
    # MQL card: Accept / Reject — the owning IS team (or only the assignee), the team's manager always.
    "mql.decide": (manager_of(), is_("assignee_id"), unless_assignee_only(member_of())),
    # SAL follow-up: Qualify / Disqualify — the SAL's owner, or the manager of its IS team.
    "sal.work": (is_("owner_id"), manager_of()),
    # FS hand-off (an SQL or an upsell): Accept / Send back — the FS owner, or the FS team's manager.
    "handoff.decide": (is_("owner_id"), manager_of()),
    # Update deal — its owner, the manager of its (FS) team, a CRO or admin; not IS / CS managers.
    "deal.edit": (is_("owner_id"), manager_of(), has_role("cro", "admin")),
    # Recycle nudge: Re-engage / Snooze / Close — the team it is nudged to, and the record's owner.
    "recycle.act": (is_("owner_id"), manager_of(), member_of()),
    # Customer health alert: acknowledge / snooze / escalate — app.yaml success.who_may_act (default: the
    # account's CSM, CS managers, the CRO); not any member of Customer Success.
    "health.act": (configured_cs,),
    # A customer's upsell hand-off and churn — the account's CSM and AE, CS managers, a CRO or admin.
    "account.act": (is_("csm_id"), is_("ae_id"), cs_manager, has_role("cro", "admin")),
    # A won customer handed to CS: Accept (and schedule the kickoff) — its CSM, or a CS manager.
    "cs_handoff.accept": (is_("csm_id"), manages_function("customer_success")),
    # A rep's forecast and its diff — the rep, their manager, a CRO.
    "forecast.view": (is_("rep_id"), manages_rep()),
    # A manager's adjustment of a rep's number — their manager or a CRO; never the rep themselves.
    "forecast.adjust": (manages_rep(),),
    # The company's forecast (every Field Sales team and Baton's company number) — a CRO or admin.
    "forecast.company": (has_role("cro", "admin"),),
    # /bottleneck, /capacity and the bottleneck alert's buttons — anyone app.yaml makes a manager.
    "manager.commands": (lambda config, person, record: person.is_manager,),
}


def allows(surface: str, config: AppConfig, person: Person | None, record: Any) -> bool:
    """Does any grant of `surface` let `person` act on `record`? Nobody unknown ever may."""
    return person is not None and any(grant(config, person, record) for grant in POLICY[surface])
