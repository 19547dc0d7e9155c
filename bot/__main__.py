"""`python -m bot …` — run (Socket Mode or HTTP), sandbox, check-config, import, migrate."""

from __future__ import annotations

import argparse
import dataclasses
import asyncio
import json
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError

from bot.app import Baton
from bot.config import ConfigError, Settings, load_config
from bot.db import migrate
from bot.docs import CONFIG_DOC, write_config_reference, write_runbook_kinds
from bot.domain.privacy import erase_person, export_person
from bot.importer import import_csv
from bot.integrations import webhooks
from bot.leader import SingleProcessError
from bot.logsafe import install
from bot.messages import terminal_text
from bot.sandbox.run import run_sandbox
from bot.slack.channels import channel_access, configured_channels

log = logging.getLogger("bot")


def say(key: str, config=None, *, err: bool = False, **kw) -> None:  # noqa: ANN001
    """Print a `cli.*` string for the admin, in the company's locale once app.yaml is loaded."""
    locale = config.company.locale if config is not None else None
    print(terminal_text(key, locale, **kw), file=sys.stderr if err else sys.stdout)


def config_problems(e: ConfigError) -> str:
    """Every problem of app.yaml, one a line with its key path and line, in the company's language."""
    loc = e.locale
    out = [terminal_text("config.header", loc, path=e.path, n=len(e.items))]
    for p in e.items:
        text = p.text if p.key == "plain" else terminal_text(f"config.{p.key}", loc, **p.values)
        if p.values.get("hint"):
            hint = terminal_text("config.hint", loc, hint=p.values["hint"])
            text += hint if hint.startswith("（") else " " + hint
        form = "config.at" if p.where and p.line else "config.at_noline" if p.where else "config.plain"
        out.append("  " + terminal_text(form, loc, where=p.where, line=p.line, text=text))
    return "\n".join(out)


