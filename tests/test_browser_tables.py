# ruff: noqa: F811  (tests take the shared fixtures browser and server, imported by name)
"""Tables, links and charts as a user meets them, in a real headless Chromium (marker
``browser``): a numeric column sorts as numbers, the first column stays in view when a wide
table scrolls, a URL reproduces the filters, a bad link says so, every chart has an accessible
name of its own, and captions reach WCAG AA contrast.

The data grid draws on a canvas; its cells are read from the accessible table it keeps beside
the canvas (``role=grid``, one ``td`` per visible cell, ``aria-colindex`` from 1).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from productivity.ui import unit_lead
from tests.test_browser import (  # noqa: F401  (fixtures: browser, server, shots)
    assert_no_exception,
    browser,
    open_page,
    server,
    shots,
    wait_until_idle,
)

pytestmark = pytest.mark.browser

HEADER_HEIGHT, ROW_HEIGHT = 35, 35  # the grid's header and row heights, in CSS pixels
WCAG_AA_SMALL_TEXT = 4.5


def grid_with(page, *texts: str):
    """The last table whose headings in view include every one of ``texts``, held by its
    position (a heading that later scrolls out of view must not lose the table)."""
    grids = page.locator("[data-testid='stDataFrame']")
    found = [
        i for i, g in enumerate(grids.all())
        if all(g.locator("th", has_text=t).count() for t in texts)
    ]  # fmt: skip
    assert found, f"no table with {texts}"
    grid = grids.nth(found[-1])
    grid.scroll_into_view_if_needed()
    return grid


def list_grid(page):
    """The Theatres page's table of every list."""
    return grid_with(page, "Planned start")


def headings(grid) -> list[str]:
    """The headings of the columns in view, left to right (without a sort arrow)."""
    cells = grid.locator("th[role=columnheader]").all()
    return [re.sub(r"^[↑↓]\s*", "", th.inner_text()) for th in cells]


def column_values(grid, heading: str) -> list[str]:
    """The cells in view of the column headed ``heading``, top to bottom."""
    cells = grid.locator(f"tbody td[aria-colindex='{colindex(grid, heading)}']")
    return [c.inner_text() for c in cells.all()]


def colindex(grid, heading: str) -> str:
    """The ``aria-colindex`` of the column headed ``heading`` (it must be in view)."""
    for th in grid.locator("th[role=columnheader]").all():
        if re.sub(r"^[↑↓]\s*", "", th.inner_text()) == heading:
            return str(th.get_attribute("aria-colindex"))
    raise AssertionError(f"{heading!r} is not in view: {headings(grid)}")


def column_x(page, grid, heading: str) -> float:
    """Where on the canvas the column headed ``heading`` is: click along the first row until
    that click selects a cell of that column."""
    wanted = colindex(grid, heading)
    box = grid.locator("canvas").first.bounding_box()
    x = box["x"] + 2
    selected = grid.locator("td[aria-selected=true]")

    def chosen() -> str | None:
        return selected.first.get_attribute("id") if selected.count() else None

    while x < box["x"] + box["width"]:
        before = chosen()
        page.mouse.click(x, box["y"] + HEADER_HEIGHT + ROW_HEIGHT / 2)
        for _ in range(10):  # the accessible table follows the canvas a moment later
            page.wait_for_timeout(100)
            if chosen() != before:
                break
        # Only a cell this click selected counts (a click between cells selects nothing new).
        if chosen() != before and selected.first.get_attribute("aria-colindex") == wanted:
            return x
        x += 12
    raise AssertionError(f"no cell of {heading!r} in view")


def sort_by(page, grid, heading: str, x: float | None = None) -> float:
    """Click the heading of ``heading`` (at ``x`` when known); returns where it is."""
    x = x if x is not None else column_x(page, grid, heading)
    box = grid.locator("canvas").first.bounding_box()
    page.mouse.click(x, box["y"] + HEADER_HEIGHT / 2)
    page.wait_for_timeout(500)
    return x


def number(text: str) -> float:
    return float(text.replace(",", "").replace("%", ""))


def comparison_grid(page):
    """The Theatres page's every-trust comparison: trust, lists, utilisation, ✓/✗."""
    return grid_with(page, "Trust", "Lists")


def test_a_numeric_column_sorts_as_numbers(browser, server: str, shots: Path):
    page = open_page(
        browser, f"{server}/Theatres?trust=RBL&tab=Against+other+trusts", "every trust against"
    )
    try:
        assert_no_exception(page)
        grid = comparison_grid(page)
        assert headings(grid)[0] == "Trust"
        x = sort_by(page, grid, "Lists")  # ascending
        ascending = column_values(grid, "Lists")
        sort_by(page, grid, "Lists", x)  # descending
        descending = column_values(grid, "Lists")
        grid.screenshot(path=str(shots / "theatres-trusts-sorted.png"))
        assert len(ascending) == len(descending) >= 10  # every trust in view
        numbers = [number(v) for v in ascending]
        assert numbers == sorted(numbers)
        assert [number(v) for v in descending] == sorted(numbers, reverse=True)
        # As text the order would differ ("1101" before "109"), so this is a numeric sort.
        assert sorted(ascending) != ascending
    finally:
        page.close()


