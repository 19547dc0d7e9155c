"""Forecast messages: the /forecast overview, diffs, the team roll-up, meeting prompts and the
managers' summary. Text comes from templates/strings/{ja,en}/forecast.yaml and forecast_*.json.j2."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from bot import formatting
from bot.context import UnitOfWork
from bot.domain import forecast as fc
from bot.domain import forecast_accuracy as acc
from bot.domain import forecast_gaps
from bot.domain import forecast_meetings as fm
from bot.domain import forecast_model as baton_model
from bot.domain.forecast_diff import STEPS, DealChange, Diff
from bot.messages import escape_mrkdwn
from bot.models import Opportunity, OutboxMessage, SlackMessage
from bot.notify import forecast_adjust as adjust_view
from bot.notify import forecast_model as baton_view
from bot.notify.forecast_accuracy import gap_lines
from bot.notify.common import person_locale, slack_id
from bot.notify.preferences import notify_person
from bot.slack.delivery import enqueue
from bot.slack.ids import Action
from bot.slack.payloads import Explain, PromptDiffMore, ShownDiffMore, SubmitKind, TeamPeriod


def money(locale: str, v: Decimal | None) -> str:
    return formatting.format_money(v or 0, "JPY", locale)


def who(uow: UnitOfWork, person_id: str | None) -> str:
    sid = slack_id(uow.config, person_id)
    return f"<@{sid}>" if sid else (person_id or "?")


def name_of(uow: UnitOfWork, person_id: str | None) -> str:
    """A person's name for plain text (a header), where a `<@U…>` mention would show as markup."""
    p = uow.config.person(person_id) if person_id else None
    return p.name if p else (person_id or "?")


def _t(uow: UnitOfWork, locale: str, name: str, **kw: Any) -> str:
    return uow.ctx.messages.text(locale, name, **kw)


def period_label(uow: UnitOfWork, locale: str, p: Any) -> str:
    return _t(uow, locale, f"forecast.period.{p.kind}", code=p.key)


def _day(locale: str, v: Any) -> str:
    from datetime import date

    if not v:
        return "—"
    return formatting.format_date(date.fromisoformat(str(v)[:10]), locale)


def _deal_value(uow: UnitOfWork, locale: str, d: dict[str, Any] | None) -> str:
    if not d:
        return "—"
    jpy = Decimal(d["amount_jpy"]) if d.get("amount_jpy") not in (None, "") else None
    if (d.get("currency") or "JPY") != "JPY":
        try:
            original = formatting.format_money(Decimal(str(d.get("amount") or 0)), d["currency"], locale)
        except ValueError:
            original = f"{d.get('currency')} {d.get('amount')}"
        return _t(uow, locale, "forecast.converted", original=original, jpy=money(locale, jpy) if jpy is not None else "?")
    return money(locale, jpy if jpy is not None else Decimal(str(d.get("amount") or 0)))


def change_parts(uow: UnitOfWork, locale: str, c: DealChange) -> list[str]:
    b, a = c.before or {}, c.after or {}
    cat = lambda v: _t(uow, locale, f"forecast.category.{v}") if v else "—"  # noqa: E731
    parts = []
    for k in c.kinds:
        kw: dict[str, Any] = {}
        if k in ("amount_up", "amount_down"):
            kw = {"frm": _deal_value(uow, locale, b), "to": _deal_value(uow, locale, a)}
        elif k in ("slipped", "pulled_in", "close_date"):
            kw = {"frm": _day(locale, b.get("close_date")), "to": _day(locale, a.get("close_date"))}
        elif k == "phase":
            kw = {"frm": b.get("phase"), "to": a.get("phase")}
        elif k == "category":
            kw = {"frm": cat(b.get("category")), "to": cat(a.get("category"))}
        elif k in ("moved", "moved_in", "moved_out"):
            kw = {"frm": who(uow, b.get("owner")), "to": who(uow, a.get("owner")), "who": who(uow, a.get("owner") if k != "moved_in" else b.get("owner"))}
        parts.append(_t(uow, locale, f"forecast.kind.{k}", **kw))
    return parts


