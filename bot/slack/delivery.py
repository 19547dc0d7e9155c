"""The one way out to Slack: a durable outbox drained by a worker.

- `enqueue` writes a row in the caller's transaction, so a message exists iff the change it
  announces was committed.
- The worker claims rows with a compare-and-set (several processes may drain one database),
  honours ~1 chat.postMessage/s per channel, retries 429 after Retry-After and 5xx/timeouts with
  backoff, and never drops a row: a permanent Slack error marks it `failed` with the error kept.
- A post may be keyed (``lead:12:card``); updates and thread replies name that key and wait until
  the post has a `ts`. After a crash mid-send, a post is first looked up in the channel by its
  outbox id (message metadata) before it is sent again, so it is never posted twice.
- Outbound webhooks (method ``webhook``) ride the same rows, in lanes of their own: one lane per
  endpoint × record, sent one at a time in id order by a sender given to `Delivery` (the HTTP call,
  bounded in time), with their own concurrency, so an endpoint that is down never delays Slack.
  At least once: a webhook attempt cut short is simply sent again (the receiver dedupes by key).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import logging
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient
from sqlalchemy import case, func, or_, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock, as_utc
from bot.context import UnitOfWork
from bot.db import database_down
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
    "invalid_payload", "expired_url", "used_url",
})  # fmt: skip
RATE_LIMITED_METHODS = frozenset({"chat.postMessage"})
WEBHOOK = "webhook"
# Not a Web API method: a reply POSTed to an interaction's response_url (ephemeral by default).
RESPOND = "response_url"
# The response_url no longer takes answers (30 minutes, 5 uses): the reply goes to the person's DM.
RESPONSE_URL_GONE = frozenset({"expired_url", "used_url"})
IN_DOUBT = "in_doubt:"
MAX_BACKOFF = 300.0
def _lane_failed(e: BaseException, what: str, *args: Any) -> None:
    if database_down(e):
        log.warning(what + ": cannot reach the database (%s); retrying", *args, type(e).__name__)
    else:
        log.exception(what + " failed; retrying", *args)
PASS_BACKOFF = 10.0  # the longest wait between delivery passes while the database is unreachable


def respond_payload(url: str, user: str, message: dict[str, Any], thread_ts: str | None = None) -> dict[str, Any]:
    """An outbox payload for a private reply through `url` (`user` gets it as a DM if the url is gone)."""
    payload = {"url": url, "user": user, "response_type": "ephemeral", "replace_original": False, **message}
    if thread_ts:
        payload["thread_ts"] = thread_ts
    return payload


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
    lane: str | None = None


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
                key=o.key or _auto_key(o.method),
                target_key=o.target_key,
                thread_key=o.thread_key,
                dedupe_key=o.dedupe_key,
                lane=o.lane,
                status="superseded" if superseded else "pending",
                next_attempt_at=max(now, o.not_before) if o.not_before else now,
                created_at=now,
            )
        )
    s.add_all([r for r in rows if r is not None])
    await s.flush()
    return rows


def _auto_key(method: str) -> str | None:
    """Every post gets a key, so where it landed is recorded (SlackMessage) and it can be found and
    edited later — a data-subject erasure redacts whatever Baton posted, keyed by its caller or not."""
    return f"msg:{uuid.uuid4().hex}" if method == "chat.postMessage" else None


# Only what choosing needs: the payload (Block Kit JSON) is loaded by the claim, for rows being sent.
_PICK_COLUMNS = (
    OutboxMessage.id, OutboxMessage.method, OutboxMessage.channel,
    OutboxMessage.key, OutboxMessage.target_key, OutboxMessage.thread_key, OutboxMessage.lane,
)  # fmt: skip


@dataclass(slots=True)
class _Pick:
    id: int
    method: str
    channel: str | None
    key: str | None
    target_key: str | None
    thread_key: str | None
    ordered_in: str | None  # a webhook's lane (endpoint × record)

    @property
    def paced(self) -> bool:
        return self.method in RATE_LIMITED_METHODS and bool(self.channel)

    @property
    def lane(self) -> str:
        """A lane's rows go out one at a time in id order: a channel's posts (paced), the updates of
        one message (so an older state never lands after a newer one), a webhook endpoint × record,
        or a row on its own."""
        if self.method == WEBHOOK:
            return f"webhook:{self.ordered_in or self.id}"
        if self.paced:
            return f"channel:{self.channel}"
        if self.target_key:
            return f"target:{self.target_key}"
        return f"row:{self.id}"


@dataclass(slots=True)
class _Claimed(_Pick):
    """A row this process holds the claim on, with its payload (what `on_sent` receives)."""

    payload: dict[str, Any]
    attempts: int
    in_doubt: bool  # an earlier attempt may have reached Slack: look before posting
    lease_until: datetime


def _ready(now: datetime) -> Any:
    return or_(
        (OutboxMessage.status == "pending") & (OutboxMessage.next_attempt_at <= now),
        (OutboxMessage.status == "sending") & (OutboxMessage.lease_until < now),
    )


_PACED = OutboxMessage.method.in_(RATE_LIMITED_METHODS) & OutboxMessage.channel.is_not(None)
_WEBHOOK = OutboxMessage.method == WEBHOOK


class Delivery:
    """Drains the outbox. `kick()` after a commit wakes it at once; otherwise it polls.

    Running (`start()`), one sender task per channel claims that channel's next posts (about a
    second's worth, in one statement) and sends them in id order, each in its own slot, so a slow,
    failing or rate-limited channel holds up only itself. Other calls (updates, ephemerals, App
    Home views, uploads) are sent by short tasks, one at a time per target message.
    `drain_once()` makes the same choice once, for tests and tools that drive delivery by hand.
    """

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
        stop_grace: float = 3.0,
        unpaced_concurrency: int = 8,
        on_sent: Callable[[_Claimed, dict[str, Any]], None] | None = None,
        webhooks: Any = None,
        webhook_concurrency: int = 4,
    ):
        # On SQLite this worker's transactions queue in order with everyone else's on the one
        # in-process writer lock (bot/db.py), never in SQLite's sleeping busy handler.
        self.sessions = sessions
        self.client = client
        self.clock = clock
        self.min_gap = 1.0 / per_channel_per_second if per_channel_per_second > 0 else 0.0
        # Slack allows "short bursts >1" above its 1 post/s per channel, without promising them: a
        # burst of at most a tenth of a second's worth, so at 1/s (Slack's rate) pacing stays strict.
        self.tolerance = (max(1, int(per_channel_per_second * 0.1)) - 1) * self.min_gap
        # A channel's claim covers about one second of its slots: one statement per second, not per post.
        self.claim_batch = max(1, min(50, round(per_channel_per_second))) if per_channel_per_second > 0 else 50
        self.lease = lease
        self.poll_interval = poll_interval
        self.max_attempts = max_attempts
        self.stop_grace = stop_grace
        self.on_sent = on_sent
        # The webhook sender (bot/integrations/webhooks.py `Sender`): `post(row_id, payload, attempt)`
        # → an outcome like `_call`'s, `max_attempts(payload)`, `close()`. None: webhook rows wait.
        self.webhooks = webhooks
        self._webhook_slots = asyncio.Semaphore(webhook_concurrency)
        self._wake = asyncio.Event()
        self._stop_event = asyncio.Event()
        self._kicks = 0
        self._next_slot: dict[str, float] = {}  # channel → monotonic time of its next allowed post
        self._paused_until: dict[str, datetime] = {}  # channel → end of Slack's Retry-After (our clock)
        self._task: asyncio.Task[None] | None = None
        self._lanes: dict[str, asyncio.Task[None]] = {}  # lane → the task sending it now
        self._unpaced = asyncio.Semaphore(unpaced_concurrency)
        self._waiting_keys: set[str] = set()  # keys a picked row waits on: their post wakes the dispatcher
        self._claimed_unsent: dict[int, datetime] = {}  # claimed, no call started yet → its lease
        self._settling: set[asyncio.Task[None]] = set()  # outcomes being recorded
        self._posted: list[tuple[_Claimed, dict[str, Any], dict[str, Any], Any]] = []  # accepted, to record
        self._recorder: asyncio.Task[None] | None = None
        self._stopping = False
        self._joined: set[str] = set()  # public channels this process joined (or found it cannot)

    # -- lifecycle ----------------------------------------------------------------------------
    def kick(self) -> None:
        self._kicks += 1
        self._wake.set()

    def start(self) -> None:
        if self._task is None:
            self._stopping = False
            self._stop_event.clear()
            self._task = asyncio.create_task(self._run(), name="baton-delivery")

    async def stop(self) -> None:
        """Stop promptly. No new send starts; sends in flight get `stop_grace` seconds to finish. A
        send still waiting on Slack after that stays claimed, so the next process treats it as in
        doubt (looked up in its channel before any resend: at start on SQLite, after the lease
        elsewhere). Rows claimed but not yet sent are released at once."""
        self._stopping = True
        self._stop_event.set()
        self._wake.set()
        tasks = [t for t in (self._task, self._recorder, *self._lanes.values(), *self._settling) if t is not None]
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=self.stop_grace)
            for t in late:
                t.cancel()
            if late:
                log.warning("delivery stopped with %d task(s) unfinished; their sends are retried as in doubt", len(late))
                await asyncio.gather(*late, return_exceptions=True)
        self._task = None
        self._lanes.clear()
        await self._release(list(self._claimed_unsent))
        if self.webhooks is not None:
            await self.webhooks.close()

    async def _release(self, ids: list[int]) -> None:
        """Give claimed rows that were never sent back to the queue, as they were. Only rows still
        under this process's own lease: once it ran out, another process may hold them."""
        if not ids:
            return
        try:
            async with asyncio.timeout(2), self.sessions() as s, s.begin():
                for lease_until, group in itertools.groupby(sorted(ids, key=self._claimed_unsent.__getitem__), key=self._claimed_unsent.__getitem__):
                    await s.execute(
                        update(OutboxMessage)
                        .where(
                            OutboxMessage.id.in_(list(group)),
                            OutboxMessage.status == "sending",
                            OutboxMessage.lease_until == lease_until,
                        )
                        .values(status="pending", lease_until=None, attempts=OutboxMessage.attempts - 1)
                    )
        except (DBAPIError, OSError, ConnectionError, TimeoutError):  # the lease runs out, then any process takes them
            log.warning("could not release %d claimed outbox row(s); they wait out their lease", len(ids))
        for i in ids:
            self._claimed_unsent.pop(i, None)

    async def _run(self) -> None:
        failures = 0  # consecutive failed passes: a database that is down is retried ever less often
        while not self._stopping:
            self._wake.clear()  # before the pass: a kick during it means "look again"
            try:
                await self._dispatch()
                failures = 0
            except Exception as e:  # the worker must outlive any single bad row or a database blip
                failures += 1
                if database_down(e):
                    # One line per retry, the traceback only the first time: a database down for an hour
                    # must not write a traceback every half second.
                    log.warning("delivery: cannot reach the database (%s); retrying in %.1f s",
                                type(e).__name__, self._pass_wait(failures), exc_info=failures == 1)  # fmt: skip
                else:
                    log.exception("delivery pass failed; retrying")
            if self._stopping:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._pass_wait(failures))

    def _pass_wait(self, failures: int) -> float:
        """The wait before the next pass: the poll interval, doubled per consecutive failure up to PASS_BACKOFF."""
        return self.poll_interval if not failures else min(self.poll_interval * 2 ** min(failures, 10), PASS_BACKOFF)

    async def _dispatch(self) -> None:
        """Start a sender for every ready lane that has none running."""
        now = self.clock.now()
        async with self.sessions() as s:
            picks = [p for p in await self._ready_picks(s, now) if p.lane not in self._lanes]
            known, waiting = await self._resolve(s, picks)
        self._waiting_keys.clear()  # what still waits is found again just below
        for p in picks:
            go = await self._check(p, known, waiting)
            if go == "wait":
                continue  # its lane starts when the parent post is recorded (or on the next pass)
            if p.paced:
                self._spawn(p.lane, self._channel_lane(p.channel or ""))
            elif p.method == WEBHOOK:
                self._spawn(p.lane, self._webhook(p))
            elif isinstance(go, tuple) and not self._paused(p, go, now):
                self._spawn(p.lane, self._one(p, *go))

    def _spawn(self, lane: str, coro: Any) -> None:
        task = asyncio.create_task(coro, name=f"baton-delivery {lane}")
        self._lanes[lane] = task
        task.add_done_callback(lambda t: self._lanes.pop(lane) if self._lanes.get(lane) is t else None)

    async def _one(self, p: _Pick, target: SlackMessage | None, parent: SlackMessage | None) -> None:
        try:
            async with self._unpaced:
                if not self._stopping:
                    await self._attempt(p, target, parent)
        except Exception as e:  # noqa: BLE001
            _lane_failed(e, "delivery of outbox %s", p.id)

    async def _webhook(self, p: _Pick) -> None:
        """One webhook row, in its own pool: a slow or dead endpoint holds only webhook lanes."""
        try:
            async with self._webhook_slots:
                if not self._stopping and self.webhooks is not None:
                    await self._attempt(p, None, None)
        except Exception as e:  # noqa: BLE001
            _lane_failed(e, "webhook delivery of outbox %s", p.id)
        finally:
            self._wake.set()  # the lane's next row (if any) can go now

    async def _channel_lane(self, channel: str) -> None:
        """One channel's sender: claims its next posts, sends them in id order, each in its own slot."""
        try:
            while await self._unpaused(channel):
                kicks = self._kicks
                batch = await self._claim(_PACED & (OutboxMessage.channel == channel), self.claim_batch)
                if not batch:
                    if kicks != self._kicks:
                        self._wake.set()  # something was queued while we looked: let the dispatcher see it
                    return
                if not await self._send_in_order(channel, batch):
                    return  # the channel waits for a parent post; recording that post wakes the dispatcher
        except Exception as e:  # noqa: BLE001 — the dispatcher starts this lane again on its next pass
            _lane_failed(e, "delivery to %s", channel)

    async def _send_in_order(self, channel: str, batch: list[_Claimed]) -> bool:
        """Send one channel's claimed rows in order. Whatever is left when the channel must wait
        (Retry-After, a parent post not yet posted, a lease running low, stopping) is released
        unsent. False when the channel waits for a parent post."""
        rest = sorted(batch, key=lambda r: r.id)
        self._claimed_unsent.update((r.id, r.lease_until) for r in rest)
        waits_for_parent = False
        # Outcomes are recorded while the next post waits for its slot; a row that names a parent
        # first waits for them, so it sees every post before it.
        settling: list[asyncio.Task[None]] = []
        try:
            while rest and not self._stopping:
                row = rest[0]
                now = self.clock.now()
                if self._paused_until.get(channel, now) > now or row.lease_until - now < self.lease / 2:
                    break
                go: Any = (None, None)
                if row.target_key or row.thread_key:
                    await _settled(settling)
                    async with self.sessions() as s:
                        known, waiting = await self._resolve(s, [row])
                    go = await self._check(row, known, waiting)
                    if go == "wait":
                        waits_for_parent = True
                        break
                    if go == "failed":
                        rest.pop(0)
                        self._claimed_unsent.pop(row.id, None)
                        continue
                await self._until_slot(channel)
                if self._stopping:
                    break  # no new send once stopping: stop() hands the row back
                rest.pop(0)
                self._claimed_unsent.pop(row.id, None)
                outcome = await self._call(row, *go)
                settling.append(self._track(self._settle(row, outcome)))
        finally:
            await _settled(settling)
            if rest and not self._stopping:
                await self._release([r.id for r in rest])  # when stopping, stop() releases them
        return not waits_for_parent

    def _track(self, coro: Any) -> asyncio.Task[None]:
        """A recording that must not be lost to a cancelled lane: stop() waits for it too."""
        task = asyncio.create_task(coro)
        self._settling.add(task)
        task.add_done_callback(self._settling.discard)
        return task

    async def _until_slot(self, channel: str) -> None:
        """Wait for the channel's next slot: slots are 1/R apart on a schedule kept per channel, and
        a post may go up to `tolerance` early to make up for a late one before it (a task woken a
        few ms late must not stretch every later gap). Never faster than R on average."""
        delay = self._next_slot.get(channel, 0.0) - self.tolerance - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        self._next_slot[channel] = max(self._next_slot.get(channel, 0.0), time.monotonic()) + self.min_gap

    async def _unpaused(self, channel: str) -> bool:
        """Wait out Slack's Retry-After for the channel (on the injectable clock). False when stopping."""
        while not self._stopping:
            until, now = self._paused_until.get(channel), self.clock.now()
            if until is None or until <= now:
                return True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop_event.wait(), min((until - now).total_seconds(), self.poll_interval))
        return False

    # -- choosing ---------------------------------------------------------------------------------
    async def _ready_picks(self, s: AsyncSession, now: datetime, limit: int = 200) -> list[_Pick]:
        """The first ready row of each lane: one per channel for posts, up to `limit` others."""
        heads = select(func.min(OutboxMessage.id)).where(_ready(now), _PACED).group_by(OutboxMessage.channel)
        rows = list((await s.execute(select(*_PICK_COLUMNS).where(OutboxMessage.id.in_(heads)))).all())
        rows += (
            await s.execute(
                select(*_PICK_COLUMNS).where(_ready(now), ~_PACED, ~_WEBHOOK).order_by(OutboxMessage.id).limit(limit)
            )
        ).all()
        if self.webhooks is not None:
            # A webhook lane's head is its oldest row not yet delivered: while it waits for its
            # retry, the rows behind it wait too (in order per record). A row set aside as failed
            # no longer holds its lane.
            webhook_heads = (
                select(func.min(OutboxMessage.id))
                .where(_WEBHOOK, OutboxMessage.status.in_(("pending", "sending")))
                .group_by(OutboxMessage.lane)
            )
            rows += (
                await s.execute(
                    select(*_PICK_COLUMNS)
                    .where(OutboxMessage.id.in_(webhook_heads), _ready(now))
                    .order_by(OutboxMessage.id)
                    .limit(limit)
                )
            ).all()
        picks, lanes = [], set()
        for row in sorted(rows, key=lambda r: r[0]):
            p = _Pick(*row)
            if p.lane not in lanes:
                lanes.add(p.lane)
                picks.append(p)
        return picks

    async def _resolve(self, s: AsyncSession, picks: list[_Pick]) -> tuple[dict[str, SlackMessage], set[str]]:
        """The posted messages the picks target or reply under, and which missing ones are still queued."""
        keys = {k for p in picks for k in (p.target_key, p.thread_key) if k}
        if not keys:
            return {}, set()
        known = {m.key: m for m in (await s.execute(select(SlackMessage).where(SlackMessage.key.in_(keys)))).scalars()}
        return known, await self._unsent_keys(s, keys - set(known))

    async def _check(
        self, p: _Pick, known: dict[str, SlackMessage], waiting: set[str]
    ) -> tuple[SlackMessage | None, SlackMessage | None] | str:
        """(target, parent) when the row can go now; "wait" while its parent post is still queued;
        "failed" when the parent will never be posted (the row is kept as failed)."""
        missing = [k for k in (p.target_key, p.thread_key) if k and k not in known]
        if missing:
            if any(k in waiting for k in missing):
                self._waiting_keys.update(k for k in missing if k in waiting)
                return "wait"
            await self._finish(p.id, "failed", error=f"message {missing[0]} was never posted")
            return "failed"
        return (known.get(p.target_key) if p.target_key else None, known.get(p.thread_key) if p.thread_key else None)

    # -- one pass ----------------------------------------------------------------------------
    async def drain_once(self, limit: int = 200) -> int:
        """Send what is ready now, one row per lane; returns how many rows were attempted."""
        now = self.clock.now()
        async with self.sessions() as s:
            picks = await self._ready_picks(s, now, limit)
            known, waiting = await self._resolve(s, picks)
        mono = time.monotonic()
        go = []
        for p in picks:
            if p.paced and (self._next_slot.get(p.channel or "", 0) - self.tolerance > mono or self._paused_until.get(p.channel or "", now) > now):
                continue
            checked = await self._check(p, known, waiting)
            if isinstance(checked, tuple) and not self._paused(p, checked, now):
                go.append(self._attempt(p, *checked))
        return sum(await asyncio.gather(*go))

    async def _attempt(self, p: _Pick, target: SlackMessage | None, parent: SlackMessage | None) -> bool:
        """Claim one row and send it. False when another process took it first."""
        [row] = await self._claim(OutboxMessage.id == p.id, 1) or [None]
        if row is None:
            return False
        if p.paced and p.channel:
            await self._until_slot(p.channel)
        await self._send(row, target, parent)
        return True

    async def _unsent_keys(self, s: AsyncSession, keys: set[str]) -> set[str]:
        if not keys:
            return set()
        rows = await s.execute(
            select(OutboxMessage.key).where(OutboxMessage.key.in_(keys), OutboxMessage.status.in_(("pending", "sending")))
        )
        return {k for (k,) in rows}

    async def _claim(self, which: Any, limit: int) -> list[_Claimed]:
        """Compare-and-set the first `limit` ready rows matching `which` to `sending` under a lease,
        loading their payloads, in one statement."""
        now = self.clock.now()
        lease_until = now + self.lease
        # PostgreSQL: rows another process is claiming right now are skipped, not waited for (SQLite
        # has one writer at a time and renders no FOR UPDATE).
        first = (
            select(OutboxMessage.id)
            .where(_ready(now), which)
            .order_by(OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        async with self.sessions() as s, s.begin():
            rows = (
                await s.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id.in_(first.scalar_subquery()), _ready(now))
                    .values(
                        status="sending",
                        lease_until=lease_until,
                        attempts=OutboxMessage.attempts + 1,
                        # A lease that ran out: that attempt may have reached Slack.
                        last_error=case(
                            (OutboxMessage.status == "sending", f"{IN_DOUBT} its lease ran out"),
                            else_=OutboxMessage.last_error,
                        ),
                    )
                    .returning(*_PICK_COLUMNS, OutboxMessage.payload, OutboxMessage.attempts, OutboxMessage.last_error)
                    .execution_options(synchronize_session=False)
                )
            ).all()
        return [
            _Claimed(
                *r[:7],
                payload=r.payload,
                attempts=r.attempts,
                in_doubt=(r.last_error or "").startswith(IN_DOUBT),
                lease_until=lease_until,
            )
            for r in rows
        ]

    async def _send(self, row: _Claimed, target: SlackMessage | None, parent: SlackMessage | None) -> None:
        await self._settle(row, await self._call(row, target, parent))

    async def _call(self, row: _Claimed, target: SlackMessage | None, parent: SlackMessage | None) -> tuple[str, Any]:
        """Slack's side of one attempt, no database: ("sent", (result, payload)), ("refused",
        (status, headers, error)) or ("no_answer", error). A 429 pauses the channel at once."""
        if row.method == WEBHOOK:
            return await self.webhooks.post(row.id, row.payload, row.attempts)
        payload = dict(row.payload)
        if target:
            payload["channel"], payload["ts"] = target.channel, target.ts
        if parent:
            payload["channel"] = parent.channel
            payload["thread_ts"] = parent.thread_ts or parent.ts
        if row.method == "chat.postMessage":
            payload["metadata"] = {"event_type": METADATA_EVENT, "event_payload": {"outbox_id": row.id}}
        try:
            if row.in_doubt and row.method == "chat.postMessage":
                found = await self._find_posted(payload, row.id)
                if found:
                    return "sent", ({"channel": payload["channel"], "ts": found}, payload)
            if row.method == RESPOND:
                return await self._respond(payload)
            if row.method == "files.upload_v2":
                response = await self._upload(payload)
            else:
                response = await self.client.api_call(row.method, json=payload)
            return "sent", (response.data if isinstance(response.data, dict) else {}, payload)
        except SlackApiError as e:
            status, error = e.response.status_code, e.response.get("error")
            if status == 429 or error == "ratelimited":
                self._pause(_pause_key(row.method, payload.get("channel") or row.channel), e.response.headers)
            return "refused", (status, e.response.headers, error)
        except (aiohttp.ClientError, TimeoutError, ConnectionError, OSError) as e:
            # No answer: Slack may or may not have posted it. The next attempt looks before it posts.
            return "no_answer", f"{IN_DOUBT} {type(e).__name__}: {e}"

    async def _settle(self, row: _Claimed, outcome: tuple[str, Any]) -> None:
        """Record an attempt's outcome."""
        kind, detail = outcome
        if kind == "sent":
            result, payload = detail
            await self._sent(row, result, payload)
        elif kind == "refused":
            await self._failed_call(row, *detail)
        elif kind == "permanent":
            log.error("%s (outbox %s) cannot be delivered: %s", row.method, row.id, detail)
            await self._finish(row.id, "failed", error=detail)
        else:
            await self._retry(row, detail, self._backoff(row.attempts))

    async def _respond(self, payload: dict[str, Any]) -> tuple[str, Any]:
        """POST a reply to a response_url. Once it takes no more answers, the reply is a DM instead."""
        url, user = payload["url"], payload.get("user")
        body = {k: v for k, v in payload.items() if k not in ("url", "user")}
        answer = await AsyncWebhookClient(url, timeout=10).send_dict(body)
        if answer.status_code == 200:
            return "sent", ({}, payload)
        error = _webhook_error(answer.body)
        if answer.status_code == 429:
            self._pause(_pause_key(RESPOND, None), answer.headers)
        if error in RESPONSE_URL_GONE and user:
            message = {k: v for k, v in body.items() if k in ("text", "blocks")}
            response = await self.client.api_call("chat.postMessage", json={"channel": user, **message})
            return "sent", (response.data if isinstance(response.data, dict) else {}, payload)
        return "refused", (answer.status_code, answer.headers, error)

    def _pause(self, key: str, headers: Any) -> None:
        """Slack's Retry-After: everything to that channel (every method: posts, updates, files) —
        or, for a call without one, every call of that method — waits it out."""
        self._paused_until[key] = self.clock.now() + timedelta(seconds=_retry_after(headers))

    def _paused(self, p: _Pick, go: tuple[SlackMessage | None, SlackMessage | None], now: datetime) -> bool:
        target, parent = go
        channel = (target.channel if target else None) or (parent.channel if parent else None) or p.channel
        return self._paused_until.get(_pause_key(p.method, channel), now) > now

    async def _readable(self, channel: str) -> str:
        """The id Slack's history methods accept for `channel`: a user id means the app's DM, D…."""
        if channel.startswith(("U", "W")):
            opened = await self.client.api_call("conversations.open", json={"users": channel})
            return opened["channel"]["id"]
        return channel

    async def _join(self, channel: str) -> None:
        """Join a public channel (once per process): files and history need the bot in it."""
        if channel in self._joined or not channel.startswith("C"):
            return
        try:
            await self.client.api_call("conversations.join", json={"channel": channel})
        except SlackApiError as e:  # private: only an invitation helps; the call itself then says so
            log.warning("cannot join %s (%s): invite the bot to it", channel, e.response.get("error"))
        self._joined.add(channel)

    async def _upload(self, payload: dict[str, Any]) -> Any:
        """`files.upload_v2`: the payload carries the bytes as base64 (the outbox row is JSON).
        Sharing a file needs the bot in the channel (chat:write.public covers only text posts)."""
        if payload.get("channel"):
            await self._join(payload["channel"])
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
        """Did an earlier attempt of this post reach Slack? Look for our outbox id in the metadata.

        Slack reads history only by a conversation id the bot is in: a DM posted to a user id is
        read by its D… id (conversations.open), a public channel reached through chat:write.public
        after joining it. A channel that cannot be read (a private channel the bot was removed
        from) is posted to again, with a warning: `check-config` says which channels those are."""
        try:
            channel = await self._readable(payload["channel"])
            if payload.get("thread_ts"):
                method, params = "conversations.replies", {"channel": channel, "ts": payload["thread_ts"]}
            else:
                method, params = "conversations.history", {"channel": channel}
            params |= {"include_all_metadata": "true", "limit": 200}
            try:
                resp = await self.client.api_call(method, params=params)
            except SlackApiError as e:
                if e.response.get("error") != "not_in_channel":
                    raise
                await self._join(channel)
                resp = await self.client.api_call(method, params=params)
        except SlackApiError as e:
            log.warning("cannot look for outbox %s in its channel (%s); it is posted again", outbox_id, e.response.get("error"))
            return None
        except (aiohttp.ClientError, TimeoutError, OSError):
            return None
        for m in resp.get("messages", []):
            meta = m.get("metadata") or {}
            if meta.get("event_type") == METADATA_EVENT and (meta.get("event_payload") or {}).get("outbox_id") == outbox_id:
                return m.get("ts")
        return None

    async def _failed_call(self, row: _Claimed, status: int, headers: Any, error: str | None) -> None:
        if status == 429 or error == "ratelimited":
            await self._retry(row, "ratelimited", _retry_after(headers), count_attempt=False)
        elif error in PERMANENT_ERRORS:
            log.error("slack refused %s (outbox %s): %s", row.method, row.id, error)
            await self._finish(row.id, "failed", error=error)
        else:
            await self._retry(row, f"HTTP {status} {error or ''}".strip(), self._backoff(row.attempts))

    def _backoff(self, attempts: int) -> float:
        return min(MAX_BACKOFF, 2 ** max(0, attempts - 1)) * random.uniform(0.8, 1.2)

    async def _retry(self, row: _Claimed, error: str, delay: float, count_attempt: bool = True) -> None:
        limit = self.webhooks.max_attempts(row.payload) if row.method == WEBHOOK and self.webhooks else self.max_attempts
        if count_attempt and row.attempts >= limit:
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

    async def _finish(self, row_id: int, status: str, *, error: str | None = None) -> None:
        """Record a row's final outcome other than sent (see `_sent` for that)."""

        async def record() -> None:
            async with self.sessions() as s, s.begin():
                await s.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id == row_id)
                    .values(status=status, last_error=error, lease_until=None, sent_at=None)
                )

        await self._until_recorded(record, f"outbox {row_id} as {status}")

    async def _sent(self, row: _Claimed, result: dict[str, Any], payload: dict[str, Any]) -> None:
        """Record a call Slack accepted. Posts accepted while a write is under way are written
        together by the next one: one transaction for many posts when the database is the slow part."""
        done = asyncio.get_running_loop().create_future()
        self._posted.append((row, result, payload, done))
        if self._recorder is None or self._recorder.done():
            self._recorder = asyncio.create_task(self._record_posted(), name="baton-delivery recorder")
        await done

    async def _record_posted(self) -> None:
        while self._posted:
            batch, self._posted = self._posted, []
            try:
                await self._until_recorded(lambda b=batch: self._write_posted(b), f"{len(batch)} sent outbox row(s)")
            except Exception as e:  # noqa: BLE001 — handed to every waiter; the rows stay in doubt
                for *_, done in batch:
                    if not done.done():
                        done.set_exception(e)
                continue
            for row, result, _, done in batch:
                if row.key in self._waiting_keys:
                    self._waiting_keys.discard(row.key)
                    self._wake.set()  # a row waiting for this post can go now
                if self.on_sent:
                    self.on_sent(row, result)
                if not done.done():
                    done.set_result(None)

    async def _write_posted(self, batch: list[tuple[_Claimed, dict[str, Any], dict[str, Any], Any]]) -> None:
        now = self.clock.now()
        async with self.sessions() as s, s.begin():
            await s.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_([row.id for row, *_ in batch]))
                .values(status="sent", last_error=None, lease_until=None, sent_at=now)
            )
            # Where each keyed post landed, so its updates and replies find it.
            keyed = {row.key: (row, result, payload) for row, result, payload, _ in batch if row.key and result.get("ts")}
            if keyed:
                known = set((await s.scalars(select(SlackMessage.key).where(SlackMessage.key.in_(keyed)))).all())
                s.add_all(
                    SlackMessage(
                        key=key,
                        channel=result.get("channel") or row.channel or "",
                        ts=result["ts"],
                        thread_ts=payload.get("thread_ts") or _thread_of(result),
                        posted_at=now,
                    )
                    for key, (row, result, payload) in keyed.items()
                    if key not in known
                )

    async def _until_recorded(self, write: Callable[[], Any], what: str) -> None:
        """Slack has already acted, so a database blip must not lose the record (the row would
        wait out its lease as "in doubt"): retry until the database answers."""
        delay = 0.2
        for attempt in range(40):
            try:
                await write()
                return
            except (DBAPIError, OSError, ConnectionError) as e:
                if attempt == 39:
                    raise
                log.warning("cannot record %s yet (%s); retrying", what, type(e).__name__)
                await asyncio.sleep(delay)
                delay = min(5.0, delay * 2)

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
        async with self.sessions() as s:
            rows = await s.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))
            return {status: n for status, n in rows}


async def _settled(tasks: list[asyncio.Task[None]]) -> None:
    for failure in await asyncio.gather(*tasks, return_exceptions=True):
        if isinstance(failure, Exception):
            log.error("could not record a delivery outcome; the row is retried as in doubt", exc_info=failure)


def _thread_of(result: dict[str, Any]) -> str | None:
    message = result.get("message") or {}
    return message.get("thread_ts")


def _pause_key(method: str, channel: str | None) -> str:
    return channel or f"method:{method}"


def _webhook_error(body: str) -> str:
    """A response_url's refusal: `{"ok": false, "error": …}` or the bare error word."""
    with contextlib.suppress(ValueError, AttributeError):
        return str(json.loads(body).get("error") or "")
    return (body or "").strip()


def _retry_after(headers: Any) -> float:
    try:
        value = headers.get("Retry-After") or headers.get("retry-after")
        return max(1.0, float(value))
    except (TypeError, ValueError, AttributeError):
        return 1.0


def next_attempt(row: OutboxMessage) -> datetime | None:
    return as_utc(row.next_attempt_at)
