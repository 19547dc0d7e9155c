"""The one way out to Slack: a durable outbox drained by a worker.

- `enqueue` writes a row in the caller's transaction, so a message exists iff the change it
  announces was committed.
- The worker claims rows with a compare-and-set (several processes may drain one database),
  honours ~1 chat.postMessage/s per channel, retries 429 after Retry-After and 5xx/timeouts with
  backoff, and never drops a row: a permanent Slack error marks it `failed` with the error kept.
- A post may be keyed (``lead:12:card``); updates and thread replies name that key and wait until
  the post has a `ts`. After a crash mid-send, a post is first looked up in the channel by its
  outbox id (message metadata) before it is sent again, so it is never posted twice.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import or_, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock, as_utc
from bot.context import UnitOfWork
from bot.models import OutboxMessage, SlackMessage

log = logging.getLogger(__name__)

METADATA_EVENT = "baton_outbox"
# Errors that will not get better by retrying: keep the row as failed for the operator.
PERMANENT_ERRORS = frozenset({
    "invalid_blocks", "invalid_blocks_format", "msg_too_long", "no_text", "channel_not_found",
    "not_in_channel", "user_not_in_channel", "is_archived", "message_not_found", "cant_update_message", "invalid_auth",
    "not_authed", "account_inactive", "token_revoked", "missing_scope", "user_not_found",
    "invalid_arguments", "expired_trigger_id", "invalid_trigger_id", "exchanged_trigger_id",
    "view_too_large", "not_found", "unknown_method", "restricted_action", "invalid_metadata_format",
})  # fmt: skip
RATE_LIMITED_METHODS = frozenset({"chat.postMessage"})
IN_DOUBT = "in_doubt:"
MAX_BACKOFF = 300.0


@dataclass(frozen=True)
class Outgoing:
    """One Web API call to queue; see `enqueue` for what the keys mean."""

    method: str
    payload: dict[str, Any]
    key: str | None = None
    target_key: str | None = None
    thread_key: str | None = None
    dedupe_key: str | None = None
    not_before: datetime | None = None


async def enqueue(
    uow: UnitOfWork,
    method: str,
    payload: dict[str, Any],
    *,
    key: str | None = None,
    target_key: str | None = None,
    thread_key: str | None = None,
    dedupe_key: str | None = None,
    not_before: datetime | None = None,
) -> OutboxMessage | None:
    """Queue one Web API call in the current transaction. Returns None when `dedupe_key` was seen.

    `not_before` holds a message (a DM waiting for the person's working hours, never 3 a.m.).
    """
    out = Outgoing(method, payload, key, target_key, thread_key, dedupe_key, not_before)
    return (await enqueue_many(uow, [out]))[0]


async def enqueue_many(uow: UnitOfWork, items: list[Outgoing]) -> list[OutboxMessage | None]:
    """`enqueue` for a batch (a webinar's 500 MQL cards): one dedupe lookup, one INSERT."""
    s, now = uow.session, uow.now()
    seen: set[str] = set()
    wanted = sorted({o.dedupe_key for o in items if o.dedupe_key})
    for i in range(0, len(wanted), 500):
        chunk = wanted[i : i + 500]
        seen |= set(await s.scalars(select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.in_(chunk))))
    targets = sorted({o.target_key for o in items if o.target_key and o.method == "chat.update"})
    if targets:
        # Only the newest state of a message matters: unsent older updates are superseded.
        await s.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.target_key.in_(targets),
                OutboxMessage.method == "chat.update",
                OutboxMessage.status == "pending",
            )
            .values(status="superseded")
        )
    newest_update = {o.target_key: n for n, o in enumerate(items) if o.target_key and o.method == "chat.update"}
    rows: list[OutboxMessage | None] = []
    for n, o in enumerate(items):
        if o.dedupe_key and o.dedupe_key in seen:
            rows.append(None)
            continue
        if o.dedupe_key:
            seen.add(o.dedupe_key)
        superseded = o.method == "chat.update" and o.target_key and newest_update[o.target_key] != n
        rows.append(
            OutboxMessage(
                method=o.method,
                payload=o.payload,
                channel=o.payload.get("channel") or o.payload.get("channel_id"),
                key=o.key,
                target_key=o.target_key,
                thread_key=o.thread_key,
                dedupe_key=o.dedupe_key,
                status="superseded" if superseded else "pending",
                next_attempt_at=max(now, o.not_before) if o.not_before else now,
                created_at=now,
            )
        )
    s.add_all([r for r in rows if r is not None])
    await s.flush()
    return rows


