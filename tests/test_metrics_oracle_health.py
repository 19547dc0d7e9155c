"""Oracle, health alerts: random usage histories — established accounts, young accounts (a few days
old), imports of past usage (back-dated, sometimes in two batches out of order) and a day's usage
synced a day late — fed through the documented API day by day. Every health-drop alert in the CS
channel is compared with one computed here from the generated signals alone (no import from
bot.domain or bot.formatting): the score and band, the drop measured against the highest score
within `alerts.drop_days` (whatever history exists), the band downgrade, the collapse of logins,
each measure that moved in its own unit with its points second, updates and recovery. ja and en,
SQLite and PostgreSQL.

The fixture's measures: logins (7-day sum ÷ seats, 0 → 5 per seat linear, weight 2), features (7-day
max: ≥8 100, ≥4 60, ≥1 30, else 0), NPS (latest within 90 days: ≥30 100, ≥0 60, else 20); missing
data is ignored; bands green ≥70, yellow ≥40; alerts: drop 15 points within 7 days, band downgrade,
logins collapsing by 50 % against 7 days before."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal
from fractions import Fraction

import pytest

from tests.conftest import FIXTURES, T0
from tests.oracle_format import avg1, day, percent, whole
from tests.oracle_format import texts as _texts

CS_PEOPLE = (
    "  - {id: kato,     name: 加藤, slack_id: U0KATO, roles: [fs_rep]}\n"
    "  - {id: yamamoto, name: 山本, slack_id: U0CSMGR, roles: [cs_manager]}\n"
    "  - {id: matsumoto, name: 松本, slack_id: U0CSM, roles: [csm]}\n"
)
CS_TEAM = "  - {id: cs, name: Customer Success, function: customer_success, channel: C0CS, manager: yamamoto, members: [matsumoto], calendar: tokyo}\n"
DAYS = 14  # simulated days from T0
LABELS = {"logins": "ログイン/席", "features": "利用機能数", "nps": "NPS"}
BANDS = {"ja": {"green": "🟢 良好", "yellow": "🟡 注意", "red": "🔴 危険"}, "en": {"green": "🟢 Healthy", "yellow": "🟡 Watch", "red": "🔴 At risk"}}
RANK = {"red": 0, "yellow": 1, "green": 2}


@pytest.fixture(params=["ja", "en"])
def config_path(request, tmp_path):
    text = (FIXTURES / "app.yaml").read_text(encoding="utf-8")
    text = text.replace("locale: ja, timezone: Asia/Tokyo}", f"locale: {request.param}, timezone: Asia/Tokyo}}")
    text = text.replace("  - {id: kato,     name: 加藤, slack_id: U0KATO, roles: [fs_rep]}\n", CS_PEOPLE)
    fs = next(line for line in text.splitlines(keepends=True) if line.startswith("  - {id: fs,"))
    text = text.replace(fs, fs + CS_TEAM)
    path = tmp_path / f"app-{request.param}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


# -- the generated facts ------------------------------------------------------------------------------


def usage(seed: int) -> list[dict]:
    """Accounts, each with its signals per day (day index from T0) and the day index each is posted on."""
    rng = random.Random(seed * 104_729)
    out = []
    for i in range(rng.randint(4, 6)):
        kind = rng.choice(["established", "young", "imported"])
        seats = rng.choice([4, 5, 8, 10, 20])
        start = {"established": 0, "young": rng.randint(DAYS - 5, DAYS - 2), "imported": rng.randint(2, DAYS - 3)}[kind]
        first = start - 10 if kind == "imported" else start  # an import brings ten days of past usage
        fall = rng.randint(start + 1, DAYS - 1 if kind == "young" else DAYS + 2)  # usage falls from this day on (maybe never in the run)
        logins, features = rng.randint(seats // 2, seats), rng.choice([3, 5, 9])
        low_logins, low_features = rng.randint(0, max(1, seats // 4)), rng.choice([0, 1, 4, features])
        posts: dict[int, list[dict]] = {}
        split = kind == "imported" and rng.random() < 0.5  # the import in two posts: its later days first
        for d in range(first, DAYS):
            if rng.random() < 0.15:
                continue  # no usage reported that day
            values = {"logins": low_logins if d >= fall else logins + rng.randint(-1, 2), "features_used": low_features if d >= fall else features}
            if rng.random() < 0.2:
                values["nps"] = rng.choice([-40, -5, 0, 10, 29, 30, 55])
            if kind == "young" and d in (start, fall):  # a young account's windows only fill up: its drop is what customers say
                values["nps"] = 55 if d == start else rng.choice([-40, 10])
            values["logins"] = max(0, values["logins"])
            if d < start:  # imported on the start day
                on = start
            else:
                on = d + 1 if d + 1 < DAYS and rng.random() < 0.2 else d  # sometimes synced a day late
            posts.setdefault(on, []).append({"day": d, "values": values, "batch": 1 if split and start - 5 <= d < start else 0})
        out.append({"external_id": f"H{seed}-{i}", "name": f"顧客{i}", "seats": seats, "kind": kind, "start": start, "posts": posts})
    return out


# -- the oracle ---------------------------------------------------------------------------------------


def dec(f: Fraction) -> Decimal:
    return Decimal(f.numerator) / Decimal(f.denominator)


def measures(signals: dict[tuple[int, str], Fraction], seats: int, d: int) -> dict[str, Fraction | None]:
    """Each measure's value on day d from the known signals."""

    def window(name: str, days: int) -> list[tuple[int, Fraction]]:
        return [(k, v) for (k, s), v in signals.items() if s == name and d - days < k <= d]

    logins, features, nps = window("logins", 7), window("features_used", 7), window("nps", 90)
    return {
        "logins": sum((v for _, v in logins), Fraction(0)) / seats if logins else None,
        "features": max(v for _, v in features) if features else None,
        "nps": max(nps)[1] if nps else None,
    }


