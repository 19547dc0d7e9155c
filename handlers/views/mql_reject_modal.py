"""The Reject modal's submission: reason, note and re-approach date → recycled (or closed)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.domain import mql
from bot.slack.ids import View
from bot.slack.payloads import Ref
from handlers.common import Interaction, ModalInput

# The domain names the field "reapproach"; the modal has a date picker block for it.
BLOCK_OF = {"reapproach": "reapproach_date"}


def parse(view: dict[str, Any], today: date) -> tuple[int, str, str | None, date | None]:
    """(lead id, reason, note, re-approach date) from the Reject / Disqualify modal."""
    m = ModalInput(view)
    picked, preset = m.picked_date("reapproach_date"), m.option("reapproach")
    when = None
    if picked:
        try:
            when = date.fromisoformat(picked)
        except ValueError:
            when = today  # rejected by validation as "not in the future"
    elif preset and preset.isdecimal() and len(preset) <= 4:
        when = today + timedelta(days=int(preset))
    return (m.meta(Ref) or Ref(0)).id, m.option("reason") or "", m.text("note"), when


def company_today(it: Interaction) -> date:
    return it.baton.ctx.now().astimezone(it.baton.config.calendar(None).tz).date()


async def handle(ack: Any, body: dict[str, Any], view: dict[str, Any], context: dict[str, Any]) -> None:
    it = Interaction.of(body, context)
    lead_id, reason, note, when = parse(view, company_today(it))
    await it.submit(ack, lambda uow: mql.reject_mql(uow, lead_id, it.person, reason, note, when), block_of=BLOCK_OF)


def register(app: AsyncApp) -> None:
    app.view(View.MQL_REJECT)(handle)
