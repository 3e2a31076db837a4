"""The board pack: PDF and PPTX from the demo store, small-number suppression, bad arguments."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine

from productivity.benchmarks import load_benchmarks
from productivity.errors import InputError
from productivity.export import SUPPRESSED
from productivity.pack import build as pack, pdf as pack_pdf
from productivity.schema import DM01_TESTS
from productivity.store import marts, reports
from productivity.store.facts import store_facts

# Title, headlines, ranking, one SPC chart, two funnels, DM01 waits, reporting, pathology and
# missed appointments, two methodology sections.
SECTIONS = 10
# In the PDF the benchmark table runs onto a second page (the turnaround benchmarks joined it).
TRUST_PAGES = SECTIONS + 1
HEADINGS = (
    "Headlines and the benchmark scorecard",
    "Trusts ranked by additional theatre cases",
    "weekly capped utilisation (SPC)",
    "Outlier or opportunity? Theatre capped utilisation",
    "Outlier or opportunity? DM01 % within 6 weeks",
    "DM01 diagnostic waits",
    "Reporting, pathology and missed appointments",
    "Methodology: benchmarks and their sources",
    "Methodology: how the figures are made",
)


def pdf_pages(data: bytes, tmp_path: Path) -> list[str]:
    """The text of each page: with pypdf if installed, else poppler's pdftotext."""
    try:
        from pypdf import PdfReader
    except ImportError:
        if not shutil.which("pdftotext"):
            pytest.skip("neither pypdf nor pdftotext (poppler-utils) is installed")
        path = tmp_path / "pack.pdf"
        path.write_bytes(data)
        text = subprocess.run(
            ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout
        return text.split("\f")[:-1]
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


@pytest.fixture(scope="module")
def latest(demo_url: str) -> str:
    from productivity.store import db

    return store_facts(db.get_engine(demo_url)).months[-1]


@pytest.fixture(scope="module")
def small_count(demo_url: str, latest: str) -> tuple[str, str]:
    """A trust and DM01 test with 1 to 4 people waiting 13+ weeks at the latest month."""
    from productivity.store import db

    period = marts.Period(latest, latest)
    rows = reports.dm01_report(db.get_engine(demo_url), "trust", period, load_benchmarks())
    small = rows[rows["waiting_13_plus"].between(1, 4)].sort_values("provider_code")
    assert not small.empty, "the demo should hold a 13+ week count from 1 to 4"
    preferred = small[small["provider_code"] == "RBL"]
    row = (preferred if not preferred.empty else small).iloc[0]
    return str(row["provider_code"]), str(row["test_code"])


@pytest.fixture(scope="module")
def trust_pdf(demo_url: str, latest: str, small_count: tuple[str, str]) -> bytes:
    from productivity.store import db

    return pack.build_pack(db.get_engine(demo_url), trust=small_count[0], period=latest, fmt="pdf")


def test_pack_table_shows_counts_from_one_to_four_as_a_star():
    frame = pd.DataFrame(
        {
            "trust_code": ["RBL", "RBN", "REM"],
            "waiting_13_plus": [3, 0, 12],  # 3 people could be identified; 0 identifies nobody
            "within_6_weeks": [0.02, 0.5, 0.9],  # a ratio is never suppressed
            "meets": [False, True, False],
        }
    )
    columns = [
        pack.Column("trust_code", "Trust"),
        pack.Column("waiting_13_plus", "13+ weeks", ",.0f", "meets"),
        pack.Column("within_6_weeks", "% within", ".0%"),
    ]
    table = pack.pack_table(frame, columns, highlight=[True, False, False])
    assert table.headings == ("Trust", "13+ weeks", "% within")
    assert table.rows == (
        ("RBL", f"✗ {SUPPRESSED}", "2%"),
        ("RBN", "✓ 0", "50%"),
        ("REM", "✗ 12", "90%"),
    )
    assert table.highlight == frozenset({0})


def test_pack_table_shows_missing_values_as_a_dash():
    frame = pd.DataFrame({"total_waiting": [float("nan"), 4.0], "rate": [None, 0.5]})
    table = pack.pack_table(
        frame, [pack.Column("total_waiting", "Waiting"), pack.Column("rate", "Rate")]
    )
    assert table.rows == ((pack.MISSING, pack.MISSING), (SUPPRESSED, "0.5"))


def test_trust_pdf_has_every_section_and_suppresses_small_counts(
    trust_pdf: bytes, small_count: tuple[str, str], tmp_path: Path
):
    assert trust_pdf.startswith(b"%PDF")
    pages = pdf_pages(trust_pdf, tmp_path)
    assert len(pages) == TRUST_PAGES
    text = "\n".join(pages)
    trust, test = small_count
    for heading in HEADINGS:
        assert heading in text, heading
    assert trust in pages[0] and "SYNTHETIC DEMO DATA" in pages[0]
    assert f"{trust}: weekly capped utilisation (SPC)" in pages[3]
    # The DM01 page: the test with 1-4 people waiting 13+ weeks shows * in that column.
    dm01 = next(page for page in pages[1:] if "DM01 diagnostic waits" in page)
    name = DM01_TESTS[test]
    line = next(line for line in dm01.splitlines() if line.startswith(name))
    assert SUPPRESSED in line, line
    assert "Counts from 1 to 4 are shown as *" in pages[-1]


def test_pdf_pages_render_to_png(trust_pdf: bytes, tmp_path: Path):
    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm (poppler-utils) is not installed: cannot render the pages")
    path = tmp_path / "pack.pdf"
    path.write_bytes(trust_pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "30", str(path), str(tmp_path / "page")], check=True)
    images = sorted(tmp_path.glob("page-*.png"))
    assert len(images) == TRUST_PAGES
    assert all(image.read_bytes().startswith(b"\x89PNG") for image in images)


