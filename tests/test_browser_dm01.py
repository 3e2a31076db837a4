"""The DM01 test selector's URL round trip in a real headless Chromium (marker ``browser``).

A link opens the DM01 tab and chooses the test; choosing another writes it back to the URL (the
tab stays in it); opening that URL again shows the same tab and test. AppTest cannot see the URL
the browser holds, so this needs a browser.
"""

from __future__ import annotations

import pytest

from tests.test_browser import (  # noqa: F401  (fixtures: browser, server)
    assert_no_exception,
    browser,
    open_page,
    server,
    wait_until_idle,
)

pytestmark = pytest.mark.browser


def test_the_dm01_test_goes_into_the_url_and_back(browser, server: str):  # noqa: F811
    url = f"{server}/Diagnostics?modality=MRI&tab=DM01+waits&dm01_test=DEXA_SCAN"
    page = open_page(browser, url, "DEXA Scan")
    try:
        assert_no_exception(page)
        main = page.locator("[data-testid='stMain']")
        assert main.get_by_text("DM01 waits: DEXA Scan").count() >= 1
        assert main.get_by_text("DM01 trend by month across the system").count() == 1
        select = main.locator("[data-testid='stSelectbox']").filter(has_text="DM01 test")
        select.click()
        page.keyboard.type("CYSTOSCOPY")
        page.keyboard.press("Enter")
        main.get_by_text("DM01 waits: Cystoscopy").first.wait_for(timeout=90_000)
        wait_until_idle(page)
        assert "dm01_test=CYSTOSCOPY" in page.url
        assert "modality=MRI" in page.url
        assert "tab=DM01" in page.url
        shared = page.url
    finally:
        page.close()
    again = open_page(browser, shared, "DM01 waits: Cystoscopy")
    try:
        assert_no_exception(again)
    finally:
        again.close()


def test_a_click_on_the_dm01_tab_draws_it_and_puts_it_in_the_url(browser, server: str):  # noqa: F811
    page = open_page(browser, f"{server}/Diagnostics?modality=MRI", "each trust against the")
    try:
        assert_no_exception(page)
        main = page.locator("[data-testid='stMain']")
        assert main.get_by_text("DM01 waits: Magnetic").count() == 0  # only the open tab runs
        page.get_by_role("tab", name="DM01 waits").click()
        main.get_by_text("DM01 waits: Magnetic").first.wait_for(timeout=90_000)
        wait_until_idle(page)
        assert_no_exception(page)
        assert "tab=DM01" in page.url and "modality=MRI" in page.url
    finally:
        page.close()
