"""Every page in a real headless Chromium, served by ``streamlit run`` (marker ``browser``).

Where Chromium is missing these tests skip with a reason on a laptop, and fail in CI
(``CI=true``), so they can never silently stop running. Screenshots go to pytest's temporary
directory, so a test run leaves the checkout as it was; with ``UPDATE_SCREENSHOTS=1`` the
README's (``docs/screenshots/``) are rewritten from them.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
README_SHOTS = ROOT / "docs" / "screenshots"
UPDATE_SCREENSHOTS = os.environ.get("UPDATE_SCREENSHOTS") == "1"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# (url path, text that shows the page has rendered its content). The default page, the
# Overview, lives at the root: Streamlit ignores a default page's url_path, so /Overview would
# show "Page not found" before running it.
PAGES = [
    ("", "Trusts ranked by"),  # the Overview's first tab: the ranking of opportunity
    ("Theatres", "Theatres"),
    ("Look_ahead", "Every trust's next six weeks"),
    ("Diagnostics", "Diagnostics"),
    ("Reporting", "Every trust against the reporting targets"),
    ("Mutual_aid", "Mutual aid"),
    ("Inequalities", "% within 6 weeks by IMD quintile"),
    ("Data", "Import history"),
    ("Methodology", "Methodology"),
]


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path:
        return path
    reason = "Chromium is not installed (apt-get install -y chromium)"
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: browser tests must run in CI")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(database_url: str, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url}
    output = log.open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "streamlit_app.py",
            "--server.port",
            str(port),
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=ROOT,
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT,
    )
    output.close()  # the child keeps its own handle
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return process, url
        except OSError:
            time.sleep(0.3)
    process.kill()
    process.wait()
    raise RuntimeError(f"streamlit did not answer within 60 s; see {log}")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    executable = chromium_path()
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture(scope="module")
def server(demo_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    process, url = start_server(demo_url, tmp_path_factory.mktemp("server") / "streamlit.log")
    yield url
    stop_server(process)


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the screenshots go: pytest keeps its last few temporary directories to look at."""
    return tmp_path_factory.mktemp("screenshots")


def open_page(browser: object, url: str, ready_text: str, shot: Path | None = None) -> object:
    page = browser.new_page(viewport={"width": 1400, "height": 2400})  # type: ignore[attr-defined]
    page.goto(url)
    # Wait for the text in the page body (the sidebar menu may carry the same words).
    main = page.locator("[data-testid='stMain']")
    main.get_by_text(ready_text).first.wait_for(timeout=90_000)
    wait_until_idle(page)
    if shot is not None:
        page.screenshot(path=str(shot), full_page=True)
    return page


def wait_until_idle(page: object, timeout_s: float = 90) -> None:
    """Poll until the script run has finished: no Stop button and no loading skeletons."""
    deadline = time.monotonic() + timeout_s
    quiet = 0
    while time.monotonic() < deadline:
        running = page.get_by_role("button", name="Stop").count()  # type: ignore[attr-defined]
        skeletons = page.locator("[data-testid='stSkeleton']").count()  # type: ignore[attr-defined]
        quiet = quiet + 1 if running == 0 and skeletons == 0 else 0
        if quiet >= 3:  # idle on three polls in a row: the rerun has really finished
            return
        page.wait_for_timeout(300)  # type: ignore[attr-defined]
    raise AssertionError("the page was still running after 90 s")


def assert_no_exception(page: object) -> None:
    exceptions = page.locator("[data-testid='stException']")  # type: ignore[attr-defined]
    assert exceptions.count() == 0, exceptions.first.inner_text()
    assert "Traceback" not in page.content()  # type: ignore[attr-defined]


@pytest.mark.parametrize(("path", "ready_text"), PAGES)
def test_every_page_renders(browser, server: str, shots: Path, path: str, ready_text: str):
    name = path.lower() or "overview"
    page = open_page(browser, f"{server}/{path}", ready_text, shots / f"{name}.png")
    try:
        assert_no_exception(page)
        assert page.get_by_text("Page not found").count() == 0
        assert page.get_by_text("Synthetic demo data").count() >= 1
        nav = page.locator("[data-testid='stSidebarNav']")
        assert nav.count() == 1 and "Methodology" in nav.inner_text()
        if UPDATE_SCREENSHOTS and name in ("overview", "theatres"):
            README_SHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copy(shots / f"{name}.png", README_SHOTS / f"{name}.png")
    finally:
        page.close()


def test_the_reporting_page_takes_its_filters_from_the_url(browser, server: str, shots: Path):
    target = "Cancer histopathology reported within 10 working days of receipt"
    url = f"{server}/Reporting?trust=RBN&measure={target.replace(' ', '+')}"
    page = open_page(browser, url, "Every trust against the pathology targets")
    try:
        assert_no_exception(page)
        # the every-target table's download and the chart's; the other sections are tabs
        assert page.get_by_role("button", name="Download CSV").count() >= 2
        main = page.locator("[data-testid='stMain']")
        for label, ready in (("Backlog", "Unreported backlog by age"),
                             ("Drill-down", "by specimen type")):  # fmt: skip
            page.get_by_role("tab", name=label).click()  # a tab is drawn when opened
            main.get_by_text(ready).first.wait_for(timeout=90_000)
            wait_until_idle(page)
            if label == "Backlog":
                page.screenshot(path=str(shots / "reporting-lower.png"))
        page.screenshot(path=str(shots / "reporting-pathology.png"), full_page=True)
        assert_no_exception(page)
        assert "at RBN" in main.inner_text() and "tab=Drill" in page.url
    finally:
        page.close()


