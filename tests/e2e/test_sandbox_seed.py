"""The sandbox's demo company, as someone opening it meets it: customers with weeks of health
history and renewals coming up (a slipping one with its open alert), and every waiting MQL with its
card and an SLA deadline; the usage-signal form offers the signals app.yaml's health measures read."""

from __future__ import annotations

import json
import sqlite3
import time
import urllib.request
from datetime import date
from pathlib import Path

import yaml

from bot.sandbox.launch import ROOT, running_sandbox

START = "2026-11-24T10:00:00+09:00"


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as r:  # noqa: S310 (local URL)
        return r.read()


def test_the_demo_company_has_customers_and_actionable_mqls(tmp_path: Path) -> None:
    with running_sandbox(tmp_path, start=START, seed=True) as sb:
        db = sqlite3.connect(tmp_path / "sandbox.db")
        accounts = db.execute("SELECT id, name, renewal_date, csm_id FROM accounts").fetchall()
        assert len(accounts) >= 3 and all(csm for *_, csm in accounts)
        today = date(2026, 11, 24)
        assert any(0 < (date.fromisoformat(str(r)[:10]) - today).days <= 90 for _, _, r, _ in accounts)  # a renewal soon
        for acc_id, *_ in accounts:
            days = db.execute("SELECT COUNT(DISTINCT day) FROM health_snapshots WHERE account_id = ?", (acc_id,)).fetchone()[0]
            assert days >= 3, "each customer has a health history"
        alerts = db.execute("SELECT subject FROM alerts WHERE kind = 'health_drop' AND state = 'open'").fetchall()
        assert alerts, "the slipping customer has an open health alert"

        mqls = db.execute("SELECT company, sla_due_at FROM leads WHERE stage = 'mql'").fetchall()
        assert mqls and all(due for _, due in mqls), "every waiting MQL has an SLA deadline"
        for _ in range(100):  # the outbox posts the cards within moments
            texts = json.dumps(json.loads(_get(sb.page_url + "_state"))["messages"], ensure_ascii=False)
            if all(company in texts for company, _ in mqls):
                break
            time.sleep(0.1)
        assert all(company in texts for company, _ in mqls), "every waiting MQL has its card"

        page = _get(sb.page_url).decode()
        config = yaml.safe_load((ROOT / "app.yaml").read_text(encoding="utf-8"))
        for m in config["success"]["health"]["measures"]:
            assert f"<option>{m['signal']}</option>" in page
        assert "<option>data_registered</option>" not in page