def test_collaborative_pptx_has_a_slide_per_section(demo_engine: Engine, latest: str):
    from pptx import Presentation

    data = pack.build_pack(demo_engine, trust=None, period=latest, fmt="pptx")
    deck = Presentation(io.BytesIO(data))
    period = marts.Period(str(pd.Period(latest, freq="M") - 11), latest)
    outliers = reports.trust_theatre_outliers(demo_engine, period, load_benchmarks()).trusts
    spc_slides = max(1, int(outliers["spc_special_cause"].sum()))
    assert len(deck.slides) == SECTIONS - 1 + spc_slides
    texts = [
        "\n".join(shape.text_frame.text for shape in slide.shapes if shape.has_text_frame)
        for slide in deck.slides
    ]
    assert pack.COLLABORATIVE in texts[0]
    assert "SYNTHETIC DEMO DATA" in texts[0]
    tables = [shape for slide in deck.slides for shape in slide.shapes if shape.has_table]
    # scorecard, ranking, 2 funnels, DM01, turnaround and attendance, benchmarks
    assert len(tables) == 7


def test_without_dejavu_the_pdf_falls_back_to_core_fonts_and_ascii(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    monkeypatch.setattr(pack_pdf, "FONT_DIR", tmp_path / "no-fonts")
    frame = pd.DataFrame({"trust_code": ["RBL"], "waiting_13_plus": [2], "meets": [False]})
    table = pack.pack_table(
        frame,
        [
            pack.Column("trust_code", "Trust"),
            pack.Column("waiting_13_plus", "13+ ≤0", meets="meets"),
        ],
    )
    cover = pack.Cover("RBL · Wirral", "12 months to March 2025", True, "today", ("Waits",))
    data = pack_pdf.render_pdf(cover, [pack.Section("Waits – DM01", ("τ² ✓ ▲",), table=table)])
    text = "\n".join(pdf_pages(data, tmp_path))
    assert "Waits - DM01" in text and "tau2 + ^" in text
    assert "x *" in text  # ✗ and the suppressed count


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        ({"trust": "XXX"}, "--trust"),
        ({"trust": "RX7"}, "--trust"),  # in the collaborative, but no theatres or DM01
        ({"period": "2025-3"}, "--period"),
        ({"period": "2025-13"}, "--period"),
        ({"period": "March 2025"}, "--period"),
        ({"period": "1999-01"}, "--period"),  # well formed, but no data in the 12 months
        ({"fmt": "docx"}, "--format"),
    ],
)
def test_bad_arguments_raise_input_error_naming_the_argument(
    demo_engine: Engine, latest: str, arguments: dict[str, str], named: str
):
    call = {"trust": "RBL", "period": latest, "fmt": "pdf"} | arguments
    with pytest.raises(InputError) as raised:
        pack.build_pack(demo_engine, **call)
    assert raised.value.problems[0].file == named
    assert str(raised.value).startswith(named)


def test_pack_filename():
    assert pack.pack_filename(trust="rbl", period="2025-03", fmt="pdf") == (
        "board-pack-RBL-2025-03.pdf"
    )
    assert pack.pack_filename(trust=None, period="2025-03", fmt="pptx") == (
        "board-pack-collaborative-2025-03.pptx"
    )
    with pytest.raises(InputError, match="--period"):
        pack.pack_filename(trust=None, period="25-03", fmt="pdf")
