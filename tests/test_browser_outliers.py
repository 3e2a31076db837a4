"""The Overview's outlier controls and peer group in Chromium: the URL sets them, and choosing
another writes it back, so a link reproduces the view (marker ``browser``). The section is the
Overview's "Outliers" tab, opened by the link (``?tab=Outliers``) or by a click."""

from __future__ import annotations

import time

import pytest

from tests.test_browser import (  # noqa: F401  (fixtures, used by name)
    assert_no_exception,
    browser,
    open_page,
    server,
    wait_until_idle,
)

pytestmark = pytest.mark.browser


def wait_for_url(page, text: str, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while text not in page.url and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    assert text in page.url, page.url


def test_outlier_controls_round_trip_through_the_url(browser, server: str):  # noqa: F811
    url = f"{server}/?tab=Outliers&measure=DM01&overdispersion=false&peer=Acute"
    page = open_page(browser, url, "Outlier, warning or opportunity?")
    try:
        assert_no_exception(page)
        main = page.locator("[data-testid='stMain']")
        assert main.get_by_role("radio", name="DM01").is_checked()
        assert not main.get_by_label("Adjust for overdispersion (DerSimonian–Laird)").is_checked()
        assert "no overdispersion adjustment" in main.inner_text()
        assert "Funnel of the Acute peer group" in main.inner_text()
        # choosing another measure and switching the adjustment back on rewrite the URL
        main.get_by_text("Imaging scan rate", exact=True).click()
        wait_for_url(page, "measure=Imaging+scan+rate")
        wait_until_idle(page)
        main.get_by_text("Adjust for overdispersion (DerSimonian–Laird)").click()
        wait_until_idle(page)
        deadline = time.monotonic() + 30
        while "overdispersion=" in page.url and time.monotonic() < deadline:
            page.wait_for_timeout(200)
        assert "overdispersion=" not in page.url and "peer=Acute" in page.url
        assert "tab=Outliers" in page.url
        shared = page.url
    finally:
        page.close()
    again = open_page(browser, shared, "Outlier, warning or opportunity?")
    try:
        main = again.locator("[data-testid='stMain']")
        assert main.get_by_role("radio", name="Imaging scan rate").is_checked()
        assert main.get_by_label("Adjust for overdispersion (DerSimonian–Laird)").is_checked()
        assert "1 is each trust's own peer-group benchmark rate" in main.inner_text()
    finally:
        again.close()


def test_a_click_on_the_outliers_tab_draws_the_funnel(browser, server: str):  # noqa: F811
    page = open_page(browser, f"{server}/?peer=Acute", "Trusts ranked by")
    try:
        main = page.locator("[data-testid='stMain']")
        assert "Outlier, warning or opportunity?" not in main.inner_text()  # not drawn yet
        page.get_by_role("tab", name="Outliers").click()
        wait_for_url(page, "tab=Outliers")
        wait_until_idle(page)
        assert_no_exception(page)
        assert "Funnel of the Acute peer group" in main.inner_text()
    finally:
        page.close()
