"""Submissions of the Qualify and Disqualify modals (errors shown in the modal, nothing half-written)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.domain import relay
from handlers.common import ModalInput, actor, baton_of, locale_for, tell
from handlers.views.mql_reject_modal import parse as parse_reject


def refusal(baton: Any, locale: str, outcome: str) -> str:
    key = {"not_found": "lead_not_found", "not_allowed": "relay.not_sal_owner", "no_fs_rep": "relay.no_fs_rep"}
    return baton.ctx.messages.text(locale, key.get(outcome, "relay.already_handled"))


async def qualify(ack: Any, body: dict[str, Any], view: dict[str, Any], context: dict[str, Any]) -> None:
    baton = baton_of(context)
    user, person = actor(baton, body)
    locale = locale_for(baton, person)
    m = ModalInput(view)
    lead_id = m.metadata_int() or 0
    values = {k: m.text(k) for k in (*relay.BANT, "amount", "notes")}
    async with baton.ctx.uow() as uow:
        result = await relay.qualify(uow, lead_id, person, values)
        if result.outcome == "bad_input":
            await ack(response_action="errors", errors={f: baton.ctx.messages.text(locale, k) for f, k in result.errors.items()})
            return
        if not result.ok:
            await tell(uow, body, user, refusal(baton, locale, result.outcome))
    await ack()


async def disqualify(ack: Any, body: dict[str, Any], view: dict[str, Any], context: dict[str, Any]) -> None:
    baton = baton_of(context)
    user, person = actor(baton, body)
    locale = locale_for(baton, person)
    today = baton.ctx.now().astimezone(baton.config.calendar(None).tz).date()
    lead_id, reason, note, when = parse_reject(view, today)
    async with baton.ctx.uow() as uow:
        result = await relay.disqualify(uow, lead_id or 0, person, reason or "", note, when)
        if result.outcome == "bad_input":
            block_of = {"reapproach": "reapproach_date"}
            errors = {block_of.get(f, f): baton.ctx.messages.text(locale, k) for f, k in result.errors.items()}
            await ack(response_action="errors", errors=errors)
            return
        if not result.ok:
            await tell(uow, body, user, refusal(baton, locale, result.outcome))
    await ack()


def register(app: AsyncApp) -> None:
    app.view("sal_qualify_modal")(qualify)
    app.view("sal_disqualify_modal")(disqualify)
