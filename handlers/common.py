"""What every listener shares: who is acting, in which locale, the payload read with the one codec,
and the three ways to answer — a private line, a refusal, a modal. A listener is: parse the payload,
one domain call, tell the result (see docs/architecture.md)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.exc import TimeoutError as QueueTimeout


from bot.config import Person
from bot.context import UnitOfWork
from bot.domain.outcomes import Outcome, Result
from bot.notify.common import team_locale_tz
from bot.notify.refusals import refusal_text
from bot.runtime import Runtime
from bot.slack.delivery import RESPOND, enqueue, respond_payload
from bot.slack.ids import View
from bot.slack.payloads import Payload, Ref

P = TypeVar("P", bound=Payload)


class ModalInput:
    """A submitted modal's values (`state.values[block]["value"]`) and metadata, read defensively:
    Slack sends strings; anything of another shape (a garbled or forged payload) counts as absent,
    so a bad submission gets a field error or a refusal, never a stack trace."""

    def __init__(self, view: Any):
        view = view if isinstance(view, dict) else {}
        state = view.get("state")
        values = state.get("values") if isinstance(state, dict) else None
        self.values: dict[str, Any] = values if isinstance(values, dict) else {}
        meta = view.get("private_metadata")
        self.metadata: str = meta if isinstance(meta, str) else ""

    def _element(self, block: str) -> dict[str, Any]:
        entry = self.values.get(block)
        element = entry.get("value") if isinstance(entry, dict) else None
        return element if isinstance(element, dict) else {}

    def blocks(self) -> list[str]:
        return [b for b in self.values if isinstance(b, str)]

    def text(self, block: str) -> str | None:
        """A text input's value, stripped; None when empty or not text."""
        v = self._element(block).get("value")
        return v.strip() or None if isinstance(v, str) else None

    def option(self, block: str) -> str | None:
        opt = self._element(block).get("selected_option")
        v = opt.get("value") if isinstance(opt, dict) else None
        return v if isinstance(v, str) and v else None

    def picked_date(self, block: str) -> str | None:
        v = self._element(block).get("selected_date")
        return v if isinstance(v, str) and v else None

    def meta(self, payload: type[P]) -> P | None:
        return payload.decode(self.metadata)


# Slack gives an interaction 3 s. A decision waits at most this long for its turn to write (on
# SQLite writers queue), so the ack always comes in time: committed, or plainly not done.
TURN_WAIT_SECONDS = 2.0


