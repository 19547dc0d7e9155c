"""CSV import (`python -m bot import leads FILE.csv`): the same intake as the API, in chunks,
with a progress bar. Japanese Excel exports (Shift_JIS/CP932, UTF-8 with BOM) are read as they are."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from bot.app import Baton
from bot.config import AppConfig, Settings
from bot.domain import accounts, leads
from bot.domain.opportunities import upsert_many
from bot.messages import terminal_text

CHUNK = 200
ENCODINGS = ("utf-8-sig", "cp932")


def decode(raw: bytes, encoding: str | None = None) -> str:
    if encoding:
        return raw.decode(encoding)
    for enc in ENCODINGS:
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    raise ValueError("the file is neither UTF-8 nor Shift_JIS/CP932; pass --encoding")


def rows(text: str) -> Iterator[dict[str, Any]]:
    try:
        yield from _rows(text)
    except csv.Error as e:
        raise ValueError(f"not a readable CSV file: {e}") from None


def _rows(text: str) -> Iterator[dict[str, Any]]:
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or not any(f and f.strip() for f in reader.fieldnames):
        raise ValueError("the CSV has no header row")
    for row in reader:
        item: dict[str, Any] = {}
        for k, v in row.items():
            if k is None or v is None or not k.strip():
                continue
            v = v.strip()
            if v == "":
                continue
            key = k.strip()
            if key == "employees":
                item[key] = int(v.replace(",", "")) if v.replace(",", "").isdecimal() else v
            elif key == "mql":
                item[key] = v.lower() in ("1", "true", "yes", "y", "はい")
            else:
                item[key] = v
        yield item


async def import_csv(config: AppConfig, settings: Settings, kind: str, path: Path, *, encoding: str | None = None) -> int:
    # accounts and signals: customer success (issue 7)
    ingest = {"accounts": accounts.upsert, "signals": accounts.import_signals}.get(kind, leads.ingest)
    try:
        items = list(rows(decode(path.read_bytes(), encoding)))
    except (OSError, ValueError, UnicodeDecodeError, csv.Error) as e:
        print(terminal_text("unreadable", config.company.locale, path=path, error=e))
        return 2
    if kind == "opportunities":
        return await import_opportunities(config, settings, path, items)
    baton = Baton(config, settings)
    await baton.start(background=False)
    failed: list[tuple[int, Any]] = []
    created = updated = 0
    try:
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()) as bar:
            task = bar.add_task(terminal_text("importing", config.company.locale, name=path.name), total=len(items))
            for start in range(0, len(items), CHUNK):
                async with baton.ctx.uow() as uow:
                    results = await ingest(uow, items[start : start + CHUNK], actor="import")
                for r in results:
                    if not r.ok:
                        failed.append((start + r.index + 2, r.errors))  # +2: header line, 1-based
                    elif r.created:
                        created += 1
                    else:
                        updated += 1
                bar.advance(task, len(results))
    finally:
        await baton.stop()
    # MQL cards and roll-ups are in the outbox; the running bot posts them at Slack's pace.
    return report(config, created, updated, failed)


async def import_opportunities(config: AppConfig, settings: Settings, path: Path, items: list[dict[str, Any]]) -> int:
    """`python -m bot import opportunities FILE.csv`: the same upsert as `POST /api/opportunities`."""
    for item in items:  # "12,000,000" / "¥12,000,000" / "1200万" are not what a CRM export means to break on
        if isinstance(item.get("amount"), str):
            item["amount"] = item["amount"].replace(",", "").replace("¥", "").replace("円", "").strip()
    baton = Baton(config, settings)
    await baton.start(background=False)
    failed: list[tuple[int, Any]] = []
    created = updated = 0
    try:
        for start in range(0, len(items), CHUNK):
            async with baton.ctx.uow() as uow:
                results = await upsert_many(uow, items[start : start + CHUNK], actor="import")
            for r in results:
                if not r.ok:
                    failed.append((start + r.index + 2, r.errors))
                elif r.created:
                    created += 1
                else:
                    updated += 1
    finally:
        await baton.stop()
    return report(config, created, updated, failed)


def report(config: AppConfig, created: int, updated: int, failed: list[tuple[int, Any]]) -> int:
    """The summary an import prints (the first 50 bad lines with what is wrong); 1 when any failed."""
    locale = config.company.locale
    print(terminal_text("import_summary", locale, created=created, updated=updated, failed=len(failed)))
    for line, errors in failed[:50]:
        print(terminal_text("import_line", locale, line=line, errors="; ".join(f"{e.field}: {e.message}" for e in errors)))
    return 1 if failed else 0