class Delivery:
    """Drains the outbox. `kick()` after a commit wakes it at once; otherwise it polls."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        client: AsyncWebClient,
        clock: Clock,
        *,
        per_channel_per_second: float = 1.0,
        lease: timedelta = timedelta(seconds=60),
        poll_interval: float = 0.5,
        max_attempts: int = 25,
        on_sent: Callable[[OutboxMessage, dict[str, Any]], None] | None = None,
    ):
        self.sessions = sessions
        self.client = client
        self.clock = clock
        self.min_gap = 1.0 / per_channel_per_second if per_channel_per_second > 0 else 0.0
        self.lease = lease
        self.poll_interval = poll_interval
        self.max_attempts = max_attempts
        self.on_sent = on_sent
        self._wake = asyncio.Event()
        self._next_slot: dict[str, float] = {}  # channel → monotonic time of its next allowed post
        self._paused_until: dict[str, datetime] = {}  # channel → end of Slack's Retry-After (our clock)
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    # -- lifecycle ----------------------------------------------------------------------------
    def kick(self) -> None:
        self._wake.set()

    def start(self) -> None:
        if self._task is None:
            self._stopping = False
            self._task = asyncio.create_task(self._run(), name="baton-delivery")

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        if self._task:
            await self._task
            self._task = None

    async def _run(self) -> None:
        while not self._stopping:
            try:
                sent = await self.drain_once()
            except Exception:  # the worker must outlive any single bad row or a database blip
                log.exception("delivery pass failed; retrying")
                sent = 0
            if sent == 0 and not self._stopping:
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=self._idle_wait())
                except TimeoutError:
                    pass

    def _idle_wait(self) -> float:
        if not self._next_slot:
            return self.poll_interval
        soonest = min(self._next_slot.values()) - time.monotonic()
        return max(0.01, min(self.poll_interval, soonest)) if soonest > 0 else self.poll_interval

    # -- one pass ----------------------------------------------------------------------------
    async def drain_once(self, limit: int = 200) -> int:
        """Send what is ready now; returns how many rows were attempted."""
        now = self.clock.now()
        async with self.sessions() as s:
            rows = list(
                (
                    await s.execute(
                        select(OutboxMessage)
                        .where(
                            or_(
                                (OutboxMessage.status == "pending") & (OutboxMessage.next_attempt_at <= now),
                                (OutboxMessage.status == "sending") & (OutboxMessage.lease_until < now),
                            )
                        )
                        .order_by(OutboxMessage.id)
                        .limit(limit)
                    )
                ).scalars()
            )
            keys = {k for r in rows for k in (r.target_key, r.thread_key) if k}
            known = {}
            if keys:
                known = {m.key: m for m in (await s.execute(select(SlackMessage).where(SlackMessage.key.in_(keys)))).scalars()}
            waiting_on = await self._unsent_keys(s, keys - set(known))

        picked: list[tuple[OutboxMessage, SlackMessage | None, SlackMessage | None]] = []
        lanes: set[str] = set()
        mono = time.monotonic()
        for row in rows:
            lane = row.channel if row.method in RATE_LIMITED_METHODS and row.channel else f"row:{row.id}"
            if lane in lanes:
                continue  # keep each channel's posts in order: one per lane per pass
            target = known.get(row.target_key) if row.target_key else None
            parent = known.get(row.thread_key) if row.thread_key else None
            missing = [k for k in (row.target_key, row.thread_key) if k and k not in known]
            if missing:
                if any(k in waiting_on for k in missing):
                    lanes.add(lane)
                    continue  # its parent post is still on its way
                await self._finish(row.id, "failed", error=f"message {missing[0]} was never posted")
                continue
            if row.method in RATE_LIMITED_METHODS and row.channel and (
                self._next_slot.get(row.channel, 0) > mono or self._paused_until.get(row.channel, now) > now
            ):
                lanes.add(lane)
                continue
            lanes.add(lane)
            picked.append((row, target, parent))

        claimed = []
        for row, target, parent in picked:
            # A lease that ran out, or a post whose answer never came: it may have reached Slack.
            in_doubt = row.status == "sending" or (row.last_error or "").startswith(IN_DOUBT)
            if await self._claim(row):
                claimed.append((row, target, parent, in_doubt))
        if claimed:
            await asyncio.gather(*(self._send(*c) for c in claimed))
        return len(claimed)

    async def _unsent_keys(self, s: AsyncSession, keys: set[str]) -> set[str]:
        if not keys:
            return set()
        rows = await s.execute(
            select(OutboxMessage.key).where(OutboxMessage.key.in_(keys), OutboxMessage.status.in_(("pending", "sending")))
        )
        return {k for (k,) in rows}

    async def _claim(self, row: OutboxMessage) -> bool:
        now = self.clock.now()
        async with self.sessions() as s, s.begin():
            result = await s.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.id == row.id,
                    or_(
                        OutboxMessage.status == "pending",
                        (OutboxMessage.status == "sending") & (OutboxMessage.lease_until < now),
                    ),
                )
                .values(status="sending", lease_until=now + self.lease, attempts=OutboxMessage.attempts + 1)
            )
        if (result.rowcount or 0) != 1:
            return False
        row.attempts += 1
        return True

    async def _send(
        self, row: OutboxMessage, target: SlackMessage | None, parent: SlackMessage | None, in_doubt: bool
    ) -> None:
        payload = dict(row.payload)
        if target:
            payload["channel"], payload["ts"] = target.channel, target.ts
        if parent:
            payload["channel"] = parent.channel
            payload["thread_ts"] = parent.thread_ts or parent.ts
        if row.method == "chat.postMessage":
            payload["metadata"] = {"event_type": METADATA_EVENT, "event_payload": {"outbox_id": row.id}}
        channel = payload.get("channel")
        if row.method in RATE_LIMITED_METHODS and channel:
            self._next_slot[row.channel or channel] = time.monotonic() + self.min_gap
        try:
            if in_doubt and row.method == "chat.postMessage":
                found = await self._find_posted(payload, row.id)
                if found:
                    await self._finish(row.id, "sent", result={"channel": payload["channel"], "ts": found}, row=row, payload=payload)
                    return
            if row.method == "files.upload_v2":
                response = await self._upload(payload)
            else:
                response = await self.client.api_call(row.method, json=payload)
            data = response.data if isinstance(response.data, dict) else {}
            await self._finish(row.id, "sent", result=data, row=row, payload=payload)
        except SlackApiError as e:
            await self._failed_call(row, e.response.status_code, e.response.headers, e.response.get("error"))
        except (aiohttp.ClientError, TimeoutError, ConnectionError, OSError) as e:
            # No answer: Slack may or may not have posted it. The next attempt looks before it posts.
            await self._retry(row, f"{IN_DOUBT} {type(e).__name__}: {e}", self._backoff(row.attempts))

    async def _upload(self, payload: dict[str, Any]) -> Any:
        """`files.upload_v2`: the payload carries the bytes as base64 (the outbox row is JSON)."""
        import base64

        return await self.client.files_upload_v2(
            content=base64.b64decode(payload["content_b64"]),
            filename=payload.get("filename") or "file",
            title=payload.get("title"),
            channel=payload.get("channel"),
            thread_ts=payload.get("thread_ts"),
            initial_comment=payload.get("initial_comment"),
            request_file_info=False,
        )

    async def _find_posted(self, payload: dict[str, Any], outbox_id: int) -> str | None:
        """Did an earlier attempt of this post reach Slack? Look for our outbox id in the metadata."""
        try:
            if payload.get("thread_ts"):
                resp = await self.client.api_call(
                    "conversations.replies",
                    params={"channel": payload["channel"], "ts": payload["thread_ts"], "include_all_metadata": "true", "limit": 200},
                )
            else:
                resp = await self.client.api_call(
                    "conversations.history",
                    params={"channel": payload["channel"], "include_all_metadata": "true", "limit": 200},
                )
        except (SlackApiError, aiohttp.ClientError, TimeoutError, OSError):
            return None
        for m in resp.get("messages", []):
            meta = m.get("metadata") or {}
            if meta.get("event_type") == METADATA_EVENT and (meta.get("event_payload") or {}).get("outbox_id") == outbox_id:
                return m.get("ts")
        return None

    async def _failed_call(self, row: OutboxMessage, status: int, headers: Any, error: str | None) -> None:
        if status == 429 or error == "ratelimited":
            retry_after = _retry_after(headers)
            if row.channel:  # the whole channel waits, not just this message
                self._paused_until[row.channel] = self.clock.now() + timedelta(seconds=retry_after)
            await self._retry(row, "ratelimited", retry_after, count_attempt=False)
        elif error in PERMANENT_ERRORS:
            log.error("slack refused %s (outbox %s): %s", row.method, row.id, error)
            await self._finish(row.id, "failed", error=error)
        else:
            await self._retry(row, f"HTTP {status} {error or ''}".strip(), self._backoff(row.attempts))

    def _backoff(self, attempts: int) -> float:
        return min(MAX_BACKOFF, 2 ** max(0, attempts - 1)) * random.uniform(0.8, 1.2)

    async def _retry(self, row: OutboxMessage, error: str, delay: float, count_attempt: bool = True) -> None:
        if count_attempt and row.attempts >= self.max_attempts:
            log.error("giving up on %s (outbox %s) after %s attempts: %s", row.method, row.id, row.attempts, error)
            await self._finish(row.id, "failed", error=error)
            return
        now = self.clock.now()
        async with self.sessions() as s, s.begin():
            values: dict[str, Any] = {
                "status": "pending",
                "lease_until": None,
                "last_error": error,
                "next_attempt_at": now + timedelta(seconds=delay),
            }
            if not count_attempt:
                values["attempts"] = OutboxMessage.attempts - 1
            await s.execute(update(OutboxMessage).where(OutboxMessage.id == row.id).values(**values))

    async def _finish(self, row_id: int, status: str, **kw: Any) -> None:
        """Record the outcome. Slack has already acted, so a database blip must not lose the record
        (the row would wait out its lease as "in doubt"): retry until the database answers."""
        delay = 0.2
        for attempt in range(40):
            try:
                await self._record(row_id, status, **kw)
                return
            except (DBAPIError, OSError, ConnectionError) as e:
                if attempt == 39:
                    raise
                log.warning("cannot record outbox %s as %s yet (%s); retrying", row_id, status, type(e).__name__)
                await asyncio.sleep(delay)
                delay = min(5.0, delay * 2)

    async def _record(
        self,
        row_id: int,
        status: str,
        *,
        error: str | None = None,
        result: dict[str, Any] | None = None,
        row: OutboxMessage | None = None,
        payload: dict[str, Any] | None = None,
    ) -> None:
        now = self.clock.now()
        async with self.sessions() as s, s.begin():
            await s.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == row_id)
                .values(status=status, last_error=error, lease_until=None, sent_at=now if status == "sent" else None)
            )
            if status == "sent" and row is not None and row.key and result and result.get("ts"):
                if await s.get(SlackMessage, row.key) is None:
                    s.add(
                        SlackMessage(
                            key=row.key,
                            channel=result.get("channel") or row.channel or "",
                            ts=result["ts"],
                            thread_ts=(payload or {}).get("thread_ts") or _thread_of(result),
                            posted_at=now,
                        )
                    )
        if status == "sent" and self.on_sent and row is not None:
            self.on_sent(row, result or {})

    async def recover_abandoned(self) -> int:
        """After a restart on a single-process database: what the dead process was sending is in
        doubt now, not in 60 s. Each such post is looked up in its channel before any resend."""
        async with self.sessions() as s, s.begin():
            result = await s.execute(
                update(OutboxMessage)
                .where(OutboxMessage.status == "sending")
                .values(status="pending", lease_until=None, last_error=f"{IN_DOUBT} the process sending it stopped")
            )
        return result.rowcount or 0

    # -- introspection for health checks and tests ------------------------------------------------
    async def backlog(self) -> dict[str, int]:
        from sqlalchemy import func

        async with self.sessions() as s:
            rows = await s.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))
            return {status: n for status, n in rows}


def _thread_of(result: dict[str, Any]) -> str | None:
    message = result.get("message") or {}
    return message.get("thread_ts")


def _retry_after(headers: Any) -> float:
    try:
        value = headers.get("Retry-After") or headers.get("retry-after")
        return max(1.0, float(value))
    except (TypeError, ValueError, AttributeError):
        return 1.0


def next_attempt(row: OutboxMessage) -> datetime | None:
    return as_utc(row.next_attempt_at)
