"""The local sandbox: Baton in HTTP mode against the built-in Slack emulator, with a web page.

`python -m bot run` with no Slack tokens (or `python -m bot sandbox`) lands here. Both servers
run in this process; SIGINT/SIGTERM shuts both down cleanly.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import secrets
import signal
import sys
from datetime import timedelta

from aiohttp import web
from sqlalchemy import func, select

from bot.app import Baton
from bot.config import AppConfig, Settings, normalise_database_url
from bot.demo.generator import generate
from bot.messages import Messages
from bot.models import Lead
from bot.sandbox.control import Control, SandboxClock
from bot.sandbox.emulator import SlackEmulator

log = logging.getLogger(__name__)

SANDBOX_BOT_TOKEN = "xoxb-sandbox"
SANDBOX_API_TOKEN = "sandbox-token"
SANDBOX_DATABASE_URL = "sqlite:///baton-sandbox.db"
SHUTDOWN_GRACE_SECONDS = 3.0

# Exactly the README's example lead, so the printed command and the docs agree.
CURL_TEMPLATE = """\
curl -s -X POST {api}/api/leads \\
  -H "Authorization: Bearer {token}" -H "Content-Type: application/json" \\
  -d '{{"external_id": "demo-1", "email": "yamada@example.co.jp", "name": "山田 太郎",
       "company": "大手製造株式会社", "title": "情報システム部長", "employees": 2000,
       "source": "web", "activities": [{{"type": "demo_request"}}]}}'"""


class PortInUse(Exception):
    def __init__(self, what: str, host: str, port: int, flag: str):
        self.what, self.host, self.port, self.flag = what, host, port, flag
        super().__init__(
            f"Port {port} on {host} ({what}) is already in use: stop whatever is using it "
            f"or pick another with {flag} (e.g. python -m bot run --port 3100 --ui-port 3101)."
        )


def channel_display_name(team_id: str) -> str:
    """`is_enterprise` → `is-enterprise` (the page adds the `#`)."""
    return team_id.replace("_", "-").lower()


def _client_host(host: str) -> str:
    """Where to connect to a server bound on `host` (a wildcard bind is reachable on loopback)."""
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def _is_addr_in_use(e: OSError) -> bool:
    return e.errno in (errno.EADDRINUSE, getattr(errno, "WSAEADDRINUSE", -1)) or "address already in use" in str(e).lower()


def make_emulator(config: AppConfig, signing_secret: str) -> SlackEmulator:
    users = {
        p.slack_id: {"name": p.id, "real_name": p.name, "tz": p.timezone or config.company.timezone, "roles": list(p.roles)}
        for p in config.people
    }
    emu = SlackEmulator(signing_secret=signing_secret, bot_token=SANDBOX_BOT_TOKEN, users=users)
    for team in config.teams:
        emu.channel_names[team.channel] = channel_display_name(team.id)
    return emu


def sandbox_settings(api_url: str, signing_secret: str, env: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ if env is None else env)
    return Settings(
        slack_bot_token=SANDBOX_BOT_TOKEN,
        slack_signing_secret=signing_secret,
        slack_api_url=api_url,
        database_url=normalise_database_url(env.get("DATABASE_URL") or SANDBOX_DATABASE_URL),
        config_path=env.get("BATON_CONFIG") or "app.yaml",
        api_token=env.get("BATON_API_TOKEN") or SANDBOX_API_TOKEN,
        per_channel_per_second=1.0,
    )


def banner(*, page_url: str, api_base: str, api_token: str, config: AppConfig) -> str:
    is_channels = ", ".join(
        f"#{channel_display_name(t.id)}" for t in config.teams if t.function == "inside_sales"
    )
    lines = [
        "",
        "Baton sandbox is running (Slack emulator, no real Slack).",
        f"  Page (channels, act as, buttons):  {page_url}",
        f"  REST API:                          {api_base}/api/leads",
        f"  API token:                         {api_token}",
        "",
        "Send a lead:",
        CURL_TEMPLATE.format(api=api_base, token=api_token),
        "",
        f"The MQL card appears on the page{f' (in {is_channels})' if is_channels else ''}. Ctrl-C stops the sandbox.",
        "",
    ]
    return "\n".join(lines)


def sandbox_clock(env: dict[str, str] | None = None) -> SandboxClock:
    """Wall time, movable from the control panel; BATON_SANDBOX_START (ISO, with zone) fixes the start."""
    from datetime import datetime

    raw = (os.environ if env is None else env).get("BATON_SANDBOX_START")
    return SandboxClock(datetime.fromisoformat(raw) if raw else None)


