"""Outbound webhooks: stage events, deal, account and forecast-submission changes → signed HTTP POSTs.

Subscribers queue one outbox row (method ``webhook``) per configured endpoint that wants the event,
in the transaction that made the change; `bot.slack.delivery` sends them through `Sender`, in
lanes of endpoint × record (in order per record), retrying with backoff, never ahead of Slack.
The body is the versioned event JSON (docs/api.md, "Outbound webhooks"); it is signed at send time:
``Baton-Signature: v1=hex(HMAC-SHA256(secret, "v1:" + Baton-Timestamp + ":" + body))``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import uuid
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from sqlalchemy import func, select, update

from bot.clock import Clock
from bot.config import AppConfig
from bot.config_sections.integrations import Webhook
from bot.context import UnitOfWork, subscribe
from bot.domain import accounts, opportunities
from bot.domain.accounts import AccountUpdated
from bot.domain.events import StageChanged
from bot.domain.forecast import ForecastSubmitted
from bot.domain.opportunities import DealUpdated
from bot.models import Account, ForecastSubmission, Lead, Opportunity, OutboxMessage
from bot.slack.delivery import WEBHOOK, Outgoing, enqueue_many

log = logging.getLogger(__name__)

VERSION = 1
SIGNATURE_VERSION = "v1"
TOLERANCE = timedelta(minutes=5)
_RECORDS = {"lead": Lead, "opportunity": Opportunity, "account": Account}
_QUEUED = "webhooks:queued"


# -- signing (the receiver's side is the same function; docs/api.md shows it) ----------------------------
def signature(secret: str, timestamp: str, body: bytes) -> str:
    base = f"{SIGNATURE_VERSION}:{timestamp}:".encode() + body
    return f"{SIGNATURE_VERSION}=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def verify(secret: str, timestamp: str, body: bytes, given: str, now: datetime) -> bool:
    """What a receiver does: the timestamp is recent (no replays) and the signature matches."""
    try:
        age = abs(now.timestamp() - int(timestamp))
    except (TypeError, ValueError):
        return False
    return age <= TOLERANCE.total_seconds() and hmac.compare_digest(signature(secret, timestamp, body), given or "")


# -- queueing, in the transaction of the change ---------------------------------------------------------
def _jsonable(v: Any) -> Any:
    return json.loads(json.dumps(v, default=str))


async def _queue(uow: UnitOfWork, event_type: str, record_type: str, record_id: int, data: dict[str, Any]) -> None:
    hooks = [w for w in uow.config.webhooks if w.wants(event_type)]
    if not hooks:
        return
    model = _RECORDS.get(record_type)
    row = await uow.session.get(model, record_id) if model else None
    event = {
        "version": VERSION,
        "id": uuid.uuid4().hex,  # the idempotency key: the same on every attempt and replay
        "type": event_type,
        "occurred_at": uow.now().isoformat(),
        "record": {"type": record_type, "id": record_id, "external_id": getattr(row, "external_id", None)},
        "data": _jsonable(data),
    }
    queued: list[Outgoing] = uow.cache.setdefault(_QUEUED, [])
    queued += [
        Outgoing(WEBHOOK, {"endpoint": w.id, "event": event}, lane=f"{w.id}:{record_type}:{record_id}") for w in hooks
    ]
    uow.once(_QUEUED, lambda: _flush(uow))  # a batch of 500 leads: one INSERT, in event order


async def _flush(uow: UnitOfWork) -> None:
    items = uow.cache.pop(_QUEUED, [])
    if items:
        await enqueue_many(uow, items)


@subscribe(StageChanged)
async def on_stage_changed(uow: UnitOfWork, ev: StageChanged) -> None:
    record_type = ev.entity_type.split(".", 1)[0]  # opportunity.category → the deal's lane
    data = {
        "entity": ev.entity_type, "from": ev.from_stage, "to": ev.to_stage, "by": ev.actor,
        "team": ev.team_id, "reason": ev.reason, "details": ev.data,
    }  # fmt: skip
    await _queue(uow, "stage.changed", record_type, ev.entity_id, data)


@subscribe(DealUpdated)
async def on_deal_updated(uow: UnitOfWork, ev: DealUpdated) -> None:
    opp = await uow.session.get(Opportunity, ev.opportunity_id)
    if opp is not None and any(w.wants("deal.updated") for w in uow.config.webhooks):
        await _queue(uow, "deal.updated", "opportunity", opp.id, opportunities.as_dict(opp) | {"by": ev.actor})


@subscribe(AccountUpdated)
async def on_account_updated(uow: UnitOfWork, ev: AccountUpdated) -> None:
    acc = await uow.session.get(Account, ev.account_id)
    if acc is not None and any(w.wants("account.updated") for w in uow.config.webhooks):
        await _queue(uow, "account.updated", "account", acc.id, accounts.as_dict(acc) | {"by": ev.actor})


@subscribe(ForecastSubmitted)
async def on_forecast_submitted(uow: UnitOfWork, ev: ForecastSubmitted) -> None:
    sub = await uow.session.get(ForecastSubmission, ev.submission_id)
    if sub is None or not any(w.wants("forecast.submitted") for w in uow.config.webhooks):
        return
    data = {
        "id": sub.id, "person": sub.person_id, "scope": sub.scope, "team": sub.team_id,
        "period_kind": sub.period_kind, "period_start": sub.period_start.isoformat(),
        "commit": str(sub.commit_amount), "best_case": str(sub.best_case_amount),
        "pipeline": str(sub.pipeline_amount), "currency": sub.currency, "note": sub.note,
    }  # fmt: skip
    await _queue(uow, "forecast.submitted", "forecast_submission", sub.id, data)


# -- sending (called by bot.slack.delivery for rows of method "webhook") -----------------------------------
class Sender:
    """One HTTP POST per attempt, only to a URL of app.yaml, bounded by the endpoint's timeout."""

    def __init__(self, config: AppConfig, clock: Clock, env: dict[str, str] | None = None):
        self.hooks: dict[str, Webhook] = {w.id: w for w in config.webhooks}
        self.clock = clock
        self.env = os.environ if env is None else env
        self._http: aiohttp.ClientSession | None = None

    def max_attempts(self, payload: dict[str, Any]) -> int:
        hook = self.hooks.get(payload.get("endpoint") or "")
        return hook.max_attempts if hook else 1

    async def post(self, row_id: int, payload: dict[str, Any], attempt: int) -> tuple[str, Any]:
        """("sent", ({}, payload)), ("no_answer", error) to retry with backoff, or ("permanent", error)."""
        hook = self.hooks.get(payload.get("endpoint") or "")
        if hook is None:
            return "permanent", f"endpoint '{payload.get('endpoint')}' is not in app.yaml webhooks"
        secret = self.env.get(hook.secret_env)
        if not secret:
            return "no_answer", f"{hook.secret_env} is not set: nothing is sent unsigned"
        event = payload.get("event") or {}
        body = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()
        timestamp = str(int(self.clock.now().timestamp()))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": f"Baton-Webhooks/{VERSION}",
            "Idempotency-Key": str(event.get("id", row_id)),
            "Baton-Event": str(event.get("type", "")),
            "Baton-Delivery": str(row_id),
            "Baton-Attempt": str(attempt),
            "Baton-Timestamp": timestamp,
            "Baton-Signature": signature(secret, timestamp, body),
        }
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession()
        try:
            async with self._http.post(
                hook.url, data=body, headers=headers, allow_redirects=False,
                timeout=aiohttp.ClientTimeout(total=hook.timeout_seconds),
            ) as resp:  # fmt: skip
                status = resp.status
        except (aiohttp.ClientError, TimeoutError, OSError) as e:
            # The error's text may carry the URL (and a token in it): name the endpoint instead.
            return "no_answer", f"{type(e).__name__} from webhook '{hook.id}'"
        if 200 <= status < 300:
            return "sent", ({}, payload)
        if status == 410:
            return "permanent", f"HTTP 410 from webhook '{hook.id}' (gone)"
        return "no_answer", f"HTTP {status} from webhook '{hook.id}'"

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None