def points(mid: str, v: Fraction) -> Fraction:
    if mid == "logins":
        return max(Fraction(0), min(Fraction(100), v / 5 * 100))
    if mid == "features":
        return Fraction(100 if v >= 8 else 60 if v >= 4 else 30 if v >= 1 else 0)
    return Fraction(100 if v >= 30 else 60 if v >= 0 else 20)


WEIGHTS = {"logins": 2, "features": 1, "nps": 1}


def score(values: dict[str, Fraction | None]) -> tuple[int, str] | None:
    have = {k: v for k, v in values.items() if v is not None}
    if not have:
        return None
    s = whole(dec(sum(points(k, v) * WEIGHTS[k] for k, v in have.items()) / sum(WEIGHTS[k] for k in have)))
    return s, "green" if s >= 70 else "yellow" if s >= 40 else "red"


def simulate(accounts: list[dict]) -> list[dict]:
    """Every alert the facts call for, in the order they open, in its final state."""
    alerts: list[dict] = []
    for acc in accounts:
        acc["signals"], acc["snaps"], acc["open"] = {}, {}, None
    for today in range(DAYS):
        for acc in accounts:
            for batch in (1, 0):
                items = [p for p in acc["posts"].get(today, []) if p["batch"] == batch]
                if items:
                    post(acc, today, items, alerts)
    return alerts


def snapshot(acc: dict, d: int) -> None:
    values = measures(acc["signals"], acc["seats"], d)
    got = score(values)
    if got is not None:
        acc["snaps"][d] = {"score": got[0], "band": got[1], "values": values}