def change_line(uow: UnitOfWork, locale: str, c: DealChange, show_owner: bool) -> str:
    d = c.after or c.before or {}
    head = f"• *{escape_mrkdwn(c.name)[:150]}* {_deal_value(uow, locale, d)}"
    if show_owner:
        head += f" ({who(uow, d.get('owner'))})"
    delta = f" [{'+' if c.delta > 0 else ''}{money(locale, c.delta)}]" if c.delta else ""
    return f"{head}{delta} — " + " · ".join(change_parts(uow, locale, c))


def waterfall(uow: UnitOfWork, locale: str, diff: Diff) -> str:
    """Start, steps, now — shown to one unit so that the shown steps add up to the shown change."""
    start, shown, now = formatting.format_waterfall(diff.start, [diff.steps[s] for s in STEPS], diff.now, locale)
    vals = {s: v.lstrip("-") if s in ("decreased", "slipped", "lost") else v for s, v in zip(STEPS, shown, strict=True)}
    if not vals["category"].startswith("-") and vals["category"].strip("0円¥, "):
        vals["category"] = "+" + vals["category"]
    return _t(uow, locale, "forecast.diff.waterfall", start=start, now=now, **vals)


def chunks(lines: list[str], limit: int = 2800) -> list[str]:
    out: list[str] = []
    cur = ""
    for line in lines:
        line = line[:limit]
        if cur and len(cur) + 1 + len(line) > limit:
            out.append(cur)
            cur = line
        else:
            cur = f"{cur}\n{line}" if cur else line
    if cur:
        out.append(cur)
    return out


def diff_message(
    uow: UnitOfWork, locale: str, res: fc.DiffResult, subject: str, *, offset: int = 0, more_value: str | None = None,
    buttons: list[dict[str, Any]] | None = None, title: str | None = None, intro: str | None = None, limit: int | None = None,
) -> dict[str, Any]:  # fmt: skip
    cap = limit or uow.config.forecast.diff_cap
    tz = fc.tz(uow)
    changes = list(res.diff.changes)
    page = changes[offset : offset + cap]
    lines = [change_line(uow, locale, c, show_owner=len(res.owners) > 1) for c in page]
    since = (
        _t(uow, locale, "forecast.diff.since", when=formatting.format_datetime(res.baseline_at, locale, tz) + " " + formatting.tz_label(tz, res.baseline_at, locale))
        if res.baseline_at else _t(uow, locale, "forecast.diff.since_nothing")
    )  # fmt: skip
    remaining = len(changes) - offset - len(page)
    return uow.ctx.messages.message(
        "forecast_diff", locale, tz,
        title=title or _t(uow, locale, "forecast.diff.title", who=subject, period=period_label(uow, locale, res.period)),
        intro=intro, since=since, waterfall=waterfall(uow, locale, res.diff), sections=chunks(lines),
        empty=_t(uow, locale, "forecast.diff.no_changes") if not changes else None,
        capped=_t(uow, locale, "forecast.diff.capped", shown=offset + len(page), total=len(changes)) if remaining > 0 else None,
        more_value=more_value if remaining > 0 else None, more_label=_t(uow, locale, "forecast.btn.more", n=len(changes)),
        buttons=buttons or [],
    )  # fmt: skip


def numbers_fields(uow: UnitOfWork, locale: str, n: fc.Numbers) -> list[tuple[str, str]]:
    t = lambda k, **kw: _t(uow, locale, f"forecast.f.{k}", **kw)  # noqa: E731
    none = _t(uow, locale, "forecast.none")
    return [
        (t("target"), money(locale, n.target) if n.target is not None else _t(uow, locale, "forecast.no_target")),
        (t("won"), money(locale, n.won)),
        (t("commit"), money(locale, n.commit)),
        (t("best_case"), money(locale, n.best_case)),
        (t("pipeline"), money(locale, n.pipeline)),
        (t("required", rate=formatting.format_percent(n.win_rate, locale, 1)), money(locale, n.required_pipeline) if n.required_pipeline is not None else none),
        (t("coverage"), formatting.format_percent(n.coverage, locale) if n.coverage is not None else none),
    ]


