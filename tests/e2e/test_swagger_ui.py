"""Swagger UI in a real browser (Debian's Chromium): it renders with every non-local request blocked,
Authorize takes a token, and "Try it out" sends it through the gateway."""

from __future__ import annotations

import os
import shutil
from urllib.parse import urlsplit

import pytest
from playwright.async_api import Route, async_playwright

from devtools.stack import Stack
from services.kernel.settings import DATA_DIR
from tests.support import TokenFactory

SCREENSHOT = DATA_DIR / "test-artifacts" / "swagger-ui.png"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("CI"),
    reason="Debian's chromium is not installed (`make install` installs it where apt-get is available)",
)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


async def test_swagger_ui_loads_offline_and_authorize_sends_the_token(
    stack: Stack, tokens: TokenFactory
) -> None:
    assert CHROMIUM, "CI must have Debian's chromium: see scripts/install-system-packages.sh"
    token = tokens("coordinator")
    blocked: list[str] = []
    sent_authorization: dict[str, str | None] = {}

    async def local_only(route: Route) -> None:
        host = urlsplit(route.request.url).hostname
        if host in {"127.0.0.1", "localhost"}:
            if "/api/v1/" in route.request.url:
                sent_authorization[urlsplit(route.request.url).path] = route.request.headers.get(
                    "authorization"
                )
            await route.continue_()
        else:
            blocked.append(route.request.url)
            await route.abort()

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = await browser.new_page()
            await page.route("**/*", local_only)
            await page.goto(f"{stack.gateway}/docs")
            await page.locator(".info .title").filter(has_text="Ledelsesutvikling API").wait_for()
            assert await page.locator(".opblock-tag-section").count() >= 6

            await page.locator(".auth-wrapper button.authorize").click()
            await page.locator(".modal-ux input[type=text]").fill(token)
            await page.locator(".modal-ux .auth-btn-wrapper button.authorize").click()
            await page.locator(".modal-ux button.btn-done").click()

            await page.locator("h3.opblock-tag[data-tag='catalog · offerings']").click()
            operation = page.locator(
                ".opblock-get .opblock-summary-path[data-path='/api/v1/catalog/offering-kinds']"
            )
            await operation.scroll_into_view_if_needed()
            await operation.click()
            block = page.locator(".opblock.is-open")
            # "Try it out" is on from the start (tryItOutEnabled), so Execute is there at once.
            await block.locator("button.execute").click()
            status = block.locator(".live-responses-table tbody .response-col_status").first
            await status.wait_for()
            assert (await status.inner_text()).strip() == "200"
            assert (
                "Temasamling"
                in await block.locator(".live-responses-table .highlight-code").first.inner_text()
            )
            # Kept for people to look at: .data/test-artifacts/swagger-ui.png.
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            await status.scroll_into_view_if_needed()  # the 200 in the picture
            await page.screenshot(path=str(SCREENSHOT), full_page=False)
            assert SCREENSHOT.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        finally:
            await browser.close()

    assert blocked == [], "the page tried to load something from outside this machine"
    assert sent_authorization == {"/api/v1/catalog/offering-kinds": f"Bearer {token}"}
