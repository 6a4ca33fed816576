"""/api/docs works offline: Swagger UI's assets come from the server itself (issue #11 item 8)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.browser


def test_docs_page_renders_the_operations_with_no_outside_request(browser: Any,
                                                                 live_url: str) -> None:
    context = browser.new_context()
    page = context.new_page()
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    # Offline: anything addressed outside the server fails, as it would without a network.
    page.route("**/*", lambda route: route.continue_()
               if urlsplit(route.request.url).hostname == "127.0.0.1" else route.abort())
    try:
        page.goto(live_url + "/api/docs", wait_until="load")
        page.wait_for_selector(".opblock-summary", timeout=120_000)
        operations = page.locator(".opblock-summary-path").all_inner_texts()
        assert "/api/v1/observations" in " ".join(operations)
        assert len(operations) > 30
    finally:
        context.close()
    outside = [u for u in requests if urlsplit(u).hostname != "127.0.0.1" and not u.startswith("data:")]
    assert outside == [], f"requests left the server: {outside}"
    assert errors == []