def submission_line(uow: UnitOfWork, locale: str, sub: Any) -> str:
    if sub is None:
        return _t(uow, locale, "forecast.no_submission")
    tz = fc.tz(uow)
    when = formatting.format_datetime(sub.submitted_at, locale, tz) + " " + formatting.tz_label(tz, sub.submitted_at, locale)
    return _t(uow, locale, "forecast.last_submission", commit=money(locale, sub.commit_amount), best=money(locale, sub.best_case_amount), when=when)


async def overview_message(uow: UnitOfWork, locale: str, rep: str) -> dict[str, Any]:
    periods = []
    log = await baton_model.load(uow)  # the event log, read once for both periods
    for kind in ("month", "quarter"):
        n = await fc.numbers(uow, kind, rep=rep)
        sub = await fc.last_submission(uow, rep, kind, n.period.start)
        baton = await baton_model.current(uow, kind, rep=rep, log=log)
        periods.append({
            "heading": period_label(uow, locale, n.period), "fields": numbers_fields(uow, locale, n), "last": submission_line(uow, locale, sub),
            "baton": baton_view.view(uow, locale, baton, call=sub.commit_amount if sub else None, commit=n.commit),
            "adjusted": await adjust_view.rep_note(uow, locale, rep, kind, n.period.start, sub, baton.point),
        })  # fmt: skip
    return uow.ctx.messages.message(
        "forecast_overview", locale, fc.tz(uow), title=_t(uow, locale, "forecast.title", who=uow.config.person(rep).name),
        periods=periods, rep=rep,
    )  # fmt: skip


async def team_message(uow: UnitOfWork, locale: str, team_id: str, kind: str) -> dict[str, Any]:
    cfg = uow.config
    p = fc.period(uow, kind)
    reps = fc.team_members(uow, team_id)
    records = await acc.history(uow)
    found = []  # (rep, system commit, submission or None, bias, expected)
    for rep in reps:
        n = await fc.numbers(uow, kind, rep=rep)
        sub = await fc.last_submission(uow, rep, kind, p.start)
        bias = acc.bias_of(records, rep)
        expect = n.commit if sub is None else bias.adjust(sub.commit_amount, cfg.forecast.bias_min_sample)
        found.append((rep, n.commit, sub, bias, expect))
    # Each column's rows and its total are shown so that the rows add up to the total on screen.
    sys_shown, tot_sys_s = formatting.format_money_parts([f[1] for f in found], locale)
    subs = [f for f in found if f[2] is not None]
    sub_shown, tot_sub_s = formatting.format_money_parts([f[2].commit_amount for f in subs], locale)
    exp_shown, tot_exp_s = formatting.format_money_parts([f[4] for f in found], locale)
    sub_of = {f[0]: v for f, v in zip(subs, sub_shown, strict=True)}
    adjusted_reps, adjusted_team = await adjust_view.team_lines(uow, locale, team_id, kind, {f[0]: f[2] for f in found})
    rows = []
    for (rep, _, sub, bias, _), system, expect in zip(found, sys_shown, exp_shown, strict=True):
        if sub is None:
            rows.append(_t(uow, locale, "forecast.team.missing", who=who(uow, rep), system=system))
        else:
            blabel = _t(uow, locale, f"forecast.team.bias.{bias.label}", ratio=bias.shown(), n=bias.sample)
            rows.append(_t(uow, locale, "forecast.team.row", who=who(uow, rep), submitted=sub_of[rep], system=system, bias=blabel, expect=expect))
        rows += adjusted_reps.get(rep, [])  # a manager's adjustment: submitted · adjusted · Baton's, and its history
    call = await fc.last_submission(uow, "", kind, p.start, scope="team", team_id=team_id)
    tz = fc.tz(uow)
    call_text = _t(uow, locale, "forecast.team.team_call", amount=money(locale, call.commit_amount), when=formatting.format_datetime(call.submitted_at, locale, tz)) if call else ""
    total = _t(uow, locale, "forecast.team.total", submitted=tot_sub_s, system=tot_sys_s, expect=tot_exp_s, call=call_text)
    rates = [r for r in await acc.phase_win_rates(uow) if r.differs]
    rate_lines = [
        _t(uow, locale, "forecast.team.phase_rate", phase=r.phase, rate=formatting.format_percent(r.rate, locale), won=r.won, n=r.won + r.lost, default=formatting.format_percent(r.default, locale))
        for r in rates
    ]  # fmt: skip
    mine = [r for r in records if (r.scope == "rep" and r.subject in reps) or (r.scope == "team" and r.subject == team_id)]
    accuracy = _t(uow, locale, "forecast.team.accuracy", inside=sum(1 for r in mine if r.inside), n=len(mine)) if mine else None
    team = cfg.team(team_id)
    rep_calls = [f[2].commit_amount for f in subs]
    team_call = call.commit_amount if call else (sum(rep_calls, Decimal(0)) if rep_calls else None)
    baton = baton_view.view(uow, locale, await baton_model.current(uow, kind, team=team_id), call=team_call, commit=sum((f[1] for f in found), Decimal(0)))
    return uow.ctx.messages.message(
        "forecast_team", locale, tz, title=_t(uow, locale, "forecast.team_title", team=team.name if team else team_id, period=period_label(uow, locale, p)),
        header=_t(uow, locale, "forecast.team.header"), sections=chunks(rows), total=total, baton=baton,
        rates_title=_t(uow, locale, "forecast.team.phase_rates") if rate_lines else None, rate_lines=rate_lines,
        accuracy=accuracy, value=TeamPeriod(kind, team_id).encode(),
        adjusted=adjusted_team, adjust_options=adjust_view.options(uow, locale, team_id, kind, reps),
    )  # fmt: skip