def post(acc: dict, today: int, items: list[dict], alerts: list[dict]) -> None:
    for p in items:
        for k, v in p["values"].items():
            acc["signals"][(p["day"], k)] = Fraction(v)
    back = [p["day"] for p in items if p["day"] < today]
    if back:  # a day's history is what its signals say, whenever they arrived
        for d in sorted(set(back) | {d for d in acc["snaps"] if min(back) <= d < today}):
            snapshot(acc, d)
    snapshot(acc, today)
    now = acc["snaps"].get(today)
    if now is None:
        return
    window = [d for d in acc["snaps"] if today - 7 <= d < today]
    baseline = max(window, key=lambda d: (acc["snaps"][d]["score"], d)) if window else None
    earlier = [d for d in acc["snaps"] if d < today]
    previous = max(earlier) if earlier else None
    found = []
    if baseline is not None and acc["snaps"][baseline]["score"] - now["score"] >= 15:
        found.append({"kind": "score_drop", "from": acc["snaps"][baseline]["score"], "to": now["score"], "days": today - baseline})
    if previous is not None and RANK[now["band"]] < RANK[acc["snaps"][previous]["band"]]:
        found.append({"kind": "band_down", "from": acc["snaps"][previous]["band"], "to": now["band"]})
    then_v, now_v = measures(acc["signals"], acc["seats"], today - 7)["logins"], now["values"]["logins"]
    if now_v is not None and then_v and (now_v - then_v) / then_v * 100 <= -50:
        found.append({"kind": "collapse", "from": then_v, "to": now_v})
    alert = acc["open"]
    if alert is not None:
        if found:
            known = {(t["kind"]) for t in alert["triggers"]}
            new = [t for t in found if t["kind"] not in known]
            if new:
                alert["triggers"] += new
                alert["score"], alert["band"] = now["score"], now["band"]
        elif RANK[now["band"]] >= RANK[alert["base"]["band"]] and now["score"] > alert["base"]["score"] - 15:
            alert["state"], alert["resolved_score"], acc["open"] = "resolved", now["score"], None
        return
    if not found:
        return
    base_day = baseline if baseline is not None else previous
    base = {**acc["snaps"][base_day], "day": base_day} if base_day is not None else None
    acc["open"] = {"account": acc, "state": "open", "score": now["score"], "band": now["band"], "base": base, "triggers": found,
                   "moved": moved(base["values"] if base else None, now["values"])}  # fmt: skip
    alerts.append(acc["open"])


def moved(before: dict | None, after: dict) -> list[dict]:
    out = []
    for mid in ("logins", "features", "nps"):
        then, to = (before or {}).get(mid), after[mid]
        if then is None or to is None:
            continue
        pf, pt = whole(dec(points(mid, then))), whole(dec(points(mid, to)))
        if pf != pt or then != to:
            out.append({"measure": mid, "vf": then, "vt": to, "from": pf, "to": pt})
    return sorted(out, key=lambda m: m["to"] - m["from"])