# Live MQLs for the demo company, sent through the REST API like any marketing-automation system.
SEED_LEADS = [
    {"external_id": "seed-1", "email": "kimura@mirai-seisakusho.example", "name": "木村 陽菜", "company": "みらい製作所株式会社",
     "title": "情報システム部 部長", "employees": 1200, "source": "web", "activities": [{"type": "demo_request"}]},
    {"external_id": "seed-2", "email": "ikeda@sakura-shoji.example", "name": "池田 蓮", "company": "さくら商事株式会社",
     "title": "営業企画部 課長", "employees": 800, "source": "webinar", "activities": [{"type": "demo_request"}]},
    {"external_id": "seed-3", "email": "mori@aoba-logi.example", "name": "森 結衣", "company": "あおば物流株式会社",
     "title": "DX推進部 マネージャー", "employees": 60, "source": "download", "mql": True},
]  # fmt: skip


# Customers for Customer Success: (name, seats, ARR, renewal in days, weekly usage oldest → today as
# (logins a week, active users, features used)). Steady, slipping (a drop this week: a health alert,
# renewal inside the reminder window), red near its renewal, and a new one still ramping.
_STEADY, _SLIP = (100, 14, 8), (25, 4, 3)
SEED_ACCOUNTS = [
    ("ひかりデータ株式会社", 20, 9_600_000, 150, [_STEADY] * 8),
    ("富士メディカル株式会社", 20, 14_400_000, 60, [_STEADY] * 6 + [(85, 12, 7), _SLIP]),
    ("瀬戸内建設株式会社", 10, 4_800_000, 30, [(30, 3, 3)] * 4 + [(15, 2, 2)] * 4),
    ("ネクストソリューションズ株式会社", 15, 7_200_000, 330, [(20, 4, 2), (45, 7, 4), (60, 9, 6)]),
]


async def seed_customers(baton: Baton, control: Control) -> None:
    """Customers with weeks of health history and renewals coming up, through the REST API like a CRM
    sync and a product-analytics feed; the last week is sent as today's, so a drop raises its alert."""
    config = baton.config
    cs = config.teams_by_function("customer_success")
    csms = [m for t in cs for m in t.members] or [None]
    fs = config.fs_team()
    ae = fs.members[0] if fs and fs.members else None
    async with baton.ctx.uow() as uow:
        today = uow.now().astimezone(config.calendar(None).tz).date()
    for i, (name, seats, arr, renews_in, weeks) in enumerate(SEED_ACCOUNTS):
        renewal = today + timedelta(days=renews_in)
        body = {"external_id": f"seed-acct-{i + 1}", "name": name, "csm": csms[i % len(csms)], "ae": ae, "arr": arr, "seats": seats,
                "contract_start": (renewal - timedelta(days=365)).isoformat(), "renewal_date": renewal.isoformat()}  # fmt: skip
        status, data = await control._call("POST", "/api/accounts", {k: v for k, v in body.items() if v is not None})  # noqa: SLF001
        if status != 201 or not isinstance(data, dict):
            log.warning("sandbox: seeding a demo customer failed (HTTP %s)", status)
            continue
        days = [today - timedelta(days=7 * (len(weeks) - 1 - k)) for k in range(len(weeks))]
        values = [{"day": d.isoformat(), "values": {"logins": w[0], "active_users": w[1], "features_used": w[2]}} for d, w in zip(days, weeks, strict=True)]
        await control._call("POST", f"/api/accounts/{data['id']}/signals", values[:-1])  # noqa: SLF001 - the history
        await control._call("POST", f"/api/accounts/{data['id']}/signals", values[-1])  # noqa: SLF001 - today's


async def seed_demo(baton: Baton, control: Control, env: dict[str, str] | None = None) -> None:
    """On the first start (empty database): months of history from the demo generator, customers
    with health history and renewals, then a few live MQLs through the REST API (each with its card
    and SLA — the history leaves none of its own waiting). BATON_SANDBOX_SEED=0 turns this off."""
    if (os.environ if env is None else env).get("BATON_SANDBOX_SEED", "1") in ("0", "false", "no"):
        return
    async with baton.ctx.uow() as uow:
        if await uow.session.scalar(select(func.count()).select_from(Lead)):
            return
        try:
            async with uow.savepoint():
                await generate(uow, seed=8, months=3, leads_per_day=4, id_prefix="history", open_mqls=False)
        except Exception:  # noqa: BLE001 - the sandbox still starts with the live leads
            log.exception("sandbox: generating the demo history failed; starting without it")
    if baton.config.teams_by_function("customer_success"):
        await seed_customers(baton, control)
    for lead in SEED_LEADS:
        await control._call("POST", "/api/leads", lead)  # noqa: SLF001


