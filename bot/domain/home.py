"""What a person's App Home shows, as plain data: their waiting MQLs/SALs with SLA deadlines, their
deals with hygiene flags, their last forecast submission, their accounts with health, their away
status; for a manager, their team at a glance. No Slack here (bot/notify/home.py renders it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select

from bot.clock import as_utc
from bot.context import UnitOfWork
from bot.domain import bottleneck, capacity, people, recycle, sla_metrics
from bot.domain import forecast as fc
from bot.domain import health_alerts as ha
from bot.domain import pipeline as pl
from bot.domain.opportunities import missing_items
from bot.models import Account, Alert, ForecastSubmission, Lead, Opportunity, Recycle, Stage

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
    function: str | None = None  # of the managed team the member is in: the line says what that team works on
    accounts: int = 0
    accounts_red: int = 0


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
    # What the person can do decides what the tab shows (nothing that does not apply to them):
    # "mqls" (takes MQLs: Accept / Reject, SALs, recycles), "deals" (works deals, submits a forecast),
    # "accounts" (a CSM: health, open alerts), "team" (manages a team), "company" (the CRO's figures).
    can: frozenset[str] = frozenset()
    recycles: Listing = field(default_factory=Listing)  # recycle items due for my IS teams
    alerts: Listing = field(default_factory=Listing)  # open health alerts on my accounts: (alert, account)
    team_sla: list[tuple[str, Any]] = field(default_factory=list)  # (team name, sla_metrics.Row), last SLA_DAYS
    coverage: list[tuple[str | None, Any]] = field(default_factory=list)  # (team name or None = company, pipeline.Coverage)
    awaiting: Listing = field(default_factory=Listing)  # escalated health alerts for a CS manager: (alert, account)
    rollup: list[tuple[str, Any]] = field(default_factory=list)  # (FS team name, forecast.Numbers) for the CRO
    bottleneck: Any = None  # bottleneck.StageStats of the one bottleneck (CRO), or None
    capacity: Any = None  # capacity.CapacityPlan (CRO)


SLA_DAYS = 30  # the manager's SLA figure looks back this far


def abilities(config: Any, person: Any) -> frozenset[str]:
    roles, out = set(person.roles), set()
    if "is_rep" in roles:
        out.add("mqls")
    if "fs_rep" in roles:
        out.add("deals")
    if "csm" in roles:
        out.add("accounts")
    if person.is_manager or any(t.manager == person.id for t in config.teams):
        out.add("team")
    if "cro" in roles:
        out.add("company")
    return frozenset(out)


async def _alerts(uow: UnitOfWork, accounts: list[Account], states: tuple[str, ...]) -> Listing:
    """The newest alerts (alert, account) up to the cap, and how many there are in all."""
    by_subject = {f"account:{a.id}": a for a in accounts}
    if not by_subject:
        return Listing()
    q = select(Alert).where(Alert.kind == ha.KIND, Alert.subject.in_(list(by_subject)), Alert.state.in_(states))
    found = await _listing(uow, q.order_by(Alert.id.desc()), select(func.count()).select_from(q.subquery()))
    return Listing([(a, by_subject[a.subject]) for a in found.items], found.total)


async def _manager_view(uow: UnitOfWork, data: HomeData, managed: list[Any]) -> None:
    """Their team's SLA (the SLA report's figure), coverage (the digest's), what awaits them."""
    now = uow.now()
    rows = {r.group: r for r in await sla_metrics.compliance(uow, now - timedelta(days=SLA_DAYS), now, "team")}
    data.team_sla = [(t.name, rows[t.id]) for t in managed if t.id in rows]
    data.coverage += [(t.name, await pl.coverage(uow, team_id=t.id)) for t in managed if t.function == "field_sales"]
    cs = [t for t in managed if t.function == "customer_success"]
    if cs:
        csms = {m for t in cs for m in t.members}
        accts = list((await uow.session.execute(
            select(Account).where(Account.csm_id.in_(csms), Account.churned.is_(False)))).scalars())  # fmt: skip
        data.awaiting = await _alerts(uow, accts, ("escalated",))


async def _company_view(uow: UnitOfWork, data: HomeData) -> None:
    """The CRO: company coverage, each FS team's forecast roll-up against its target, the one
    bottleneck and the capacity headline — each from the module that owns the figure."""
    data.coverage.insert(0, (None, await pl.coverage(uow)))
    data.rollup = [(t.name, await fc.numbers(uow, "quarter", team=t.id)) for t in uow.config.teams_by_function("field_sales")]
    data.bottleneck = (await bottleneck.analyse(uow)).bottleneck
    data.capacity = await capacity.plan(uow)


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
            row.function = next(t.function for t in managed if m in t.members)
            if row.function == "customer_success":
                bands = list((await uow.session.execute(
                    select(Account.health_band).where(Account.csm_id == m, Account.churned.is_(False)))).scalars())  # fmt: skip
                row.accounts, row.accounts_red = len(bands), bands.count("red")
                team.append(row)
                continue
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
    data = HomeData(
        person_id=person_id, name=person.name, roles=list(person.roles), is_manager=person.is_manager or bool(managed),
        away=away, away_until=as_utc(status.away_until) if status and away else None,
        waiting_mqls=waiting, sals=sals, deals=deals, accounts=accounts, forecast=forecast,
        team=team, team_overdue=team_overdue, can=abilities(config, person),
    )  # fmt: skip
    if "mqls" in data.can and my_teams:
        today = recycle.team_today(config, my_teams[0], now)
        rec_q = select(Recycle).where(Recycle.state == recycle.WAITING, Recycle.due_date <= today, Recycle.team_id.in_(my_teams))
        rows = await _listing(uow, rec_q.order_by(Recycle.due_date, Recycle.id), select(func.count()).select_from(rec_q.subquery()))
        data.recycles = Listing([await recycle.item(uow, r) for r in rows.items], rows.total)
    if accounts.total:
        mine_all = list((await uow.session.execute(acct_q)).scalars())
        data.alerts = await _alerts(uow, mine_all, ha.OPEN_STATES)
    if managed:
        await _manager_view(uow, data, managed)
    if "company" in data.can:
        await _company_view(uow, data)
    return data


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