def lines(alert: dict, locale: str) -> list[str]:
    ja = locale == "ja"
    bands, base = BANDS[locale], alert["base"]
    out = [("*ヘルススコア*\n{} 点 {}" if ja else "*Health score*\n{} {}").format(alert["score"], bands[alert["band"]])]
    if base:
        since = day(T0.date() + timedelta(days=base["day"]), locale)
        out.append(f"*トレンド*\n推移 {base['score']} → {alert['score']}（{since} から）" if ja else f"*Trend*\nTrend {base['score']} → {alert['score']} (since {since})")
    else:
        out.append(f"*トレンド*\nスコア {alert['score']}" if ja else f"*Trend*\nScore {alert['score']}")
    what = []
    for t in alert["triggers"]:
        if t["kind"] == "score_drop":
            what.append(f"• スコアが {t['days']} 日前の {t['from']} 点から {t['to']} 点へ {t['from'] - t['to']} 点低下" if ja
                        else f"• Score fell {t['from'] - t['to']} points from {t['from']} to {t['to']} over {t['days']} days")  # fmt: skip
        elif t["kind"] == "band_down":
            what.append(f"• バンド低下: {bands[t['from']]} → {bands[t['to']]}" if ja else f"• Band down: {bands[t['from']]} → {bands[t['to']]}")
        else:
            pct, frm, to = percent(dec((t["to"] - t["from"]) / t["from"])), avg1(dec(t["from"])), avg1(dec(t["to"]))
            what.append(f"• ログイン/席 が 7 日前比 {pct}（{frm} → {to}）" if ja else f"• ログイン/席 {pct} vs 7 days ago ({frm} → {to})")
    out.append(("*検知した低下*\n" if ja else "*What dropped*\n") + "\n".join(what))
    if alert["moved"]:
        parts = []
        for m in alert["moved"][:10]:
            delta = m["to"] - m["from"]
            sign = f"+{delta}" if delta > 0 else str(delta)
            vf, vt = avg1(dec(m["vf"])), avg1(dec(m["vt"]))
            parts.append(f"{LABELS[m['measure']]} {vf} → {vt}" + (f"（{m['from']}→{m['to']}点、{sign}）" if ja else f" ({m['from']}→{m['to']} points, {sign})"))
        out.append(("指標の変化: " if ja else "Measures that moved: ") + " · ".join(parts))
    if alert["state"] == "resolved":
        out.append(f"🟢 回復しました（スコア {alert['resolved_score']}）" if ja else f"🟢 Recovered (score {alert['resolved_score']})")
    else:
        out.append("*状態*\n未対応" if ja else "*Status*\nOpen")
    return out


# -- through the API ------------------------------------------------------------------------------------


async def feed(harness, accounts: list[dict]) -> None:
    ids: dict[str, int] = {}
    for today in range(DAYS):
        for acc in accounts:
            if today == acc["start"]:
                status, body = await harness.post("/api/accounts", {"external_id": acc["external_id"], "name": acc["name"], "csm": "matsumoto",
                                                                   "seats": acc["seats"], "arr": 1_200_000, "renewal_date": "2027-09-30"})  # fmt: skip
                assert status == 201, body
                ids[acc["external_id"]] = body["id"]
            for batch in (1, 0):
                items = [p for p in acc["posts"].get(today, []) if p["batch"] == batch]
                if not items:
                    continue
                payload = [{"day": (T0.date() + timedelta(days=p["day"])).isoformat(), "values": p["values"]} for p in items]
                status, body = await harness.post(f"/api/accounts/{ids[acc['external_id']]}/signals", payload)
                assert status == 200, body
        await harness.deliver()
        harness.clock.advance(timedelta(days=1))


SEEDS = [1, 2, 3, 4, 5]


def test_the_histories_exercise_every_case():
    """Not vacuous: over the seeds, alerts of young and imported accounts (one imported out of
    order), updated with new triggers, and recovered."""
    alerts = [a for seed in SEEDS for a in simulate(usage(seed))]
    kinds = {a["account"]["kind"] for a in alerts}
    assert kinds == {"established", "young", "imported"}, kinds
    assert any(a["state"] == "resolved" for a in alerts) and any(a["state"] == "open" for a in alerts)
    assert {t["kind"] for a in alerts for t in a["triggers"]} == {"score_drop", "band_down", "collapse"}
    assert any(p["batch"] for seed in SEEDS for acc in usage(seed) for ps in acc["posts"].values() for p in ps)


@pytest.mark.parametrize("seed", SEEDS)
async def test_health_alerts_equal_the_oracle(harness, config_path, seed):
    locale = config_path.stem.removeprefix("app-")
    accounts = usage(seed)
    expected = simulate(accounts)
    await feed(harness, accounts)
    posted = [m for m in harness.emu.channel_messages("C0CS") if m["text"].startswith("📉")]
    assert [m["text"].split(": ", 1)[1].split(" ")[0] for m in posted] == [a["account"]["name"] for a in expected]
    for message, alert in zip(posted, expected, strict=True):
        text = _texts(message["blocks"])
        for line in lines(alert, locale):
            assert line in text, f"{alert['account']['name']} ({alert['account']['kind']}): {line!r} not in\n{text}"
