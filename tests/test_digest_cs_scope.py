"""A Customer Success team's digest covers its own accounts — those whose CSM is a member of the team —
and what follows from them (health, renewals, churn, their upsell deals), and says so on the message.
Two CS teams fed through the API; every expected figure is computed here from the facts posted (no
bot.domain), in ja (team A) and en (team B), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import FIXTURES
from tests.test_digest_chart import figures  # noqa: F401 — the fixture keeping each chart's figure
from tests.oracle_format import yen
from tests.oracle_format import texts as _texts

JST = ZoneInfo("Asia/Tokyo")
PEOPLE = (
    "  - {id: kato,     name: 加藤, slack_id: U0KATO, roles: [fs_rep]}\n"
    "  - {id: yamamoto, name: 山本, slack_id: U0CSMGR, roles: [cs_manager]}\n"
    "  - {id: matsumoto, name: 松本, slack_id: U0CSMA, roles: [csm]}\n"
    "  - {id: kimura, name: 木村, slack_id: U0CSMB, roles: [csm]}\n"
)
TEAMS = (
    "  - {id: cs_a, name: CS East, function: customer_success, channel: C0CSA, manager: yamamoto, members: [matsumoto], calendar: tokyo}\n"
    "  - {id: cs_b, name: CS West, function: customer_success, channel: C0CSB, manager: yamamoto, members: [kimura], calendar: tokyo, locale: en}\n"
)
DIGESTS = (
    '    - {channel: "C0CSA", time: "09:30", scope: team, team: cs_a}\n'
    '    - {channel: "C0CSB", time: "09:30", scope: team, team: cs_b}\n'
)
TEAM_OF = {"matsumoto": "A", "kimura": "B"}
CHANNEL = {"A": "C0CSA", "B": "C0CSB"}
LOCALE = {"A": "ja", "B": "en"}

# Accounts: (external id, CSM, ARR, renewal date, features used on 11-24 or None, churned on 11-24)
ACCOUNTS = [
    ("A1", "matsumoto", 12_000_000, date(2026, 12, 15), 10, False),
    ("A2", "matsumoto", 6_000_000, date(2027, 3, 31), 5, False),
    ("A3", "matsumoto", 3_000_000, date(2026, 11, 30), None, True),
    ("B1", "kimura", 24_000_000, date(2026, 12, 1), 2, False),
    ("B2", "kimura", 1_500_000, date(2027, 1, 15), 10, False),
]
# Deals: (external id, account or None, amount, phase, status, close date, full 7 items)
DEALS = [
    ("U1", "A1", 2_000_000, 3, "won", date(2026, 11, 24), True),
    ("U2", "A2", 4_000_000, 2, "open", date(2026, 12, 20), False),  # missing items: needs attention
    ("U3", "B1", 8_000_000, 4, "lost", date(2026, 12, 10), True),
    ("U4", "B2", 1_000_000, 1, "open", date(2026, 12, 5), False),
    ("N1", None, 50_000_000, 3, "open", date(2026, 12, 18), False),  # new business: no CS team's
]
QUARTER = (date(2026, 10, 1), date(2027, 1, 1))  # FY2026-Q3, the digest's period on 11-25


@pytest.fixture
def config_path(tmp_path):
    text = (FIXTURES / "app.yaml").read_text(encoding="utf-8")
    text = text.replace("  - {id: kato,     name: 加藤, slack_id: U0KATO, roles: [fs_rep]}\n", PEOPLE)
    fs = next(line for line in text.splitlines(keepends=True) if line.startswith("  - {id: fs,"))
    text = text.replace(fs, fs + TEAMS)
    smb = next(line for line in text.splitlines(keepends=True) if '"C0SMB"' in line)
    text = text.replace(smb, smb + DIGESTS)
    assert "cs_b" in text and "C0CSB" in text
    path = tmp_path / "app.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def band(features: int | None) -> str:
    """app.yaml: the only measure with data is features (≥8 → 100, ≥4 → 60, ≥1 → 30 points);
    missing measures are ignored; green ≥ 70, yellow ≥ 40."""
    if features is None:
        return "none"
    points = 100 if features >= 8 else 60 if features >= 4 else 30 if features >= 1 else 0
    return "green" if points >= 70 else "yellow" if points >= 40 else "red"


def expected(team: str) -> list[str]:
    """The lines of the team's digest on 11-25, from the facts above."""
    loc = LOCALE[team]
    mine = {a[0]: a for a in ACCOUNTS if TEAM_OF[a[1]] == team}
    deals = [d for d in DEALS if d[1] in mine]
    arr = {ext: Decimal(a[2]) for ext, a in mine.items()}
    for _, acc, amount, _, status, _, _ in deals:
        if status == "won":
            arr[acc] += amount  # an upsell won grows its account's ARR
    live = [ext for ext, a in mine.items() if not a[5]]
    churned = [ext for ext, a in mine.items() if a[5]]  # churned on 11-24: the previous working day, in the quarter
    live_arr = sum((arr[e] for e in live), Decimal(0))
    churned_arr = sum((arr[e] for e in churned), Decimal(0))
    bands = {b: sum(band(mine[e][4]) == b for e in live) for b in ("green", "yellow", "red", "none")}
    renew = [e for e in live if QUARTER[0] <= mine[e][3] < QUARTER[1]]
    renew_arr = sum((arr[e] for e in renew), Decimal(0))
    won = [d for d in deals if d[4] == "won"]  # all closed on 11-24
    lost = [d for d in deals if d[4] == "lost"]
    open_ = [d for d in deals if d[4] == "open"]
    won_amt, lost_amt, open_amt = (sum((Decimal(d[2]) for d in ds), Decimal(0)) for ds in (won, lost, open_))
    phases = {p: [d for d in open_ if d[3] == p] for p in range(1, 6)}
    if loc == "ja":
        return [
            f"対象: このチームのCSMが担当する顧客 {len(live)}社（ARR {yen(live_arr)}）と、そのアップセル商談",
            f"解約 {len(churned)}社（ARR {yen(churned_arr)}） · 新規アップセル商談 {len(deals)} · 受注 {len(won)}件 {yen(won_amt)} · 失注 {len(lost)}件 {yen(lost_amt)}",
            f"担当顧客のアップセル商談（フェーズ別、計 {len(open_)}件 {yen(open_amt)}）",
            " · ".join(f"P{p} {len(ds)}件 {yen(sum(d[2] for d in ds))}" for p, ds in phases.items()),
            f"ヘルス 🟢 {bands['green']}社 · 🟡 {bands['yellow']}社 · 🔴 {bands['red']}社 · 未算出 {bands['none']}社",
            f"更新予定 {len(renew)}社（ARR {yen(renew_arr)}） · 解約 {len(churned)}社（ARR {yen(churned_arr)}） · アップセル受注 {len(won)}件 {yen(won_amt)}",
        ]
    return [
        f"Covers the accounts whose CSM is in this team: {len(live)} (ARR {yen(live_arr, 'en')}), and their upsell deals",
        f"churned {len(churned)} (ARR {yen(churned_arr, 'en')}) · upsell deals created {len(deals)} · won {len(won)} {yen(won_amt, 'en')} · lost {len(lost)} {yen(lost_amt, 'en')}",
        f"Open upsell deals of these accounts by phase (total {len(open_)}, {yen(open_amt, 'en')})",
        " · ".join(f"P{p} {len(ds)} {yen(sum(d[2] for d in ds), 'en')}" for p, ds in phases.items()),
        f"Health 🟢 {bands['green']} · 🟡 {bands['yellow']} · 🔴 {bands['red']} · no score {bands['none']}",
        f"renewals due {len(renew)} (ARR {yen(renew_arr, 'en')}) · churned {len(churned)} (ARR {yen(churned_arr, 'en')}) · upsell won {len(won)} {yen(won_amt, 'en')}",
    ]