# -- the failure view and replay (handlers/api/webhooks.py, `python -m bot webhooks`) ---------------------
def _failed_rows(endpoint: str | None) -> Any:
    q = (OutboxMessage.method == WEBHOOK) & (OutboxMessage.status == "failed")
    if endpoint:
        q &= OutboxMessage.lane.startswith(f"{endpoint}:", autoescape=True)
    return q


async def failed(uow: UnitOfWork, *, endpoint: str | None = None, limit: int = 200) -> dict[str, Any]:
    total = await uow.session.scalar(select(func.count()).where(_failed_rows(endpoint)))
    rows = (
        await uow.session.scalars(select(OutboxMessage).where(_failed_rows(endpoint)).order_by(OutboxMessage.id).limit(limit))
    ).all()
    return {
        "total": total or 0,
        "deliveries": [
            {
                "id": r.id,
                "endpoint": (r.payload or {}).get("endpoint"),
                "event_id": ((r.payload or {}).get("event") or {}).get("id"),
                "type": ((r.payload or {}).get("event") or {}).get("type"),
                "record": ((r.payload or {}).get("event") or {}).get("record"),
                "attempts": r.attempts,
                "last_error": r.last_error,
                "created_at": r.created_at.isoformat() if r.created_at else None,
            }
            for r in rows
        ],
    }


async def replay(uow: UnitOfWork, *, ids: list[int] | None = None, endpoint: str | None = None) -> int:
    """Queue failed deliveries again (same event id, so the receiver can dedupe): all of them, those
    of one endpoint, or the ids given. Returns how many."""
    q = _failed_rows(endpoint)
    if ids is not None:
        q &= OutboxMessage.id.in_(ids)
    result = await uow.session.execute(
        update(OutboxMessage)
        .where(q)
        .values(status="pending", attempts=0, lease_until=None, next_attempt_at=uow.now(), last_error="replayed")
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0
