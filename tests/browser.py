"""A real browser for the UI tests: Debian's Chromium driven by Playwright (no browser is ever downloaded)."""
from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")


@contextlib.contextmanager
def chromium_page(width: int = 1500, height: int = 950):
    """A fresh browser context's page (its own cookies), closed afterwards; skips the test without Chromium."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists() and not shutil.which("chromium"):
        pytest.skip("Debian's Chromium is not installed (apt-get install chromium; .ci/run installs it)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        try:
            context = browser.new_context(viewport={"width": width, "height": height}, locale="sv-SE",
                                          timezone_id="Europe/Stockholm")
            page = context.new_page()
            page.set_default_timeout(30_000)
            yield page
        finally:
            browser.close()
