"""CSV import from Japanese Excel (UTF-8 with BOM, Shift_JIS), and no personal data in logs."""

from __future__ import annotations

import logging

from sqlalchemy import select

from bot.config import Settings, load_config
from bot.importer import import_csv
from bot.logsafe import MaskPersonalData, mask
from bot.models import Lead, OutboxMessage
from tests.conftest import FIXTURES

CSV = "external_id,email,name,company,employees,source,mql\nC1,c1@big.jp,佐々木 一郎,株式会社大阪商事,\"1,500\",csv,yes\nC2,not-an-email,x,y,10,csv,\nC3,c3@small.jp,小川,小川工務店,12,csv,no\n"


async def _import(database_url, tmp_path, data: bytes, capsys) -> tuple[int, str]:
    path = tmp_path / "leads.csv"
    path.write_bytes(data)
    settings = Settings(database_url=database_url, slack_bot_token="xoxb-x", slack_api_url="http://127.0.0.1:9/api/")
    rc = await import_csv(load_config(FIXTURES / "app.yaml"), settings, "leads", path)
    return rc, capsys.readouterr().out


async def _leads(database_url) -> list[Lead]:
    from bot.db import make_engine, make_sessionmaker

    engine = make_engine(database_url)
    try:
        async with make_sessionmaker(engine)() as s:
            leads = list((await s.execute(select(Lead).order_by(Lead.external_id))).scalars())
            queued = list((await s.execute(select(OutboxMessage))).scalars())
        return leads, queued
    finally:
        await engine.dispose()


async def test_import_utf8_bom_reports_bad_rows_and_queues_cards(database_url, tmp_path, capsys):
    rc, out = await _import(database_url, tmp_path, CSV.encode("utf-8-sig"), capsys)
    assert rc == 1  # one bad row
    assert "2 件作成、0 件更新、1 件失敗" in out and "3 行目: email" in out
    leads, queued = await _leads(database_url)
    assert [(x.external_id, x.stage, x.employees) for x in leads] == [("C1", "mql", 1500), ("C3", "lead", 12)]
    assert leads[0].name == "佐々木 一郎"
    assert len(queued) == 1 and queued[0].channel == "C0ENT"  # the MQL card waits for the bot to post it


async def test_import_shift_jis_and_reimport_is_idempotent(database_url, tmp_path, capsys):
    data = CSV.replace("C2,not-an-email", "C2,c2@x.jp").encode("cp932")
    rc, out = await _import(database_url, tmp_path, data, capsys)
    assert rc == 0 and "3 件作成" in out
    rc, out = await _import(database_url, tmp_path, data, capsys)
    assert "0 件作成、3 件更新、0 件失敗" in out
    leads, queued = await _leads(database_url)
    assert len(leads) == 3 and leads[0].company == "株式会社大阪商事" and len(queued) == 1


async def test_import_refuses_files_it_cannot_read(database_url, tmp_path, capsys):
    rc, out = await _import(database_url, tmp_path, b"", capsys)
    assert rc == 2 and "header" in out


def test_emails_and_phones_are_masked_in_logs(caplog):
    logger = logging.getLogger("baton-test")
    handler = caplog.handler
    handler.addFilter(MaskPersonalData())
    with caplog.at_level(logging.INFO):
        logger.info("lead %s phone %s", "yamada.taro@example.co.jp", "03-1234-5678")
    assert "yamada.taro@example.co.jp" not in caplog.text and "03-1234-5678" not in caplog.text
    assert "y***@example.co.jp" in caplog.text
    assert mask("call +81 90 1234 5678") != "call +81 90 1234 5678"