def _setup_logging() -> None:
    logging.basicConfig(
        level=os.environ.get("BATON_LOG_LEVEL", "INFO"),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    install()


def _config_or_exit(path: str | None):  # noqa: ANN202
    try:
        return load_config(path)
    except ConfigError as e:
        print(config_problems(e), file=sys.stderr)
        say("fix_config", err=True)
        raise SystemExit(2) from None


async def _serve(baton, host: str, port: int, socket_mode: bool) -> None:  # noqa: ANN001
    from aiohttp import web

    await baton.start()
    runner = web.AppRunner(baton.web_app(), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    handler = None
    if socket_mode:
        handler = baton.socket_mode()
        await handler.connect_async()
        log.info("Baton running in Socket Mode; REST API and /healthz on http://%s:%s", host, port)
    else:
        log.info("Baton running in HTTP mode on http://%s:%s (Slack request URL: /slack/events)", host, port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    if handler:
        await handler.close_async()
    await runner.cleanup()
    await baton.stop()


def cmd_run(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    if not settings.slack_bot_token:
        say("no_tokens")
        # The sandbox lets anyone act as anyone: keep it on loopback unless asked otherwise.
        if "BATON_HOST" not in os.environ and args.host == "0.0.0.0":
            args.host = "127.0.0.1"
        return cmd_sandbox(args)
    socket_mode = bool(settings.slack_app_token) and not args.http
    if not socket_mode and not settings.slack_signing_secret:
        say("http_needs_secret", err=True)
        return 2
    config = _config_or_exit(args.config or settings.config_path)

    asyncio.run(_serve(Baton(config, settings), args.host, args.port, socket_mode))
    return 0


def cmd_sandbox(args: argparse.Namespace) -> int:

    config_path = getattr(args, "config", None) or os.environ.get("BATON_CONFIG") or "app.yaml"
    config = _config_or_exit(config_path)
    asyncio.run(run_sandbox(config, host=args.host, port=args.port, ui_port=getattr(args, "ui_port", 3001)))
    return 0


def cmd_check_config(args: argparse.Namespace) -> int:
    path = args.path or os.environ.get("BATON_CONFIG") or "app.yaml"
    try:
        config = load_config(path)
    except ConfigError as e:
        print(config_problems(e), file=sys.stderr)
        return 2
    say("config_ok", config, path=path, people=len(config.people), teams=len(config.teams), threshold=config.scoring.threshold)
    settings = Settings.from_env()
    if not settings.slack_bot_token:
        return 0
    return asyncio.run(_check_channels(config, settings))


async def _check_channels(config, settings: Settings) -> int:  # noqa: ANN001
    """With a bot token: what the bot can do in every channel app.yaml names (1 if one is unusable)."""
    from slack_sdk.web.async_client import AsyncWebClient


    client = AsyncWebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url)
    try:
        verdicts = await channel_access(client, configured_channels(config))
    except SlackApiError as e:  # a revoked token, a missing scope, rate limited: told, not a traceback
        say("channel_check_failed", config, err=True, error=e.response.get("error") or e.response.status_code)
        return 1
    except (aiohttp.ClientError, TimeoutError, OSError) as e:
        say("channel_check_failed", config, err=True, error=type(e).__name__)
        return 1
    for channel, name, verdict in verdicts:
        say(f"channel_{verdict}", config, err=verdict == "invite", channel=channel, name=name)
    return 1 if any(v == "invite" for *_, v in verdicts) else 0


def cmd_migrate(args: argparse.Namespace) -> int:

    asyncio.run(migrate(Settings.from_env().database_url))
    say("migrated")
    return 0


def cmd_import(args: argparse.Namespace) -> int:

    settings = Settings.from_env()
    config = _config_or_exit(args.config or settings.config_path)
    return asyncio.run(import_csv(config, settings, args.kind, Path(args.file), encoding=args.encoding))


def _in_a_unit_of_work(args: argparse.Namespace, work: Any) -> int:
    """Run `work(uow, config)` against the configured database (no Slack delivery, no scheduler):
    what it queues for Slack is sent by the running bot, so no Slack token is needed here."""
    settings = Settings.from_env()
    settings = dataclasses.replace(settings, slack_bot_token=settings.slack_bot_token or "xoxb-offline-cli")
    config = _config_or_exit(args.config or settings.config_path)

    async def go() -> int:
        baton = Baton(config, settings)
        await baton.start(background=False)
        try:
            async with baton.ctx.uow() as uow:
                return await work(uow, config)
        finally:
            await baton.stop()

    return asyncio.run(go())


def _json(out: Any) -> int:
    print(json.dumps(out, ensure_ascii=False, indent=2, default=str))
    return 0


def cmd_privacy(args: argparse.Namespace) -> int:
    """Data-subject request: export (JSON on stdout) or erase one person's data, by e-mail."""

    async def work(uow: Any, config: Any) -> int:
        if args.action == "export":
            return _json(await export_person(uow, args.email))
        say("erased", config, n=await erase_person(uow, args.email))
        return 0

    return _in_a_unit_of_work(args, work)


def cmd_webhooks(args: argparse.Namespace) -> int:
    """Outbound webhooks set aside as failed: list them, or queue them again (JSON on stdout)."""

    async def work(uow: Any, config: Any) -> int:
        if args.action == "failed":
            return _json(await webhooks.failed(uow, endpoint=args.endpoint))
        if not (args.all or args.endpoint or args.id):
            say("webhooks_replay_usage", config, err=True)
            return 2
        return _json({"replayed": await webhooks.replay(uow, ids=args.id or None, endpoint=args.endpoint)})

    return _in_a_unit_of_work(args, work)


def cmd_docs_config(args: argparse.Namespace) -> int:
    print(write_config_reference(Path(args.out) if args.out else CONFIG_DOC))
    if not args.out:
        print(write_runbook_kinds())
    return 0


def main(argv: list[str] | None = None) -> int:
    _setup_logging()
    parser = argparse.ArgumentParser(prog="python -m bot", description="Baton — THE MODEL's revenue relay in Slack")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the bot (Socket Mode when SLACK_APP_TOKEN is set, else HTTP)")
    run.add_argument("--http", action="store_true", help="HTTP mode even if SLACK_APP_TOKEN is set")
    run.add_argument("--host", default=os.environ.get("BATON_HOST", "0.0.0.0"))
    run.add_argument("--port", type=int, default=int(os.environ.get("PORT", "3000")))
    run.add_argument("--ui-port", type=int, default=3001, help="sandbox only: the emulator's web page")
    run.add_argument("--config")
    run.set_defaults(fn=cmd_run)

    sb = sub.add_parser("sandbox", help="run against the built-in Slack emulator with a local web view")
    sb.add_argument("--host", default="127.0.0.1")
    sb.add_argument("--port", type=int, default=3000, help="the bot's port (REST API, /slack/events)")
    sb.add_argument("--ui-port", type=int, default=3001, help="the emulator's web page")
    sb.add_argument("--config")
    sb.set_defaults(fn=cmd_sandbox)

    cc = sub.add_parser("check-config", help="validate app.yaml and exit")
    cc.add_argument("path", nargs="?")
    cc.set_defaults(fn=cmd_check_config)

    mg = sub.add_parser("migrate", help="bring the database schema up to date")
    mg.set_defaults(fn=cmd_migrate)

    im = sub.add_parser("import", help="import a CSV file (leads, accounts, usage signals)")
    im.add_argument("kind", choices=["leads", "accounts", "signals", "opportunities"])
    im.add_argument("file")
    im.add_argument("--encoding", help="default: detect UTF-8 (with or without BOM) or Shift_JIS/CP932")
    im.add_argument("--config")
    im.set_defaults(fn=cmd_import)

    pv = sub.add_parser("privacy", help="data-subject request: export or erase one person's data")
    pv.add_argument("action", choices=["export", "erase"])
    pv.add_argument("--email", required=True)
    pv.add_argument("--config")
    pv.set_defaults(fn=cmd_privacy)

    wh = sub.add_parser("webhooks", help="outbound webhooks: list failed deliveries, or replay them")
    wh.add_argument("action", choices=["failed", "replay"])
    wh.add_argument("--endpoint", help="only this webhook id of app.yaml")
    wh.add_argument("--id", type=int, action="append", help="replay this delivery id (repeatable)")
    wh.add_argument("--all", action="store_true", help="replay every failed delivery")
    wh.add_argument("--config")
    wh.set_defaults(fn=cmd_webhooks)

    dc = sub.add_parser("docs-config", help="regenerate docs/configuration.md from the config models")
    dc.add_argument("--out", help="write here instead of docs/configuration.md")
    dc.set_defaults(fn=cmd_docs_config)

    args = parser.parse_args(argv)

    try:
        return args.fn(args)
    except SingleProcessError as e:
        say("not_started", err=True, error=e)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
