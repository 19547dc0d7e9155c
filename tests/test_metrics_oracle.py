"""Oracle: random histories fed through the documented API (late syncs of deals closed in earlier
quarters, back-dated closes, lost deals, open deals), and the digest's figures compared exactly with
figures computed here from the generated facts alone — no import from bot.domain or bot.formatting
(the display rules are written out again in tests/oracle_format.py). ja and en, SQLite and
PostgreSQL (the harness runs both)."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import ROUND_FLOOR, Decimal

import pytest

from tests.conftest import FIXTURES
from tests.oracle_format import percent, texts as _texts, yen

TODAY = date(2026, 11, 24)  # T0 (10:00 JST): FY2026-Q3 is Oct 1 – Dec 31
Q3 = (date(2026, 10, 1), date(2027, 1, 1))
WIN_SINCE = date(2026, 5, 25)  # closes on or after this day are within the 6 months before T0 10:00
TARGET = Decimal(100_000_000)  # FY2026-Q3, team fs (tests/fixtures/app.yaml)
MIN_CLOSED, FALLBACK = 4, 0.25  # pipeline.win_rate_min_closed (fixture), win_rate_fallback (default)


def history(seed: int) -> list[dict]:
    """Deals as the CRM would sync them: each a list of API payloads, in sync order, plus the truth."""
    rng = random.Random(seed)
    deals = []
    for i in range(rng.randint(6, 14)):
        amount = rng.randrange(1_000, 90_000) * 1_000 + rng.choice([0, 499, 500, 501, 4_999, 5_000])
        kind = rng.choice(["open", "open", "won", "won", "lost"])
        base = {"external_id": f"O{seed}-{i}", "name": f"deal {i}", "owner": "kato", "amount": amount, "phase": rng.randint(1, 5)}
        if kind == "open":
            close = TODAY + timedelta(days=rng.randint(1, 70))  # this quarter or the next
            deals.append({"syncs": [{**base, "close_date": close.isoformat()}], "status": "open", "close": close, **base})
            continue
        close = TODAY - timedelta(days=rng.randint(1, 240))  # often a previous quarter: a late sync
        syncs = []
        if rng.random() < 0.5:  # first seen open, closed by a later sync
            syncs.append({**base, "close_date": (TODAY + timedelta(days=30)).isoformat()})
        final = {**base, "status": kind, "close_date": close.isoformat()}
        if kind == "lost":
            final["lost_reason"] = "competitor"
        syncs.append(final)
        deals.append({"syncs": syncs, "status": kind, "close": close, **base})
    rng.shuffle(deals)
    return deals


def apportion(parts: list[Decimal], total: Decimal, unit: Decimal) -> list[Decimal]:
    """Largest remainder, written out here again."""
    scaled = [p / unit for p in parts]
    floors = [s.to_integral_value(rounding=ROUND_FLOOR) for s in scaled]
    want = (total / unit).quantize(Decimal(1), rounding="ROUND_HALF_UP")
    extra = int(want - sum(floors))
    order = sorted(range(len(parts)), key=lambda i: (-(scaled[i] - floors[i]), i))
    for i in order[:extra]:
        floors[i] += 1
    return [f * unit for f in floors]


def expected(deals: list[dict], locale: str, win_since: date = WIN_SINCE) -> list[str]:
    won_q = sum((Decimal(d["amount"]) for d in deals if d["status"] == "won" and Q3[0] <= d["close"] < Q3[1]), Decimal(0))
    closed = [d for d in deals if d["status"] != "open" and d["close"] >= win_since]
    won_n = sum(1 for d in closed if d["status"] == "won")
    from_history = len(closed) >= MIN_CLOSED
    rate = won_n / len(closed) if from_history else FALLBACK
    remaining = max(Decimal(0), TARGET - won_q)
    pipeline = sum((Decimal(d["amount"]) for d in deals if d["status"] == "open" and Q3[0] <= d["close"] < Q3[1]), Decimal(0))
    unit = Decimal(10_000) if locale == "ja" else Decimal(1)
    if remaining > 0:
        rem_shown, won_shown = apportion([remaining, won_q], TARGET, unit)
    else:
        rem_shown, won_shown = remaining, won_q
    out = []
    if rate > 0:
        required = (remaining / Decimal(str(rate))).quantize(Decimal(1))
        ratio = f" （カバレッジ {percent(float(pipeline / required))}）" if locale == "ja" and required else ""
        if locale == "ja":
            out.append(f"残り目標 {yen(rem_shown)} ÷ 受注率 {percent(rate, 1)} = 必要パイプライン *{yen(required)}* ／ 実績 *{yen(pipeline)}*{ratio}")
        else:
            ratio = f" (coverage {percent(float(pipeline / required))})" if required else ""
            out.append(f"Remaining target {yen(rem_shown, 'en')} ÷ win rate {percent(rate, 1)} = required pipeline *{yen(required, 'en')}*"
                       f" / actual *{yen(pipeline, 'en')}*{ratio}")  # fmt: skip
    if locale == "ja":
        out.append(f"目標 {yen(TARGET)} − 受注済 {yen(won_shown)} ・受注率は{'過去6か月の実績' if from_history else '設定の既定値'}")
    else:
        out.append(f"Target {yen(TARGET, 'en')} − won {yen(won_shown, 'en')} · win rate {'from the last 6 months' if from_history else 'configured fallback'}")
    # Open pipeline by phase: the shown phases add up to the shown total.
    by_phase = [sum((Decimal(d["amount"]) for d in deals if d["status"] == "open" and d["phase"] == p), Decimal(0)) for p in range(1, 6)]
    counts = [sum(1 for d in deals if d["status"] == "open" and d["phase"] == p) for p in range(1, 6)]
    total = sum(by_phase, Decimal(0))
    unit = Decimal(10_000) if locale == "ja" and any(v >= 10_000 for v in [*by_phase, total]) else Decimal(1)
    shown = apportion(by_phase, total, unit)
    assert sum(shown) == (total / unit).quantize(Decimal(1), rounding="ROUND_HALF_UP") * unit
    fmt = (lambda v: yen(v)) if locale == "ja" else (lambda v: yen(v, "en"))  # noqa: E731
    if locale == "ja":
        out.append(f"オープンパイプライン（フェーズ別、計 {sum(counts)}件 {fmt(total if unit == 1 else sum(shown))}）")
        out.append(" · ".join(f"P{p} {n}件 {fmt(v)}" for p, n, v in zip(range(1, 6), counts, shown, strict=True)))
    else:
        out.append(f"Open pipeline by phase (total {sum(counts)}, {fmt(sum(shown))})")
        out.append(" · ".join(f"P{p} {n} {fmt(v)}" for p, n, v in zip(range(1, 6), counts, shown, strict=True)))
    return out


@pytest.fixture(params=["ja", "en"])
def config_path(request, tmp_path):
    text = (FIXTURES / "app.yaml").read_text(encoding="utf-8")
    text = text.replace("locale: ja, timezone: Asia/Tokyo}", f"locale: {request.param}, timezone: Asia/Tokyo}}")
    path = tmp_path / f"app-{request.param}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
async def test_digest_figures_equal_the_oracle(harness, config_path, seed):
    locale = config_path.stem.removeprefix("app-")
    deals = history(seed)
    syncs = [s for d in deals for s in d["syncs"][:1]] + [s for d in deals for s in d["syncs"][1:]]  # closes arrive late
    for s in syncs:
        status, body = await harness.post("/api/opportunities", s)
        assert status in (200, 201), body
    await harness.baton.scheduler.run_job("digest", channel="C0FS")
    await harness.deliver()
    text = _texts(harness.emu.channel_messages("C0FS")[-1]["blocks"])
    for line in expected(deals, locale):
        assert line in text, f"{line!r} not in\n{text}"