async def submit_modal(uow: UnitOfWork, locale: str, person: str, kind: str, *, team_id: str | None = None) -> dict[str, Any]:
    n = await fc.numbers(uow, kind, rep=None if team_id else person, team=team_id)
    return uow.ctx.messages.view(
        "forecast_submit_modal", locale, fc.tz(uow), team=bool(team_id),
        intro=_t(uow, locale, "forecast.modal.intro", period=period_label(uow, locale, n.period), commit=money(locale, n.commit),
                 best=money(locale, n.best_case), pipeline=money(locale, n.pipeline)),
        commit=str(int(n.commit)), best_case=str(int(n.best_case)),
        metadata=SubmitKind(kind, team_id).encode(),
    )  # fmt: skip


def submitted_text(uow: UnitOfWork, locale: str, sub: Any) -> str:
    """The private confirmation of a submitted call."""
    p = fc.period_from(sub.period_kind, sub.period_start, fc.fiscal_start(uow))
    return _t(uow, locale, "forecast.submitted", period=period_label(uow, locale, p), commit=money(locale, sub.commit_amount),
              best=money(locale, sub.best_case_amount), deals=len(sub.snapshot))  # fmt: skip


async def diff_reply(
    uow: UnitOfWork, locale: str, scope: fc.Scope, kind: str, since: date | None, *, offset: int = 0, limit: int | None = None
) -> dict[str, Any]:
    """The diff for a rep or a team (a scope the domain allowed) since a day, or since the last submission."""
    label = uow.config.team(scope.team_id).name if scope.team_id else name_of(uow, scope.rep)
    before = datetime.combine(since + timedelta(days=1), time(0), tzinfo=fc.tz(uow)) if since else None
    res = await fc.diff_for(uow, list(scope.owners), kind, since=before)
    more = ShownDiffMore(f"team={scope.team_id}" if scope.team_id else scope.rep, kind, since).encode()
    return diff_message(uow, locale, res, label, offset=offset, limit=limit, more_value=more)