def test_the_dna_sections_render_below_the_waits(browser, server: str, shots: Path):
    # The DNA sections are tabs after the waits': a link opens one, a click another.
    url = f"{server}/Inequalities?service=MRI&tab=DNA+gap+over+time"
    page = open_page(browser, url, "Is the DNA gap widening?")
    try:
        assert_no_exception(page)
        page.get_by_role("tab", name="DNA ratio by trust").click()
        main = page.locator("[data-testid='stMain']")
        main.get_by_text("Standardised DNA ratio by trust: funnel").first.wait_for(timeout=90_000)
        wait_until_idle(page)
        page.screenshot(path=str(shots / "inequalities-dna.png"))  # the sections in view
        assert_no_exception(page)
        assert "service=MRI" in page.url
    finally:
        page.close()


def test_filter_in_url_is_applied(browser, server: str):
    page = open_page(browser, f"{server}/?trust=RBL", "Trusts ranked by")
    try:
        assert_no_exception(page)
        sidebar = page.locator("[data-testid='stSidebar']").inner_text()
        assert "Wirral University Teaching Hospital" in sidebar  # the chosen trust's name
    finally:
        page.close()


def test_deep_link_on_a_cold_server_shows_the_frame(
    browser, demo_url: str, tmp_path: Path, shots: Path
):
    """A first request straight to /Theatres?trust=RBL gets the same frame as navigation."""
    process, url = start_server(demo_url, tmp_path / "streamlit.log")
    try:
        page = open_page(
            browser, f"{url}/Theatres?trust=RBL", "Theatres", shots / "cold-deep-link.png"
        )
        assert_no_exception(page)
        assert "Theatres · Productivity monitor" in page.title()
        assert page.get_by_text("Synthetic demo data").count() >= 1
        nav = page.locator("[data-testid='stSidebarNav']").inner_text()
        for title in ("Overview", "Theatres", "Diagnostics", "Data", "Methodology"):
            assert title in nav
        # The folder-based menu would list file names such as "Mutual aid" from Mutual_aid.py
        # without icons and in file order; ours shows the Filters heading of ui.frame().
        assert page.get_by_text("Filters").count() >= 1
        assert "Wirral" in page.locator("[data-testid='stSidebar']").inner_text()
        page.close()
    finally:
        stop_server(process)


def test_the_unit_leads_views_in_chromium(browser, server: str, shots: Path):
    """The Theatres page drilled to a trust (tiles, ranking, day-case rates, the shift in words)
    and the Look-ahead page for the same trust, with their controls bound to the URL."""
    page = open_page(
        browser, f"{server}/Theatres?trust=RBL&rank=Late+starts&trend=Overruns&tab=Ranking",
        "Rank within the trust", shots / "theatres-rbl.png",
    )  # fmt: skip
    try:
        assert_no_exception(page)
        main = page.locator("[data-testid='stMain']")
        for text in ("Lost time", "On-the-day cancellations",
                     "Late starts by day of week and session"):  # fmt: skip
            assert main.get_by_text(text).count() >= 1, text
        assert page.locator("[data-testid='stMetric']").count() == 12
        assert page.get_by_role("tab", name="Specialties").count() == 1
        # Another of the page's tabs is a click away, and only then drawn.
        assert main.get_by_text("Day-case rates against BADS").count() == 0
        page.get_by_role("tab", name="Day case").click()
        wait_until_idle(page)
        assert_no_exception(page)
        assert main.get_by_text("Day-case rates against BADS").count() >= 1
        assert "tab=Day+case" in page.url, page.url
    finally:
        page.close()
    page = open_page(
        browser, f"{server}/Look_ahead?trust=RBL&window=2+weeks+out",
        "The lists, for the scheduling meeting", shots / "look-ahead-rbl.png",
    )  # fmt: skip
    try:
        assert_no_exception(page)
        main = page.locator("[data-testid='stMain']")
        assert main.get_by_text("Flagged 2 weeks out").count() == 1
        assert main.get_by_text("Download CSV").count() >= 1
        assert page.locator("[data-testid='stDataFrame']").count() >= 1
        # The chart and its table of windows are a tab of their own: a click opens it.
        page.get_by_role("tab", name="Expected utilisation").click()
        main.get_by_text("Expected utilisation of each booked list").wait_for(timeout=90_000)
        wait_until_idle(page)
        assert_no_exception(page)
        assert "tab=Expected+utilisation" in page.url
        assert page.locator("[data-testid='stVegaLiteChart']").count() == 1
        assert page.locator("[data-testid='stDataFrame']").count() >= 1
    finally:
        page.close()
