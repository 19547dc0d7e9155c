"""Each benchmark runs at its smoke size and produces its figures, so `bench/` cannot rot. Goals are
reported by `make bench`, never asserted here (these 2-core machines are noisy)."""

from __future__ import annotations

import pytest

from bench import ack, analytics, delivery, forecast, intake, memory, startup


def _has_figures(res: dict, *keys: str) -> None:
    assert "error" not in res
    for key in keys:
        assert res["figures"].get(key) is not None, (key, res["figures"])
    assert res["goals"], res


def test_ack_smoke():
    res = ack.run(size="smoke")
    _has_figures(res, "c1", "c50")
    assert res["figures"]["c50"]["p99_ms"] > 0 and res["figures"]["c50"]["floor_p99_ms"] > 0
    assert "p99_c50" in res["ratios"]


def test_intake_smoke():
    res = intake.run(size="smoke")
    _has_figures(res, "sqlite")
    fig = res["figures"]["sqlite"]
    assert fig["batch_leads_per_s"] > 0 and fig["floor_rows_per_s"] > 0
    assert fig["failed"] == 0 and fig["mql"] == fig["leads"]


def test_delivery_smoke():
    res = delivery.run(size="smoke")
    _has_figures(res, "achieved_per_channel_per_s", "http_429", "lost", "doubled")
    assert res["figures"]["lost"] == 0 and res["figures"]["doubled"] == 0


def test_startup_smoke():
    res = startup.run(size="smoke")
    _has_figures(res, "ready_seconds", "floor_empty_db_ready_seconds")


def test_memory_smoke():
    res = memory.run(size="smoke")
    _has_figures(res, "peak_rss_mb", "floor_idle_empty_db_peak_rss_mb")


def test_analytics_smoke():
    res = analytics.run(size="smoke")
    runs = res["figures"]["runs"]
    assert len(runs) == 2 and runs[1]["events"] > runs[0]["events"] > 0
    assert all(r["floor_seconds"] > 0 and r["sla_compliance_seconds"] > 0 for r in runs)


def test_forecast_smoke():
    res = forecast.run(size="smoke")
    _has_figures(res, "events", "forecast_seconds", "floor_seconds", "recovery")
    assert res["figures"]["events"] > 10_000 and res["figures"]["forecast_seconds"] > 0
    assert res["ratios"]["quarter_company_baton_over_commit"] > 0 and res["ratios"]["month_team_baton_over_call"] > 0


def test_bench_sizes_are_checked():
    with pytest.raises(ValueError, match="size"):
        intake.run(size="huge")