def test_the_first_column_stays_in_view_when_a_wide_table_scrolls(
    browser, server: str, shots: Path
):
    page = open_page(browser, f"{server}/Theatres?trust=RBL&tab=Lists", "The lists")
    try:
        grid = list_grid(page)
        before = headings(grid)
        assert before[0] == "Session date" and "Unused" not in before
        box = grid.locator("canvas").first.bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.mouse.wheel(4000, 0)
        page.wait_for_timeout(500)
        after = headings(grid)
        assert "Unused" in after, after  # scrolled to the last column
        assert after[0] == "Session date", after  # the pinned column is still there
        assert "Weekday" not in after  # its neighbour, not pinned, scrolled out
        grid.screenshot(path=str(shots / "theatres-lists-scrolled.png"))
    finally:
        page.close()


def test_sorting_the_pinned_column_keeps_it_first(browser, server: str):
    page = open_page(browser, f"{server}/Theatres?trust=RBL&tab=Lists", "The lists")
    try:
        grid = list_grid(page)
        sort_by(page, grid, "Session date")  # newest first already: ascending puts the oldest
        dates = column_values(grid, "Session date")
        assert dates == sorted(dates) and headings(grid)[0] == "Session date"
    finally:
        page.close()


def selectbox(page, label: str):
    return page.get_by_test_id("stSelectbox").filter(has_text=label).first


def chosen(page, label: str) -> str:
    """What the selectbox labelled ``label`` shows."""
    return page.get_by_role("combobox", name=label, exact=True).first.input_value()


def choose(page, label: str, option: str) -> None:
    selectbox(page, label).click()
    page.get_by_role("option", name=option, exact=True).click()
    wait_until_idle(page)


def test_a_url_round_trip_reproduces_the_filters(browser, server: str):
    page = open_page(browser, f"{server}/Theatres", "Over time")
    try:
        choose(page, "Trust", "RBL")
        choose(page, "Measure", "Late starts")
        page.get_by_label("Monthly (weekly when off)").check(force=True)
        wait_until_idle(page)
        url = page.url
        assert re.search(r"[?&]trust=RBL\b", url) and "trend=Late+starts" in url, url
        assert "monthly=true" in url.lower(), url
    finally:
        page.close()
    again = open_page(browser, url, "Over time")
    try:
        assert_no_exception(again)
        assert chosen(again, "Trust") == "RBL"
        assert chosen(again, "Measure") == "Late starts"
        assert again.get_by_label("Monthly (weekly when off)").is_checked()
        again.get_by_role("tab", name="Lists").click()
        wait_until_idle(again)
        assert again.get_by_text("The lists").count() >= 1  # a trust's own lists, not all trusts
    finally:
        again.close()


def test_a_bad_link_says_so(browser, server: str):
    page = open_page(browser, f"{server}/Theatres?trust=XYZ", "Over time")
    try:
        alert = page.get_by_test_id("stAlert").filter(has_text="not in the data")
        assert alert.count() == 1 and "XYZ" in alert.inner_text()
    finally:
        page.close()


def test_every_chart_has_an_accessible_name_of_its_own(browser, server: str):
    page = open_page(browser, f"{server}/Theatres?trust=RBL", "Over time")
    try:
        labels: list[str] = []
        for tab in unit_lead.TABS:  # each tab draws its own charts when opened
            page.get_by_role("tab", name=tab, exact=True).click()
            wait_until_idle(page)
            charts = page.locator("[data-testid='stVegaLiteChart']")
            labels += [c.get_attribute("aria-label") or "" for c in charts.all()]
        assert len(labels) >= 6
        assert all(label and "Vega visualization" not in label for label in labels), labels
        assert any(label.startswith("Lost time") for label in labels), labels
    finally:
        page.close()


CONTRAST = """
els => els.map(el => {
  const rgb = s => (s.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = c => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  let bg = null, opacity = 1;
  for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
    const style = getComputedStyle(node);
    opacity *= Number(style.opacity);
    const colour = rgb(style.backgroundColor);
    if (!bg && colour.length >= 3 && (colour.length < 4 || colour[3] > 0)) bg = colour;
  }
  bg = bg || [255, 255, 255];
  const fg = rgb(getComputedStyle(el).color);
  const alpha = (fg.length > 3 ? fg[3] : 1) * opacity;
  const shown = [0, 1, 2].map(i => alpha * fg[i] + (1 - alpha) * bg[i]);
  const [hi, lo] = [lum(shown), lum(bg)].sort((a, b) => b - a);
  return {text: el.innerText.slice(0, 40), ratio: (hi + 0.05) / (lo + 0.05)};
})
"""


def test_captions_reach_wcag_aa_contrast(browser, server: str):
    page = open_page(
        browser, f"{server}/Theatres?trust=RBL&tab=Where+the+minutes+went", "planned minutes"
    )
    try:
        captions = page.locator("[data-testid='stCaptionContainer'] p")
        assert captions.count() >= 4  # in the sidebar (grey) and the open tab (white)
        found = captions.evaluate_all(CONTRAST)
        low = [c for c in found if c["ratio"] < WCAG_AA_SMALL_TEXT]
        assert not low, low
        sidebar = page.locator("[data-testid='stSidebar'] [data-testid='stCaptionContainer'] p")
        assert sidebar.count() >= 1  # the grey background is measured too
    finally:
        page.close()