async def explain_modal(uow: UnitOfWork, locale: str, form: fm.PromptDiff, occurrence_id: int, rep: str) -> dict[str, Any]:
    """The Explain-changes form: one question per significant change of the rep's prompt diff."""
    questions = [
        {"id": str(c.id), "label": uow.ctx.messages.text(locale, "forecast.explain.deal", name=c.name, change=" · ".join(change_parts(uow, locale, c)))}
        for c in significant(form.diff.diff, 10)
    ]  # fmt: skip
    return uow.ctx.messages.view(
        "forecast_explain_modal", locale, fc.tz(uow), questions=questions, metadata=Explain(occurrence_id, rep).encode()
    )


# -- meetings -----------------------------------------------------------------------------------------
def meeting_participants(uow: UnitOfWork, meeting: Any) -> list[str]:
    if meeting.participants:
        return list(meeting.participants)
    return fc.team_members(uow, meeting.team) if meeting.team else []


def significant(diff: Diff, limit: int = 10) -> list[DealChange]:
    return [c for c in diff.changes if c.step][:limit]


async def send_prompt(uow: UnitOfWork, meeting: Any, occurrence: datetime, rep: str, res: fc.DiffResult, occurrence_id: int) -> None:
    locale = person_locale(uow.config, rep, meeting.team)
    tz = fc.tz(uow)
    when = formatting.format_datetime(occurrence, locale, tz) + " " + formatting.tz_label(tz, occurrence, locale)
    value = Explain(occurrence_id, rep).encode()
    msg = diff_message(
        uow, locale, res, name_of(uow, rep), title=_t(uow, locale, "forecast.prompt.title", when=when),
        intro=_t(uow, locale, "forecast.prompt.intro"),
        more_value=PromptDiffMore(occurrence_id, rep).encode(),
        buttons=[
            {"action_id": Action.FORECAST_EXPLAIN, "value": value, "text": _t(uow, locale, "forecast.btn.explain"), "style": "primary"},
            {"action_id": Action.FORECAST_SUBMIT, "value": meeting.period, "text": _t(uow, locale, "forecast.btn.submit_forecast")},
        ],
    )  # fmt: skip
    key = prompt_key(meeting.id, occurrence, rep)
    await notify_person(uow, rep, "forecast_prompt", msg, key=key, dedupe_key=key)


def prompt_key(meeting_id: str, occurrence: datetime, rep: str) -> str:
    return f"forecast-prompt:{meeting_id}:{occurrence.isoformat()}:{rep}"


async def close_prompts(uow: UnitOfWork, meeting: Any, occurrence: datetime) -> int:
    """Once the meeting is over, each rep's prompt that reached Slack keeps its changes but loses
    Explain / Submit / show all (the rule of every actionable message) and says so. Built from the
    newest version Baton wrote. Returns how many prompts were updated."""
    o, updated = OutboxMessage, 0
    for rep in meeting_participants(uow, meeting):
        key = prompt_key(meeting.id, occurrence, rep)
        if await uow.session.get(SlackMessage, key) is None:
            continue  # never posted (held for a digest, or the DM failed): nothing in Slack to update
        message = await uow.session.scalar(
            select(o.payload).where((o.key == key) | ((o.target_key == key) & (o.method == "chat.update"))).order_by(o.id.desc()).limit(1)
        )
        blocks = [b for b in (message or {}).get("blocks") or [] if b.get("type") != "actions"]
        note = _t(uow, person_locale(uow.config, rep, meeting.team), "forecast.prompt.over")
        blocks.append({"type": "context", "block_id": "meeting_over", "elements": [{"type": "mrkdwn", "text": note}]})
        await enqueue(uow, "chat.update", {"text": (message or {}).get("text") or note, "blocks": blocks}, target_key=key)
        updated += 1
    return updated


SUMMARY_CHANGES = 15  # per rep; the rest is counted


