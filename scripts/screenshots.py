"""`make screenshots`: start the sandbox with the seeded demo company, drive it in Debian's chromium
(Playwright, `executable_path` only — no browser download) and save PNGs under docs/screenshots/."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.sandbox.launch import CHROMIUM, CHROMIUM_ARGS, running_sandbox  # noqa: E402
from bot.sandbox.walkthrough import every_role  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
START = "2026-11-24T10:00:00+09:00"  # a Tuesday morning in Tokyo: inside working hours


def main() -> int:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("playwright is not installed: pip install -e '.[test]'", file=sys.stderr)
        return 2
    if not Path(CHROMIUM).exists():
        print(f"no browser at {CHROMIUM}: apt-get install -y chromium", file=sys.stderr)
        return 2
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, running_sandbox(Path(tmp), start=START, seed=True) as sb:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1440, "height": 900}, device_scale_factor=1)
            rep, manager = "U0ISE0001", "U0ISM0001"
            page.goto(f"{sb.page_url}?as={rep}&ch=C0IS0ENTERPRISE")
            page.wait_for_selector("[data-action=mql_accept]")
            page.screenshot(path=str(OUT / "channel-mql-cards.png"))
            page.locator("[data-action=mql_reject]").first.click()
            page.wait_for_selector(".modal")
            page.screenshot(path=str(OUT / "reject-modal.png"))
            page.locator("[data-action=close]").click()
            page.wait_for_selector(".modal", state="detached")
            page.locator("button[data-action=advance-hour]").click()
            page.goto(f"{sb.page_url}?as={manager}&ch=home")
            page.wait_for_selector("[data-action=home_away]")
            page.screenshot(path=str(OUT / "app-home-manager.png"), full_page=True)
            page.locator("#side a[data-conv^=D]").first.click()
            page.wait_for_selector(".msg")
            page.screenshot(path=str(OUT / "escalation-dm.png"))
            browser.close()
    # Each role's home, after a fresh start (the walkthrough acts from each home and saves it).
    with tempfile.TemporaryDirectory() as tmp, running_sandbox(Path(tmp), start=START, seed=True) as sb:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            every_role(browser.new_page(viewport={"width": 1440, "height": 900}, device_scale_factor=1), sb.page_url, OUT)
            browser.close()
    for p in sorted(OUT.glob("*.png")):
        print(p.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
