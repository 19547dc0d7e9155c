"""What a person's App Home shows, as plain data: their waiting MQLs/SALs with SLA deadlines, their
deals with hygiene flags, their last forecast submission, their accounts with health, their away
status; for a manager, their team at a glance. No Slack here (bot/notify/home.py renders it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select

from bot.clock import as_utc
from bot.context import UnitOfWork
from bot.domain import people
from bot.domain.opportunities import missing_items
from bot.models import Account, ForecastSubmission, Lead, Opportunity, Stage

LIST_CAP = 8  # rows per list; the rest is "and N more" (keeps the view far inside 100 blocks)


@dataclass
class Listing:
    items: list[Any] = field(default_factory=list)
    total: int = 0

    @property
    def more(self) -> int:
        return max(0, self.total - len(self.items))


@dataclass
class MemberRow:
    person_id: str
    name: str
    slack_id: str | None
    open_mqls: int = 0
    overdue_mqls: int = 0
    open_deals: int = 0
    deals_missing: int = 0
    away: bool = False


@dataclass
class HomeData:
    person_id: str
    name: str
    roles: list[str]
    is_manager: bool
    away: bool
    away_until: datetime | None
    waiting_mqls: Listing
    sals: Listing
    deals: Listing  # items: (Opportunity, [missing item names])
    accounts: Listing
    forecast: ForecastSubmission | None
    team: list[MemberRow]
    team_overdue: Listing  # leads past their SLA in the manager's teams


async def _listing(uow: UnitOfWork, stmt: Any, count_stmt: Any, cap: int = LIST_CAP) -> Listing:
    items = list((await uow.session.execute(stmt.limit(cap))).scalars())
    total = int(await uow.session.scalar(count_stmt) or 0)
    return Listing(items, total)


async def home_data(uow: UnitOfWork, person_id: str) -> HomeData:
    config = uow.config
    person = config.person(person_id)
    if person is None:
        raise ValueError(f"unknown person '{person_id}'")
    now = uow.now()
    my_teams = [t.id for t in config.teams_of(person_id)]
    # Waiting for me: MQLs assigned to me, and unassigned (claim-mode) MQLs of my teams.
    mine = or_(Lead.assignee_id == person_id, (Lead.assignee_id.is_(None) & Lead.team_id.in_(my_teams or [""])))
    waiting_q = select(Lead).where(Lead.stage == Stage.mql, mine)
    waiting = await _listing(
        uow, waiting_q.order_by(Lead.sla_due_at.is_(None), Lead.sla_due_at, Lead.id),
        select(func.count()).select_from(waiting_q.subquery()),
    )  # fmt: skip
    sal_q = select(Lead).where(Lead.stage == Stage.sal, Lead.owner_id == person_id)
    sals = await _listing(
        uow, sal_q.order_by(Lead.sla_due_at.is_(None), Lead.sla_due_at, Lead.id), select(func.count()).select_from(sal_q.subquery())
    )
    deal_q = select(Opportunity).where(Opportunity.owner_id == person_id, Opportunity.status == "open")
    deal_rows = await _listing(
        uow, deal_q.order_by(Opportunity.close_date.is_(None), Opportunity.close_date, Opportunity.id),
        select(func.count()).select_from(deal_q.subquery()),
    )  # fmt: skip
    deals = Listing([(o, missing_items(o)) for o in deal_rows.items], deal_rows.total)
    acct_q = select(Account).where(Account.csm_id == person_id, Account.churned.is_(False))
    accounts = await _listing(
        uow, acct_q.order_by(Account.health_score.is_(None), Account.health_score, Account.id),
        select(func.count()).select_from(acct_q.subquery()),
    )  # fmt: skip
    forecast = (
        await uow.session.execute(
            select(ForecastSubmission)
            .where(ForecastSubmission.person_id == person_id)
            .order_by(ForecastSubmission.submitted_at.desc(), ForecastSubmission.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()

    status = await people.status(uow, person_id)
    away = bool(status and status.away and (status.away_until is None or as_utc(status.away_until) > now))
    away = away or person.is_away_on(now.astimezone(config.calendar(None).tz).date())

    managed = [t for t in config.teams if t.manager == person_id]
    team: list[MemberRow] = []
    team_overdue = Listing()
    if managed:
        members: list[str] = []
        for t in managed:
            members += [m for m in t.members if m not in members]
        away_now = await people.away_now(uow, members)
        for m in members:
            p = config.person(m)
            row = MemberRow(m, p.name if p else m, p.slack_id if p else None, away=m in away_now)
            row.open_mqls = int(await uow.session.scalar(
                select(func.count()).where(Lead.stage == Stage.mql, Lead.assignee_id == m)) or 0)  # fmt: skip
            row.overdue_mqls = int(await uow.session.scalar(
                select(func.count()).where(Lead.stage == Stage.mql, Lead.assignee_id == m, Lead.sla_due_at < now)) or 0)  # fmt: skip
            opps = list((await uow.session.execute(
                select(Opportunity).where(Opportunity.owner_id == m, Opportunity.status == "open"))).scalars())  # fmt: skip
            row.open_deals = len(opps)
            row.deals_missing = sum(1 for o in opps if missing_items(o))
            team.append(row)
        over_q = select(Lead).where(
            Lead.stage == Stage.mql, Lead.team_id.in_([t.id for t in managed]), Lead.sla_due_at < now
        )
        team_overdue = await _listing(
            uow, over_q.order_by(Lead.sla_due_at, Lead.id), select(func.count()).select_from(over_q.subquery())
        )
    return HomeData(
        person_id=person_id, name=person.name, roles=list(person.roles), is_manager=person.is_manager or bool(managed),
        away=away, away_until=as_utc(status.away_until) if status and away else None,
        waiting_mqls=waiting, sals=sals, deals=deals, accounts=accounts, forecast=forecast,
        team=team, team_overdue=team_overdue,
    )  # fmt: skip


async def affected_people(uow: UnitOfWork, entity_type: str, entity_id: int, team_id: str | None) -> set[str]:
    """Whose App Home shows this record: its assignee / owner / CSM and the manager of its team."""
    out: set[str] = set()
    if entity_type == "lead":
        lead = await uow.session.get(Lead, entity_id)
        if lead is not None:
            out |= {p for p in (lead.assignee_id, lead.owner_id) if p}
            team_id = team_id or lead.team_id
            if lead.assignee_id is None and lead.team_id:  # claim mode: the whole team sees it
                team = uow.config.team(lead.team_id)
                out |= set(team.members if team else [])
    elif entity_type == "opportunity":
        opp = await uow.session.get(Opportunity, entity_id)
        if opp is not None:
            out |= {p for p in (opp.owner_id, opp.handoff_from) if p}
            team_id = team_id or opp.team_id
    elif entity_type == "account":
        acct = await uow.session.get(Account, entity_id)
        if acct is not None:
            out |= {p for p in (acct.csm_id, acct.ae_id) if p}
    team = uow.config.team(team_id)
    if team and team.manager:
        out.add(team.manager)
    return out