@dataclass
class Interaction:
    """One button press, modal submission or command, as the listener needs it."""

    baton: Runtime
    body: dict[str, Any]
    user: str
    person: Person | None

    @classmethod
    def of(cls, body: dict[str, Any], context: dict[str, Any]) -> Interaction:
        baton: Runtime = context["baton"]
        user = (body.get("user") or {}).get("id") or body.get("user_id") or ""
        return cls(baton, body, user, baton.config.person_by_slack(user))

    # -- reading the payload -----------------------------------------------------------------------
    @property
    def action(self) -> dict[str, Any]:
        actions = self.body.get("actions")
        first = actions[0] if isinstance(actions, list) and actions else None
        return first if isinstance(first, dict) else {}

    def value(self, payload: type[P]) -> P | None:
        """The pressed button's value (or the selected option's), decoded; None when unreadable."""
        raw = self.action.get("value")
        if raw is None:
            raw = (self.action.get("selected_option") or {}).get("value")
        return payload.decode(raw)

    def ref(self) -> int:
        """The id a button carries (`Ref`); 0 — found by nobody — when unreadable."""
        return (self.value(Ref) or Ref(0)).id

    def locale(self, team_id: str | None = None) -> str:
        p = self.person
        return (p.locale if p and p.locale else None) or self.baton.config.locale_of(team_id)

    def text(self, key: str, team_id: str | None = None, **kw: Any) -> str:
        return self.baton.ctx.messages.text(self.locale(team_id), key, **kw)

    def uow(self, wait: float | None = None) -> AbstractAsyncContextManager[UnitOfWork]:
        return self.baton.ctx.uow(wait=wait)

    # -- answering ---------------------------------------------------------------------------------
    async def tell(self, uow: UnitOfWork, message: str | dict[str, Any]) -> None:
        await tell(uow, self.body, self.user, message)

    async def refuse(self, uow: UnitOfWork, result: Result) -> None:
        msgs, config = self.baton.ctx.messages, self.baton.config
        await self.tell(uow, refusal_text(msgs, config, self.locale(team_of(result)), result, self.user))

    def field_errors(self, result: Result, block_of: dict[str, str] | None = None) -> dict[str, str]:
        """A bad submission's errors, keyed by the modal's block ids, in the person's words."""
        block_of = block_of or {}
        return {block_of.get(f, f): self.text(key) for f, key in result.errors.items()}

    async def open_modal(self, uow: UnitOfWork, view: View, team_id: str | None = None, **values: Any) -> None:
        _, tz = team_locale_tz(self.baton.config, team_id)
        await self.open_view(uow, self.baton.ctx.messages.view(view.value, self.locale(team_id), tz, **values))

    async def open_view(self, uow: UnitOfWork, rendered: dict[str, Any]) -> None:
        """Queue views.open; the outbox worker is kicked on commit (a trigger_id lives 3 s)."""
        await enqueue(uow, "views.open", {"trigger_id": self.body.get("trigger_id"), "view": rendered})

    async def decide(self, ack: Any, decide: Callable[[UnitOfWork], Awaitable[Result | None]]) -> None:
        """Commit, then ack: `decide(uow)` makes the decision and queues what it shows in one unit
        of work (a refused decision is told privately); a crash after the ack cannot lose it. A
        press that cannot get its turn in time changes nothing and is told to retry, instead of
        Slack showing an error for a decision that then lands anyway."""
        try:
            async with self.uow(wait=TURN_WAIT_SECONDS) as uow:
                result = await decide(uow)
                if result is not None and not result.ok:
                    await self.refuse(uow, result)
        except QueueTimeout:
            await ack()
            async with self.uow() as uow:
                await self.refuse(uow, Result(Outcome.BUSY))
            return
        await ack()

    async def report(self, ack: Any, answer: Callable[[UnitOfWork], Awaitable[Result | None]]) -> None:
        """A read that may take a while (a command's report): ack first — Slack's 3 s are for the
        ack, not the analysis — then answer privately (or refuse) through the outbox."""
        async with self.baton.ctx.after_ack():
            await ack()
            async with self.uow() as uow:
                result = await answer(uow)
                if result is not None and not result.ok:
                    await self.refuse(uow, result)

    async def open_checked(
        self, ack: Any, check: Callable[[UnitOfWork], Awaitable[Result]], view: View,
        values: Callable[[Any], dict[str, Any]],
    ) -> None:  # fmt: skip
        """A button that opens a modal: the domain `check` says whether this person may act now;
        allowed → the modal with `values(check)`, else the refusal. Acked after both are queued."""

        async def decide(uow: UnitOfWork) -> Result:
            result = await check(uow)
            if result.ok:
                await self.open_modal(uow, view, team_of(result), **values(result))
            return result

        await self.decide(ack, decide)

    async def submit(
        self, ack: Any, decide: Callable[[UnitOfWork], Awaitable[Result]],
        then: Callable[[UnitOfWork, Any], Awaitable[None]] | None = None, block_of: dict[str, str] | None = None,
    ) -> None:  # fmt: skip
        """A modal submission: bad input → the errors under their fields (the modal stays open,
        nothing written); a refusal → told privately; done → `then(uow, result)` (e.g. announce)."""
        async with self.uow() as uow:
            result = await decide(uow)
            if result.outcome == Outcome.BAD_INPUT:
                await ack(response_action="errors", errors=self.field_errors(result, block_of))
                return
            if not result.ok:
                await self.refuse(uow, result)
            elif then is not None:
                await then(uow, result)
        await ack()


def team_of(result: Result) -> str | None:
    """The team whose locale a result's record speaks (the lead's, the deal's, the loop item's …)."""
    for attr in ("lead", "opportunity", "recycle"):
        record = getattr(result, attr, None)
        if record is not None and getattr(record, "team_id", None):
            return record.team_id
    return None


async def tell(uow: UnitOfWork, body: dict[str, Any], user: str, message: str | dict[str, Any]) -> None:
    """A private reply to where the user acted, through the one delivery path.

    `message` is a text or a rendered message (`{"text", "blocks"}`). A command or a button on a
    message carries a `response_url`: Slack's own way back, which works wherever the person is (a
    DM between people, a private channel the bot is not in) — chat.postEphemeral would not. Without
    one (a modal, App Home) a DM is the only private place.
    """
    msg = {"text": message} if isinstance(message, str) else dict(message)
    url = body.get("response_url")
    if isinstance(url, str) and url:
        await enqueue(uow, RESPOND, respond_payload(url, user, msg, (body.get("message") or {}).get("thread_ts")))
    else:
        await enqueue(uow, "chat.postMessage", {"channel": user, **msg})


Listener = Callable[..., Awaitable[None]]


def button_decision(decide: Callable[[UnitOfWork, int, Person | None], Awaitable[Result]]) -> Listener:
    """A button that decides on the record it carries (`Ref`): `decide(uow, id, person)`."""

    async def handle(ack: Any, body: dict[str, Any], context: dict[str, Any]) -> None:
        it = Interaction.of(body, context)
        await it.decide(ack, lambda uow: decide(uow, it.ref(), it.person))

    return handle


def modal_opener(
    check: Callable[[UnitOfWork, int, Person | None], Awaitable[Result]], view: View,
    values: Callable[[Interaction, Any], dict[str, Any]],
) -> Listener:  # fmt: skip
    """A button that opens a modal about the record it carries, once `check(uow, id, person)` allows."""

    async def handle(ack: Any, body: dict[str, Any], context: dict[str, Any]) -> None:
        it = Interaction.of(body, context)
        await it.open_checked(ack, lambda uow: check(uow, it.ref(), it.person), view, lambda result: values(it, result))

    return handle