async def _changes_with_answers(uow: UnitOfWork, locale: str, diff: Diff, answers: list[fm.Explanation]) -> list[str]:
    """Every change the rep's prompt listed (won deals and category moves too), each with the rep's
    explanation of that deal beneath it; answers about deals not listed, then the overall note."""
    by_deal: dict[int | None, list[str]] = {}
    for e in answers:
        if e.text:
            by_deal.setdefault(e.opportunity_id, []).append(escape_mrkdwn(e.text)[:500])
    lines: list[str] = []
    changes = list(diff.changes)
    for c in changes[:SUMMARY_CHANGES]:
        lines.append(change_line(uow, locale, c, False))
        lines += [_t(uow, locale, "forecast.summary.deal_answer", text=v) for v in by_deal.pop(c.id, [])]
    if len(changes) > SUMMARY_CHANGES:
        lines.append(_t(uow, locale, "forecast.summary.more", n=len(changes) - SUMMARY_CHANGES))
    notes = by_deal.pop(None, [])
    for deal_id, texts in by_deal.items():
        deal = await uow.session.get(Opportunity, deal_id)
        name = escape_mrkdwn(deal.name if deal else f"#{deal_id}")[:150]
        lines += [_t(uow, locale, "forecast.summary.other_answer", name=name, text=v) for v in texts]
    lines += [_t(uow, locale, "forecast.summary.note", text=v) for v in notes]
    if not answers:
        lines.append(_t(uow, locale, "forecast.summary.no_answer"))
    return lines


async def send_summary(uow: UnitOfWork, meeting: Any, occurrence: datetime, occ: fm.Occurrence | None) -> None:
    """The managers' summary of an occurrence (`occ` None: its prompts never went out)."""
    cfg = uow.config
    channel = meeting.channel or cfg.forecast.managers_channel
    team = cfg.team(meeting.team)
    locale = team.locale if team and team.locale else cfg.company.locale
    tz = fc.tz(uow)
    when = formatting.format_datetime(occurrence, locale, tz) + " " + formatting.tz_label(tz, occurrence, locale)
    reps = meeting_participants(uow, meeting)
    p = fc.period(uow, meeting.period)
    bases = await fm.baselines(uow, occ.id) if occ else {}
    answers = await fm.explanations_for(uow, occ.id) if occ else []
    # Submitted "for this meeting" = since the previous one took place (the first: any time this period).
    prev = await fm.previous_occurrence(uow, meeting.id, occurrence)
    since = prev.occurrence if prev else None
    rep_blocks = []
    team_base: list[dict[str, Any]] = []
    for rep in reps:
        b = bases.get(rep)
        base = b.deals if b else []
        team_base += base
        res = await fc.diff_for(uow, [rep], meeting.period, baseline=base, baseline_at=b.at if b else None)
        sub = await fc.last_submission(uow, rep, meeting.period, p.start)
        if sub and (since is None or sub.submitted_at >= since):
            status = _t(uow, locale, "forecast.summary.submitted", when=formatting.format_datetime(sub.submitted_at, locale, tz))
        else:
            status = _t(uow, locale, "forecast.summary.not_submitted")
        lines = await _changes_with_answers(uow, locale, res.diff, [e for e in answers if e.rep == rep])
        rep_blocks += chunks([_t(uow, locale, "forecast.summary.rep", who=who(uow, rep), status=status), waterfall(uow, locale, res.diff), *lines])
    team_res = await fc.diff_for(uow, reps, meeting.period, baseline=team_base, baseline_at=None)
    gaps = gap_lines(uow, locale, await forecast_gaps.call_gaps(uow, reps, meeting.period), meeting.period)
    msg = uow.ctx.messages.message(
        "forecast_summary", locale, tz, title=_t(uow, locale, "forecast.summary.title", when=when), sections=rep_blocks[:40], gaps=gaps,
        team_title=_t(uow, locale, "forecast.summary.team_waterfall"), team_waterfall=waterfall(uow, locale, team_res.diff),
    )  # fmt: skip
    await enqueue(uow, "chat.postMessage", {"channel": channel, **msg},
                  key=f"forecast-summary:{meeting.id}:{occurrence.isoformat()}",
                  dedupe_key=f"forecast-summary:{meeting.id}:{occurrence.isoformat()}")  # fmt: skip