async def _start_emulator(emu: SlackEmulator, host: str, ui_port: int) -> str:
    try:
        return await emu.start(host, ui_port)
    except OSError as e:
        await emu.stop()
        if _is_addr_in_use(e):
            raise PortInUse("the sandbox page", host, ui_port, "--ui-port") from None
        raise


async def _start_site(runner: web.AppRunner, host: str, port: int) -> None:
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError as e:
        if _is_addr_in_use(e):
            raise PortInUse("the bot's REST API and /slack/events", host, port, "--port") from None
        raise


async def run_sandbox(config: AppConfig, *, host: str = "127.0.0.1", port: int = 3000, ui_port: int = 3001) -> None:
    try:
        await _run(config, host=host, port=port, ui_port=ui_port)
    except PortInUse as e:
        print(f"error: {e}", file=sys.stderr)
        raise SystemExit(2) from None


async def _run(config: AppConfig, *, host: str, port: int, ui_port: int) -> None:
    # Install the handlers first so a signal during start-up still leads to a clean shutdown.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    signing_secret = secrets.token_hex(32)
    emu = make_emulator(config, signing_secret)
    await _start_emulator(emu, host, ui_port)
    baton: Baton | None = None
    runner: web.AppRunner | None = None
    try:
        settings = sandbox_settings(emu.api_url, signing_secret)
        clock = sandbox_clock()
        emu.clock = clock  # message times on the page follow the sandbox clock
        baton = Baton(config, settings, clock=clock)
        await baton.start()
        runner = web.AppRunner(baton.web_app(), access_log=None)
        await runner.setup()
        await _start_site(runner, host, port)
        bot_base = f"http://{_client_host(host)}:{port}"
        emu.bot_url = f"{bot_base}/slack/events"
        emu.control = Control(bot_base, settings.api_token or "")
        emu.control.signals = list(dict.fromkeys(m.signal for m in config.success.health.measures))
        emu.control.threshold = config.scoring.threshold
        words, locale = Messages(), config.company.locale
        emu.control.say = lambda key, **kw: words.text(locale, key, **kw)
        await emu.control.refresh_jobs()
        await seed_demo(baton, emu.control)
        page_url = f"http://{_client_host(host)}:{ui_port}/"
        print(banner(page_url=page_url, api_base=bot_base, api_token=settings.api_token or "", config=config), flush=True)
        log.info("sandbox: bot on %s, emulator page on %s, database %s", bot_base, page_url, _safe_db(settings.database_url))
        await stop.wait()
        print("Stopping the Baton sandbox …", flush=True)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        await _shutdown(baton, runner, emu)


async def _shutdown(baton, runner: web.AppRunner | None, emu: SlackEmulator) -> None:  # noqa: ANN001
    """Stop taking work, let work in flight finish, then close the database.

    The scheduler starts fire-and-forget tasks (re-arming after each commit, timer sweeps); if the
    engine were disposed under them, or asyncio.run cancelled them mid-query, shutdown would log
    tracebacks or leave a database connection thread behind.
    """
    if runner is not None:
        await runner.cleanup()  # no new requests to the bot
    if baton is not None:
        await baton.scheduler.shutdown()  # no new timer jobs
        await baton.delivery.stop()  # the outbox worker finishes its current send
    await emu.stop()
    current = asyncio.current_task()
    stragglers = [t for t in asyncio.all_tasks() if t is not current and not t.done()]
    if stragglers:
        _, still = await asyncio.wait(stragglers, timeout=SHUTDOWN_GRACE_SECONDS)
        if still:
            log.warning("sandbox: %d task(s) still running after %.0fs; cancelling them", len(still), SHUTDOWN_GRACE_SECONDS)
            for t in still:
                t.cancel()
            await asyncio.wait(still, timeout=1.0)
    if baton is not None:
        await baton.stop()  # scheduler and delivery are already stopped; this disposes the engine


def _safe_db(url: str) -> str:
    """The database URL without a password, for the log."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        return f"{scheme}://{creds.split(':', 1)[0]}:***@{host}"
    return url
