"""`python -m bot import accounts|signals FILE.csv`: the same intake as the API, row errors named."""

from __future__ import annotations

from sqlalchemy import select

from bot.config import Settings, load_config
from bot.importer import import_csv
from bot.models import Account, UsageSignal
from tests.conftest import FIXTURES

ACCOUNTS = "external_id,name,arr,contract_start,renewal_date,seats,ae\nA1,株式会社一,1200000,2026-04-01,2027-03-31,10,kato\nA2,二商事,abc,,,,\n"
SIGNALS = "account,day,logins,features_used\nA1,2026-11-20,40,6\nA1,2026-11-20,50,8\nZZ,2026-11-20,1,1\n"


async def test_import_accounts_then_signals(database_url, tmp_path, capsys):
    settings = Settings(database_url=database_url, slack_bot_token="xoxb-x", slack_api_url="http://127.0.0.1:9/api/")
    config = load_config(FIXTURES / "app.yaml")
    (tmp_path / "a.csv").write_bytes(ACCOUNTS.encode("cp932"))
    (tmp_path / "s.csv").write_text(SIGNALS, encoding="utf-8-sig")
    assert await import_csv(config, settings, "accounts", tmp_path / "a.csv") == 1
    out = capsys.readouterr().out
    assert "1 件作成、0 件更新、1 件失敗" in out and "3 行目: arr" in out
    assert await import_csv(config, settings, "signals", tmp_path / "s.csv") == 1
    out = capsys.readouterr().out
    assert "4 行目: account: no account 'ZZ'" in out
    from bot.db import make_engine, make_sessionmaker

    engine = make_engine(database_url)
    try:
        async with make_sessionmaker(engine)() as s:
            acc = await s.scalar(select(Account).where(Account.external_id == "A1"))
            rows = {(r.signal, r.value) for r in (await s.execute(select(UsageSignal))).scalars()}
    finally:
        await engine.dispose()
    assert acc.name == "株式会社一" and acc.ae_id == "kato" and acc.seats == 10
    assert rows == {("logins", 50.0), ("features_used", 8.0)}  # the second row for the day replaced the first
