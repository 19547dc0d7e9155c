"""The forecast modals submitted: a rep's or a manager's call (commit / best case), and a rep's
explanations of what changed before a forecast meeting (kept per deal for the managers' summary)."""

from __future__ import annotations

from typing import Any

from bot.context import UnitOfWork
from bot.domain import forecast as fc
from bot.domain import forecast_meetings as fm
from bot.notify import forecast as nf
from bot.slack.ids import View
from bot.slack.payloads import Explain, SubmitKind
from handlers.common import Interaction, ModalInput


async def submit(ack: Any, body: dict[str, Any], view: dict[str, Any], context: dict[str, Any]) -> None:
    it, m = Interaction.of(body, context), ModalInput(view)
    meta = m.meta(SubmitKind) or SubmitKind("", None)
    commit, best, note = m.text("commit"), m.text("best_case"), m.text("note")

    async def then(uow: UnitOfWork, result: fc.SubmitResult) -> None:
        await it.tell(uow, nf.submitted_text(uow, it.locale(), result.submission))

    await it.submit(ack, lambda uow: fc.submit(
        uow, it.person.id, meta.kind, commit=commit, best_case=best, note=note,
        scope="team" if meta.team_id else "rep", team_id=meta.team_id,
    ), then)  # fmt: skip


async def explain(ack: Any, body: dict[str, Any], view: dict[str, Any], context: dict[str, Any]) -> None:
    it, m = Interaction.of(body, context), ModalInput(view)
    meta = m.meta(Explain) or Explain(0, "")
    answers = {block: text for block in m.blocks() if (text := m.text(block))}

    async def then(uow: UnitOfWork, result: fm.ExplainResult) -> None:
        await it.tell(uow, it.text("forecast.explain.saved_late" if result.late else "forecast.explain.saved"))

    await it.submit(ack, lambda uow: fm.record_explanation(uow, meta.occurrence_id, it.person.id, answers), then)


VIEWS = {View.FORECAST_SUBMIT: submit, View.FORECAST_EXPLAIN: explain}
