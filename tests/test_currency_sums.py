"""Deals in other currencies count in JPY everywhere, by the one rule of docs/metrics.md (at
`forecast.currencies`, whole yen half up; a currency without a rate is left out of sums): the
digest's open pipeline, coverage and bookings agree with `/forecast` — before, the digest summed
$10,000 as ¥10,000."""

from __future__ import annotations

import pytest
import yaml

from tests.conftest import FIXTURES
from tests.test_forecast_flow import ephemerals, slash, text_of


@pytest.fixture
def config_path(tmp_path):
    cfg = yaml.safe_load((FIXTURES / "app.yaml").read_text(encoding="utf-8"))
    cfg["company"]["locale"] = "en"
    cfg.setdefault("forecast", {})["currencies"] = {"USD": 150}
    path = tmp_path / "app.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    return path


async def test_the_digest_and_forecast_sum_deals_in_jpy_at_the_configured_rates(harness):
    deals = [
        {"external_id": "J", "amount": 1_000_000, "currency": "JPY", "phase": 2, "close_date": "2026-12-10"},
        {"external_id": "U", "amount": "10000.01", "currency": "USD", "phase": 2, "close_date": "2026-12-11"},  # ¥1,500,001.5 → ¥1,500,002
        {"external_id": "E", "amount": 5_000, "currency": "EUR", "phase": 2, "close_date": "2026-12-12"},  # no rate: not summed
        {"external_id": "W", "amount": 2_000, "currency": "USD", "phase": 5, "status": "won", "close_date": "2026-11-02"},  # ¥300,000
    ]
    for d in deals:
        status, body = await harness.post("/api/opportunities", {"name": d["external_id"], "owner": "kato", **d})
        assert status in (200, 201), body
    open_jpy, won_jpy = 1_000_000 + 1_500_002, 300_000
    await harness.baton.scheduler.run_job("digest", channel="C0FS")
    await harness.deliver()
    digest = text_of(harness.emu.channel_messages("C0FS")[-1])
    assert f"/ actual *¥{open_jpy:,}*" in digest
    assert f"− won ¥{won_jpy:,}" in digest
    assert f"P2 3 ¥{open_jpy:,}" in digest  # three deals listed, the one without a rate not summed
    await slash(harness, "kato", "")
    forecast = text_of(ephemerals(harness, "kato")[-1])
    assert f"*Pipeline*\\n¥{open_jpy:,}" in forecast and f"*Closed won*\\n¥{won_jpy:,}" in forecast  # the same figures as the digest


async def test_coverage_leaves_out_a_deal_its_rep_marked_omitted_as_forecast_does(harness):
    for ext, amount, category in (("A", 4_000_000, None), ("B", 6_000_000, "omitted")):
        body = {"external_id": ext, "name": ext, "owner": "kato", "amount": amount, "phase": 3, "close_date": "2026-12-10"}
        status, out = await harness.post("/api/opportunities", {**body, **({"forecast_category": category} if category else {})})
        assert status in (200, 201), out
    await harness.baton.scheduler.run_job("digest", channel="C0FS")
    await harness.deliver()
    assert "/ actual *¥4,000,000*" in text_of(harness.emu.channel_messages("C0FS")[-1])
    await slash(harness, "kato", "")
    assert "*Pipeline*\\n¥4,000,000" in text_of(ephemerals(harness, "kato")[-1])
