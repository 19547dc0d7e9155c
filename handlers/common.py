"""Small helpers shared by listeners: who is pressing, in which locale, and private replies."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.exc import TimeoutError as QueueTimeout

from bot.config import Person
from bot.context import UnitOfWork
from bot.domain.health_alerts import may_act
from bot.domain.mql import Decision
from bot.models import Account
from bot.notify import success
from bot.notify.common import team_locale_tz
from bot.runtime import Runtime
from bot.slack.delivery import enqueue


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

    def metadata_int(self) -> int | None:
        return int(self.metadata) if self.metadata.isdecimal() else None

    def metadata_json(self) -> dict[str, Any]:
        try:
            meta = json.loads(self.metadata or "{}")
        except ValueError:
            return {}
        return meta if isinstance(meta, dict) else {}


def baton_of(context: dict[str, Any]) -> Runtime:
    return context["baton"]


def actor(baton: Runtime, body: dict[str, Any]) -> tuple[str, Person | None]:
    user = (body.get("user") or {}).get("id") or body.get("user_id") or ""
    return user, baton.config.person_by_slack(user)


def locale_for(baton: Runtime, person: Person | None, team_id: str | None = None) -> str:
    return (person.locale if person and person.locale else None) or baton.config.locale_of(team_id)


def action_int(body: dict[str, Any]) -> int | None:
    try:
        return int(body["actions"][0]["value"])
    except (KeyError, IndexError, TypeError, ValueError):
        return None


async def tell(uow: UnitOfWork, body: dict[str, Any], user: str, message: str | dict[str, Any]) -> None:
    """A private reply next to where the user acted (ephemeral), through the one delivery path.

    `message` is a text or a rendered message (`{"text", "blocks"}`).
    """
    msg = {"text": message} if isinstance(message, str) else dict(message)
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id") or body.get("channel_id")
    if channel:
        thread = (body.get("message") or {}).get("thread_ts")
        payload = {"channel": channel, "user": user, **msg}
        if thread:
            payload["thread_ts"] = thread
        await enqueue(uow, "chat.postEphemeral", payload)
    else:  # e.g. from a modal or App Home: a DM is the only private place
        await enqueue(uow, "chat.postMessage", {"channel": user, **msg})


def refusal_text(baton: Runtime, locale: str, decision: Any, user: str) -> str:
    """The ephemeral line for a decision that changed nothing (not yours / already decided …)."""
    msgs, config = baton.ctx.messages, baton.config
    if decision.outcome == "not_found":
        return msgs.text(locale, "lead_not_found")
    if decision.outcome == "already_decided":
        who = config.person(decision.decided_by)
        return msgs.text(
            locale, "already_decided",
            who=f"<@{who.slack_id}>" if who else "",
            outcome=msgs.text(locale, f"outcomes.{decision.previous_stage}") if decision.previous_stage else "",
        )  # fmt: skip
    if decision.outcome == "not_allowed":
        lead = decision.lead
        team = config.team(lead.team_id) if lead else None
        assignee = config.person(lead.assignee_id) if lead else None
        if config.person_by_slack(user) is None:
            return msgs.text(locale, "not_in_config", user=f"<@{user}>")
        return msgs.text(
            locale, "not_yours", team=team.name if team else "",
            assignee=f"<@{assignee.slack_id}>" if assignee else "",
        )  # fmt: skip
    return msgs.text(locale, "busy_retry")


async def open_account_modal(body: dict[str, Any], context: dict[str, Any], template: str, **values: Any) -> None:
    """A customer-success button (churn, upsell …): check the account and the person, then open
    its modal; refusals are private and change nothing."""
    baton = baton_of(context)
    user, person = actor(baton, body)
    locale = locale_for(baton, person)
    async with baton.ctx.uow() as uow:
        acc = await uow.session.get(Account, action_int(body) or 0)
        outcome = "not_found" if acc is None else ("churned" if acc.churned else ("ok" if may_act(uow, person, acc) else "not_allowed"))
        if outcome != "ok":
            await tell(uow, body, user, success.refusal_text(uow, locale, outcome))
            return
        _, tz = team_locale_tz(baton.config, None)
        view = baton.ctx.messages.view(template, locale, tz, account=acc, **values)
        await enqueue(uow, "views.open", {"trigger_id": body["trigger_id"], "view": view})


# Slack gives an interaction 3 s. A decision waits at most this long for its turn to write (on
# SQLite writers queue), so the ack always comes in time: committed, or plainly not done.
TURN_WAIT_SECONDS = 2.0


async def commit_then_ack(
    ack: Any, baton: Runtime, body: dict[str, Any], user: str, person: Person | None,
    decide: Callable[[float], Awaitable[None]],
) -> None:  # fmt: skip
    """Run `decide(wait)` (one unit of work that commits the decision and queues what it shows),
    then ack: a crash after the ack cannot lose it. A press that cannot get its turn in time
    changes nothing and is told to retry, instead of Slack showing an error for a decision that
    then lands anyway."""
    try:
        await decide(TURN_WAIT_SECONDS)
    except QueueTimeout:
        await ack()
        async with baton.ctx.uow() as uow:
            await tell(uow, body, user, refusal_text(baton, locale_for(baton, person), Decision("busy"), user))
        return
    await ack()