async def feed(harness) -> None:
    ids = {}
    for ext, csm, arr, renewal, features, _ in ACCOUNTS:
        status, body = await harness.post("/api/accounts", {"external_id": ext, "name": f"顧客 {ext}", "csm": csm, "arr": arr,
                                                           "seats": 10, "renewal_date": renewal.isoformat()})  # fmt: skip
        assert status == 201, body
        ids[ext] = body["id"]
        if features is not None:
            status, body = await harness.post(f"/api/accounts/{ids[ext]}/signals", {"day": "2026-11-24", "values": {"features_used": features}})
            assert status == 200, body
    full = {"next_action": "提案", "next_action_due": "2026-12-01", "key_person": "部長", "competitors": "なし", "risks": "予算"}
    for ext, acc, amount, phase, status_, close, items in DEALS:
        deal = {"external_id": ext, "name": f"商談 {ext}", "owner": "kato", "amount": amount, "phase": phase, "close_date": close.isoformat(),
                **({"kind": "upsell", "account_id": ids[acc]} if acc else {}), **(full if items else {})}  # fmt: skip
        if status_ != "open":
            deal |= {"status": status_} | ({"lost_reason": "competitor"} if status_ == "lost" else {})
        status, body = await harness.post("/api/opportunities", deal)
        assert status == 201, body
    for ext, *_, churned in ACCOUNTS:
        if churned:
            status, body = await harness.post(f"/api/accounts/{ids[ext]}/churn", {"reason": "budget"})
            assert status == 200, body
    await harness.deliver()


