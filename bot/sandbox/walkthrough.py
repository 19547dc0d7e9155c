"""Each role's day in the sandbox, in a real browser, acting only from App Home and messages: an IS
rep accepts an MQL from their home, an FS rep submits a forecast from theirs, a CSM escalates a health
alert, a manager reads the team's SLA and queue, the CRO the company's figures. Each home is saved
as a screenshot (`docs/screenshots/home-<role>.png` from `make screenshots`; a temporary folder in the
browser test). Needs Playwright (the test extra) and the seeded demo company (app.yaml's people)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

try:
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - only the browser test and `make screenshots` call this
    expect = None

# app.yaml's people: tanaka (is_rep), kato (fs_rep), matsumoto (csm), sato (is_manager), inoue (cro).
ROLES = {"is-rep": "U0ISE0001", "fs-rep": "U0FSE0001", "csm": "U0CSE0001", "manager": "U0ISM0001", "cro": "U0CRO0001"}
IS_CHANNEL = "C0IS0ENTERPRISE"
IS_REPS = ["U0ISE0001", "U0ISE0002", "U0ISE0003"]  # IS Enterprise: tanaka, suzuki, takahashi
LEAD = {"company": "ひかり精工株式会社", "name": "佐々木 葵", "title": "情報システム部長", "employees": "2000"}


def open_home(page: Any, page_url: str, user: str) -> Any:
    """The App Home tab as `user` (opening it sends app_home_opened, like Slack)."""
    page.goto(f"{page_url}?as={user}&ch=home")
    home = page.locator(".home")
    expect(home).to_be_visible()
    return home


def opens_at_newest(page: Any, url: str) -> None:
    """A conversation longer than the window opens scrolled to its newest message, as in Slack."""
    size = page.viewport_size
    page.set_viewport_size({"width": size["width"], "height": 420})
    page.goto(url)
    box = page.locator(".msgs")
    expect(box).to_be_visible()
    top, height, client = box.evaluate("b => [b.scrollTop, b.scrollHeight, b.clientHeight]")
    assert height > client, "the conversation is longer than the window"
    assert top + client >= height - 40, "opened at the newest message"
    page.set_viewport_size(size)


def shoot(page: Any, shots: Path | None, role: str) -> None:
    if shots is not None:
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shots / f"home-{role}.png"), full_page=True)


def is_rep_day(page: Any, page_url: str, shots: Path | None) -> None:
    """A lead arrives (marketing's tool, the control panel); the rep accepts it from their home."""
    page.goto(f"{page_url}?as={ROLES['is-rep']}&ch={IS_CHANNEL}")
    form = page.locator("#lead-form")
    for field, value in LEAD.items():
        form.locator(f"[name={field}]").fill(value)
    form.locator("[data-action=inject]").click()
    expect(page.locator(".msgs > .msg", has_text=LEAD["company"])).to_have_count(1)  # the card
    opens_at_newest(page, f"{page_url}?as={ROLES['is-rep']}&ch={IS_CHANNEL}")
    for rep in IS_REPS:  # round robin decides whose it is: the rep whose home lists it
        home = open_home(page, page_url, rep)
        expect(home).to_contain_text("インサイドセールス")
        expect(home).not_to_contain_text("is_rep")
        row = home.locator(".section", has_text=LEAD["company"])
        try:
            expect(row).to_have_count(1, timeout=2_000)
            break
        except AssertionError:
            continue
    expect(row).to_have_count(1)
    shoot(page, shots, "is-rep")
    accept = row.locator("xpath=following-sibling::div[contains(@class,'actions')][1]").locator("[data-action=mql_accept]")
    accept.click()
    expect(page.locator(".home [data-block^=sal_]", has_text=LEAD["company"])).to_have_count(1)  # now an SAL with Qualify
    expect(page.locator(".home [data-action=sal_menu]").first).to_be_visible()


def fs_rep_day(page: Any, page_url: str, shots: Path | None) -> None:
    """Their deals with the deal menu; the forecast is submitted from the home."""
    home = open_home(page, page_url, ROLES["fs-rep"])
    expect(home).to_contain_text("フィールドセールス")
    expect(home).not_to_contain_text("新しいMQL")
    expect(home.locator("[data-action=deal_menu]").first).to_be_visible()
    shoot(page, shots, "fs-rep")
    home.locator("[data-action=forecast_submit]").click()
    modal = page.locator(".modal")
    expect(modal).to_be_visible()
    modal.locator("[data-action=submit]").click()
    expect(page.locator(".modal")).to_have_count(0)
    expect(page.locator(".home")).to_contain_text("最新のフォーキャスト提出")


def csm_day(page: Any, page_url: str, shots: Path | None) -> None:
    """Accounts with health; the slipping customer's alert is escalated from the home."""
    home = open_home(page, page_url, ROLES["csm"])
    expect(home).to_contain_text("カスタマーサクセス")
    expect(home).to_contain_text("対応中のヘルスアラート")
    expect(home).not_to_contain_text("MQL")
    shoot(page, shots, "csm")
    home.locator("[data-action=health_escalate]").first.click()
    expect(page.locator(".home")).to_contain_text("エスカレーション済み")


def manager_day(page: Any, page_url: str, shots: Path | None) -> None:
    """The team at a glance: its SLA, who holds what, the queue."""
    home = open_home(page, page_url, ROLES["manager"])
    expect(home).to_contain_text("インサイドセールス マネージャー")
    expect(home).to_contain_text("チームの状況")
    expect(home).to_contain_text("SLA遵守率")
    expect(home).not_to_contain_text("新しいMQLが割り当てられます")
    shoot(page, shots, "manager")


def cro_day(page: Any, page_url: str, shots: Path | None) -> None:
    """Company coverage, the forecast roll-up against target, the one bottleneck, capacity."""
    home = open_home(page, page_url, ROLES["cro"])
    for text in ("CRO", "全社", "カバレッジ", "フォーキャスト", "体制"):
        expect(home).to_contain_text(text)
    expect(home).not_to_contain_text("新しいMQLが割り当てられます")
    shoot(page, shots, "cro")


DAYS = [is_rep_day, fs_rep_day, csm_day, manager_day, cro_day]


def every_role(page: Any, page_url: str, shots: Path | None = None) -> None:
    page.set_default_timeout(15_000)
    for day in DAYS:
        day(page, page_url, shots)
