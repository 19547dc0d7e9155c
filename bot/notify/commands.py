"""The words of the slash commands themselves: `/baton help` (every command with an example) and the
usage lines a wrong argument gets — examples use this company's own team ids and fiscal year."""

from __future__ import annotations

from bot.context import UnitOfWork
from bot.periods import period_of
from bot.slack.ids import Command


def _examples(uow: UnitOfWork) -> dict[str, str]:
    cfg = uow.config
    today = uow.now().astimezone(cfg.calendar(None).tz).date()
    year = period_of("year", today, cfg.company.fiscal_year_start_month).key
    team = next((t.id for t in cfg.teams), "team")
    return {"year": year, "team": team, "teams": ", ".join(t.id for t in cfg.teams) or "—"}


def help_lines(uow: UnitOfWork, locale: str) -> str:
    """One line per command (every `Command`), in the person's language."""
    text, ex = uow.ctx.messages.text, _examples(uow)
    return "\n".join([text(locale, "commands.title"), *(text(locale, f"commands.{c.name.lower()}", **ex) for c in Command)])


def usage(uow: UnitOfWork, locale: str, command: Command) -> str:
    return uow.ctx.messages.text(locale, f"commands.{command.name.lower()}_usage", **_examples(uow))