async def test_each_cs_team_digest_shows_only_its_accounts(harness):
    await feed(harness)
    harness.clock.advance(timedelta(days=1))  # Wednesday 11-25: the previous working day is 11-24, when it all happened
    assert harness.clock.now().astimezone(JST).date() == date(2026, 11, 25)
    for team in ("A", "B"):
        channel = CHANNEL[team]
        assert await harness.baton.scheduler.run_job("digest", channel=channel) == [channel]
        await harness.deliver()
        posted = harness.emu.channel_messages(channel)
        digests = [m for m in posted if m["text"].startswith(("パイプライン・ダイジェスト", "Pipeline digest"))]
        assert len(digests) == 1, [m["text"] for m in posted]
        msg = digests[0]
        text = _texts(msg["blocks"])
        for line in expected(team):
            assert line in text, f"team {team}: {line!r} not in\n{text}"
        # The deals needing attention are its accounts' upsells only; leads, SLA, coverage and the
        # lead funnel are not its population and are not shown.
        others = {d[0] for d in DEALS} - {d[0] for d in DEALS if d[1] and d[1].startswith(team)}
        assert ("商談 U2" in text) == (team == "A") and ("商談 U4" in text) == (team == "B")
        assert not any(f"商談 {o}" in text for o in others), text
        for word in ("MQL", "SLA", "カバレッジ", "Coverage", "ファネル", "Funnel"):
            assert word not in text, f"team {team}: {word} in\n{text}"
    # Not vacuous: the two teams' figures differ, and the company digest still sees every deal.
    assert expected("A")[0] != expected("B")[0].replace("Covers", "")
    await harness.baton.scheduler.run_job("digest", channel="C0MGRS")
    await harness.deliver()
    company = _texts(harness.emu.channel_messages("C0MGRS")[-1]["blocks"])
    open_all = [d for d in DEALS if d[4] == "open"]
    assert f"計 {len(open_all)}件 {yen(sum(d[2] for d in open_all))}" in company, company


async def test_a_cs_team_digest_charts_its_accounts_by_health(harness, figures):
    """No lead funnel for a CS team: its chart's left panel is its live accounts by health band
    (top to bottom: healthy, watch, at risk, no score), in the digest's thread like every chart."""
    await feed(harness)
    harness.clock.advance(timedelta(days=1))
    for team in ("A", "B"):
        channel = CHANNEL[team]
        assert await harness.baton.scheduler.run_job("digest", channel=channel) == [channel]
        await harness.deliver()
        fig = figures[-1]
        live = [a for a in ACCOUNTS if TEAM_OF[a[1]] == team and not a[5]]
        bars = {b: sum(band(a[4]) == b for a in live) for b in ("green", "yellow", "red", "none")}
        left = fig.axes[0]
        assert [bar.get_width() for bar in left.patches][::-1] == [bars["green"], bars["yellow"], bars["red"], bars["none"]]
        assert left.get_title() == (f"顧客のヘルス（{len(live)}社）" if LOCALE[team] == "ja" else f"Accounts by health ({len(live)})")
        [msg] = [m for m in harness.emu.channel_messages(channel) if m["text"].startswith(("パイプライン・ダイジェスト", "Pipeline digest"))]
        assert [f for m in harness.emu.thread(channel, msg["ts"]) for f in m.get("files", [])], "no chart in the digest's thread"
