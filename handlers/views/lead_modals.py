"""The lead modals submitted: Reject (an MQL) and Disqualify (an SAL) — reason, note and re-approach
date → recycled or closed — and Qualify (SAL → SQL with BANT notes, handed to Field Sales). Errors
show under their fields; nothing is half-written."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from bot.domain import mql, relay
from bot.slack.ids import View
from bot.slack.payloads import Ref
from handlers.common import Interaction, ModalInput

# The domain names the field "reapproach"; the modals have a date picker block for it.
BLOCK_OF = {"reapproach": "reapproach_date"}
REJECTIONS = {View.MQL_REJECT: mql.reject_mql, View.SAL_DISQUALIFY: relay.disqualify}


def parse_rejection(view: dict[str, Any], today: date) -> tuple[int, str, str | None, date | None]:
    """(lead id, reason, note, re-approach date): a picked date, else a preset number of days."""
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


async def reject(ack: Any, body: dict[str, Any], view: dict[str, Any], context: dict[str, Any]) -> None:
    it = Interaction.of(body, context)
    decide = REJECTIONS[View(view.get("callback_id"))]
    today = it.baton.ctx.now().astimezone(it.baton.config.calendar(None).tz).date()
    lead_id, reason, note, when = parse_rejection(view, today)
    await it.submit(ack, lambda uow: decide(uow, lead_id, it.person, reason, note, when), block_of=BLOCK_OF)


async def qualify(ack: Any, body: dict[str, Any], view: dict[str, Any], context: dict[str, Any]) -> None:
    it, m = Interaction.of(body, context), ModalInput(view)
    lead_id, values = (m.meta(Ref) or Ref(0)).id, {k: m.text(k) for k in (*relay.BANT, "amount", "notes")}
    await it.submit(ack, lambda uow: relay.qualify(uow, lead_id, it.person, values))


VIEWS = {**dict.fromkeys(REJECTIONS, reject), View.SAL_QUALIFY: qualify}
