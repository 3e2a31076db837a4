"""The board pack: PDF and PPTX from the demo store, small-number suppression, bad arguments."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine

from productivity.benchmarks import BENCHMARK_BASES, load_benchmarks
from productivity.errors import InputError
from productivity.export import SUPPRESSED
from productivity.pack import build as pack, pdf as pack_pdf
from productivity.pack.sections import month_name
from productivity.schema import DM01_TESTS
from productivity.store import marts, reports
from productivity.store.facts import store_facts

# The sections of a trust's pack, in order (an SPC chart of the trust's own).
HEADINGS = (
    "Executive summary",
    "Headlines and the benchmark scorecard",
    "Trusts ranked by additional theatre cases",
    "weekly capped utilisation (SPC)",
    "Funnel, SPC and benchmark: Theatre capped utilisation",
    "Funnel, SPC and benchmark: DM01 % within 6 weeks",
    "Theatre lost time by cause",
    "Theatre lost time by specialty",
    "DM01 diagnostic waits",
    "DM01 trends:",
    "DM01 trends by trust: % within 6 weeks",
    "DM01 trends by trust: people waiting 13+ weeks",
    "Inequalities: waits and missed appointments by deprivation",
    "Inequalities: standardised DNA ratio by trust",
    "Mutual aid: Magnetic Resonance Imaging",
    "Mutual aid: Computed Tomography",
    "Reporting, pathology and missed appointments",
    "Methodology: benchmarks and their sources",
    "Methodology: how the figures are made",
)
SECTIONS = len(HEADINGS)
CONTINUED = "(continued)"


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


def months_before(month: str, count: int) -> str:
    return str(pd.Period(month, freq="M") - count)


@pytest.fixture(scope="module")
def trust_pdf(demo_url: str, latest: str, small_count: tuple[str, str]) -> bytes:
    """A 3-month pack (the demo's three months) of the trust with a small 13+ week count."""
    from productivity.store import db

    def keep(cover, sections):  # the sections as data, for checking the PDF's tables
        DRAWN[:] = sections
        return pack_pdf.render_pdf(cover, sections)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pack, "render_pdf", keep)
        return pack.build_pack(
            db.get_engine(demo_url),
            trust=small_count[0],
            period=latest,
            fmt="pdf",
            start=months_before(latest, 2),
        )


DRAWN: list = []  # the sections trust_pdf drew


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


def test_trust_pdf_has_every_section_in_order_and_suppresses_small_counts(
    trust_pdf: bytes, small_count: tuple[str, str], tmp_path: Path
):
    assert trust_pdf.startswith(b"%PDF")
    pages = pdf_pages(trust_pdf, tmp_path)
    continued = sum(CONTINUED in page.splitlines()[1] for page in pages[1:])
    assert len(pages) == 1 + SECTIONS + continued
    # Each section opens its own page, in order; a long table carries on under its heading.
    openings = [page.splitlines()[1] for page in pages[1:] if CONTINUED not in page.splitlines()[1]]
    assert len(openings) == SECTIONS
    for heading, opening in zip(HEADINGS, openings, strict=True):
        assert heading in opening, (heading, opening)
    trust, test = small_count
    assert trust in pages[0] and "SYNTHETIC DEMO DATA" in pages[0]
    assert "Executive summary" in pages[1]
    # The cover's contents give each section's real first page (a long table moves the rest).
    listed = [int(n) for n in re.findall(r"·\s+page (\d+)", pages[0])]
    assert listed == [
        n for n, page in enumerate(pages, start=1)
        if n > 1 and CONTINUED not in page.splitlines()[1]
    ]  # fmt: skip
    dm01 = next(page for page in pages[1:] if "DM01 diagnostic waits" in page)
    name = DM01_TESTS[test]
    line = next(line for line in dm01.splitlines() if line.startswith(name))
    assert SUPPRESSED in line, line
    assert "Counts from 1 to 4 are shown as *" in pages[-1]


def test_executive_summary_names_the_biggest_opportunities_and_the_last_month(
    trust_pdf: bytes, demo_engine: Engine, latest: str, small_count: tuple[str, str], tmp_path
):
    """The summary's figures are the Overview's scorecard (on the app's default benchmark basis,
    each trust's peer-group rate), for the months and for each month."""
    from productivity import peers

    summary = " ".join(pdf_pages(trust_pdf, tmp_path)[1].split())
    bench = load_benchmarks()
    card = reports.trust_scorecard(
        demo_engine, marts.Period(months_before(latest, 2), latest), bench, basis="peer"
    )
    assert "scans per hour (each trust's peer-group rate)" in summary
    for key in ("realisable_additional_cases", "additional_scans"):
        top = card.sort_values(key, ascending=False).head(3)
        names = peers.trust_names(top["trust_code"])
        for rank, (code, name, value) in enumerate(
            zip(top["trust_code"], names, top[key], strict=True), start=1
        ):
            assert f"{rank}. {name} ({code}): {value:,.0f}" in summary
    trust = small_count[0]
    previous = months_before(latest, 1)
    month = reports.trust_scorecard(demo_engine, marts.Period(latest, latest), bench, basis="peer")
    before = reports.trust_scorecard(
        demo_engine, marts.Period(previous, previous), bench, basis="peer"
    )
    now, then = (c.set_index("trust_code").loc[trust] for c in (month, before))
    assert "What changed since last month" in summary
    change = now["capped_utilisation"] - then["capped_utilisation"]
    assert (
        f"Theatre capped utilisation {then['capped_utilisation']:.1%} "
        f"{now['capped_utilisation']:.1%} {change * 100:+.1f} pts"
    ) in summary
    assert "Special-cause signals (SPC, Making Data Count)." in summary


def test_a_3_month_pack_shows_3_month_figures_and_a_1_month_pack_1_month_figures(
    trust_pdf: bytes,
    demo_url: str,
    demo_engine: Engine,
    latest: str,
    small_count: tuple[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
):
    from productivity import cli

    trust, bench = small_count[0], load_benchmarks()
    monkeypatch.setenv("DATABASE_URL", demo_url)
    one_month = tmp_path / "one.pdf"
    code = cli.main(["pack", "--trust", trust, "--from", latest, "--to", latest,
                     "--output", str(one_month)])  # fmt: skip
    assert code == 0
    for data, start, span in (
        (trust_pdf, months_before(latest, 2), "the 3 months"),
        (one_month.read_bytes(), latest, month_name(latest)),
    ):
        card = reports.trust_scorecard(
            demo_engine, marts.Period(start, latest), bench, basis="peer"
        )
        mine = card.set_index("trust_code").loc[trust]
        headlines = " ".join(pdf_pages(data, tmp_path)[2].split())
        assert "Headlines and the benchmark scorecard" in headlines
        cases = f"{mine['realisable_additional_cases']:,.0f} Additional theatre cases in {span}"
        scans = f"{mine['additional_scans']:,.0f} Additional CT, MRI and NOUS scans in"
        assert cases in headlines and scans in headlines
    three = reports.trust_scorecard(demo_engine, marts.Period(months_before(latest, 2), latest),
                                    bench).set_index("trust_code").loc[trust]  # fmt: skip
    one = reports.trust_scorecard(demo_engine, marts.Period(latest, latest), bench)
    assert (
        three["realisable_additional_cases"]
        > one.set_index("trust_code").loc[trust, "realisable_additional_cases"]
    )  # the two packs really differ


def test_the_pack_is_on_the_peer_basis_unless_told_and_says_so(
    demo_url: str, demo_engine: Engine, latest: str, tmp_path: Path, monkeypatch
):
    """``pack`` holds each trust to its peer-group scan rate, as the app does by default;
    ``--benchmark-basis national`` gives the national rates. The children's trust (RBS) has a
    peer-group rate, so its additional scans differ between the two."""
    from productivity import cli

    monkeypatch.setenv("DATABASE_URL", demo_url)
    bench, shown = load_benchmarks(), {}
    for basis, flags in (("peer", []), ("national", ["--benchmark-basis", "national"])):
        out = tmp_path / f"{basis}.pdf"
        code = cli.main(["pack", "--trust", "RBS", "--from", latest, "--to", latest,
                         "--output", str(out), *flags])  # fmt: skip
        assert code == 0
        pages = [" ".join(page.split()) for page in pdf_pages(out.read_bytes(), tmp_path)]
        card = reports.trust_scorecard(
            demo_engine, marts.Period(latest, latest), bench, basis=basis
        ).set_index("trust_code")
        shown[basis] = card.loc["RBS", "additional_scans"]
        said = BENCHMARK_BASES[basis]
        assert f"{shown[basis]:,.0f} Additional CT, MRI and NOUS scans in" in pages[2]
        assert f"scans per hour: {said})" in pages[2]
        assert f"Benchmark basis of scan rates in this pack: {said}" in " ".join(pages)
    assert shown["peer"] < shown["national"]


def test_cli_pack_rejects_a_start_after_the_end(demo_url: str, latest: str, monkeypatch, capsys):
    from productivity import cli

    monkeypatch.setenv("DATABASE_URL", demo_url)
    code = cli.main(["pack", "--from", latest, "--to", months_before(latest, 1)])
    assert code == 2
    assert "--from" in capsys.readouterr().err


def test_funnel_tables_keep_the_three_judgements_apart(trust_pdf: bytes, tmp_path: Path):
    pages = pdf_pages(trust_pdf, tmp_path)
    funnels = [p for p in pages if "Funnel, SPC and benchmark:" in p.splitlines()[1]]
    assert len(funnels) == 2
    for page in funnels:
        flat = " ".join(page.split())
        for heading in ("Funnel position", "SPC variation", "assurance", "Benchmark gap"):
            assert heading in flat
    assert not any("⚠" in page for page in pages)  # no merged "⚠ outlier" flag anywhere


def test_the_pack_words_each_judgement_as_the_overview_does():
    from productivity.stats.outliers import judgements

    table = pd.DataFrame(
        {
            "trust_code": ["RBL", "RWW", "REN"],
            "flag": ["within", "above_998", "below_95"],
            # RBL improves by special cause: good news, never an "outlier" warning
            "spc_variation": ["improvement", "concern", None],
            "spc_assurance": ["consistent_fail", None, None],
            "benchmark": [0.85, 0.85, 0.85],
            "below_benchmark": [True, False, True],
        }
    )
    shown = judgements(table, short=True)
    assert shown["funnel_position"].tolist() == [
        "● within limits", "▲▲ above 99.8%: outlier", "▼ below 95%: warning"
    ]  # fmt: skip
    assert shown["spc_signal"].str.startswith(("I:", "C:", "–")).all()
    assert shown["benchmark_gap"].str.startswith(("✗ short of 85%", "✓ meets 85%")).all()
    assert not shown.apply(lambda c: c.str.contains("⚠")).any().any()


@pytest.mark.parametrize(
    ("points", "expected"),
    [
        # far apart: each keeps its own label
        ([("A", 1_000, 0.60), ("B", 100_000, 0.90)], ["A", "B"]),
        # on top of each other: one label names both, the upper point's first
        ([("A", 10_000, 0.800), ("B", 10_500, 0.801)], ["", "B · A"]),
        # A's label would cover B's point 20 px to its right at the same height
        ([("A", 10_000, 0.75), ("B", 14_000, 0.75)], ["A · B", ""]),
        # same volume, 40 px apart vertically: both fit
        ([("A", 10_000, 0.70), ("B", 10_000, 0.74)], ["A", "B"]),
    ],
)
def test_point_labels_never_overlap(points, expected):
    from productivity.pack.labels import point_labels

    frame = pd.DataFrame(points, columns=["trust_code", "volume", "value"])
    # 1,000 to 1,000,000 on a 330 px log axis: 110 px a decade; 0.5 to 1 on 440 px: 8.8 px a %.
    labels = point_labels(frame, "volume", "value", x_domain=(1_000, 1_000_000),
                          y_domain=(0.5, 1.0))  # fmt: skip
    assert labels.tolist() == expected


def test_pdf_is_tagged_for_screen_readers(trust_pdf: bytes):
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(trust_pdf))
    root = reader.trailer["/Root"]
    assert root["/MarkInfo"]["/Marked"].value is True  # pypdf BooleanObject
    assert root["/Lang"] == "en-GB"
    assert root["/ViewerPreferences"]["/DisplayDocTitle"].value is True
    assert reader.metadata.title.startswith("Board pack: ")
    tree = root["/StructTreeRoot"].get_object()
    document = tree["/K"][0].get_object() if isinstance(tree["/K"], list) else tree["/K"]
    elements = [kid.get_object() for kid in document.get_object()["/K"]]
    roles = [str(e["/S"]) for e in elements]
    figures = [e for e in elements if e["/S"] == "/Figure"]
    images = sum(
        1
        for page in reader.pages
        for xobject in (page["/Resources"].get("/XObject") or {}).values()
        if xobject.get_object()["/Subtype"] == "/Image"
    )
    assert images > 0 and len(figures) == images  # every chart is a figure ...
    assert all(len(str(f["/Alt"])) > 40 for f in figures)  # ... with words for what it shows
    assert roles.count("/H1") >= SECTIONS + 1  # the cover's title and every section's heading
    assert {"/P", "/Table"} <= set(roles)
    assert len(reader.outline) == SECTIONS  # a bookmark per section
    # Each table is a Table of rows: a header row of TH (column headings), then a TR of TD
    # cells per row of the table; a table carried on onto another page is a Table there too.
    tables = [e for e in elements if e["/S"] == "/Table"]
    expected = [len(s.table.rows) for s in DRAWN if s.table is not None]
    assert expected and len(tables) >= len(expected)
    found = iter(tables)
    for rows in expected:
        drawn = 0
        while drawn < rows:  # the Tables one table was drawn as, page by page
            body = table_rows(next(found))
            assert len(body) >= 1
            drawn += len(body)
        assert drawn == rows
    assert next(found, None) is None


def table_rows(table) -> list[list[str]]:
    """A /Table element's rows below its header row (checked: every TH has /Scope /Column, no
    TH below it, every cell holds marked content on a page)."""
    rows = [row.get_object() for row in table["/K"]]
    assert all(row["/S"] == "/TR" for row in rows)
    cells = [[cell.get_object() for cell in row["/K"]] for row in rows]
    assert cells[0] and all(c["/S"] == "/TH" and c["/A"]["/Scope"] == "/Column" for c in cells[0])
    assert all(c["/S"] == "/TD" for row in cells[1:] for c in row)
    assert all("/Pg" in c and len(c["/K"]) == 1 for row in cells for c in row)
    return [[str(c["/S"]) for c in row] for row in cells[1:]]


def test_pdf_pages_render_to_png(trust_pdf: bytes, tmp_path: Path):
    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm (poppler-utils) is not installed: cannot render the pages")
    path = tmp_path / "pack.pdf"
    path.write_bytes(trust_pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "30", str(path), str(tmp_path / "page")], check=True)
    images = sorted(tmp_path.glob("page-*.png"))
    assert len(images) == len(pdf_pages(trust_pdf, tmp_path))
    assert all(image.read_bytes().startswith(b"\x89PNG") for image in images)


def test_a_long_table_carries_on_onto_a_new_page(tmp_path: Path):
    rows = pd.DataFrame({"name": [f"row {i:03d}" for i in range(90)], "value": range(90)})
    table = pack.pack_table(rows, [pack.Column("name", "Name"), pack.Column("value", "Value")])
    cover = pack.Cover("RBL · Wirral", "1 month: March 2025", False, "today", ("Long",))
    data = pack_pdf.render_pdf(cover, [pack.Section("Long", ("A long table.",), table=table)])
    pages = pdf_pages(data, tmp_path)
    assert len(pages) >= 3 and all(CONTINUED in page for page in pages[2:])
    text = "\n".join(pages)
    assert all(text.count(f"row {i:03d}") == 1 for i in range(90))
    # Tagged page by page: a Table per page, its rows + 1 TRs (the headings' row).
    from pypdf import PdfReader

    tree = PdfReader(io.BytesIO(data)).trailer["/Root"]["/StructTreeRoot"].get_object()
    document = tree["/K"][0].get_object() if isinstance(tree["/K"], list) else tree["/K"]
    tables = [k.get_object() for k in document.get_object()["/K"]]
    tables = [t for t in tables if t["/S"] == "/Table"]
    assert len(tables) == len(pages) - 1  # the cover has none
    assert sum(len(table_rows(t)) for t in tables) == 90
    assert all(len(t["/K"]) == len(table_rows(t)) + 1 for t in tables)


def test_collaborative_pptx_fits_every_table_on_its_slide_and_describes_charts(
    demo_engine: Engine, latest: str
):
    from pptx import Presentation
    from pptx.util import Emu

    from productivity.pack import slides

    data = pack.build_pack(demo_engine, trust=None, period=latest, fmt="pptx")
    deck = Presentation(io.BytesIO(data))
    texts = [
        "\n".join(shape.text_frame.text for shape in slide.shapes if shape.has_text_frame)
        for slide in deck.slides
    ]
    assert pack.COLLABORATIVE in texts[0] and "SYNTHETIC DEMO DATA" in texts[0]
    assert "Executive summary" in texts[1]
    assert any("Methodology: benchmarks and their sources (continued)" in t for t in texts)
    for slide in deck.slides:
        for shape in slide.shapes:
            if shape.has_table:
                grid = shape.table
                table = pack.PackTable(
                    tuple(c.text for c in grid.rows[0].cells),
                    tuple(tuple(c.text for c in row.cells) for row in list(grid.rows)[1:]),
                    tuple(Emu(c.width).inches for c in grid.columns),
                )
                width = Emu(shape.width).inches
                bottom = Emu(shape.top).inches + sum(slides._row_heights(table, width))
                assert bottom <= slides.BODY_BOTTOM + 1e-6, (texts[0][:40], table.headings)
            if shape.shape_type == 13:  # a picture: its description is read out
                assert len(shape._element.nvPicPr.cNvPr.get("descr", "")) > 40


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
        ({"start": "2025-13"}, "--from"),
        ({"start": "2099-01"}, "--from"),  # after the last month
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
    assert pack.pack_filename(trust="RBL", period="2025-03", fmt="pdf", start="2025-01") == (
        "board-pack-RBL-2025-01-to-2025-03.pdf"
    )
    with pytest.raises(InputError, match="--period"):
        pack.pack_filename(trust=None, period="25-03", fmt="pdf")


def test_the_apps_pack_covers_the_months_chosen_on_the_page():
    from productivity.ui.boardpack import pack_months
    from productivity.ui.frame import View

    months = ("2026-05", "2026-06", "2026-07", "2026-08")

    def view(start: str | None, end: str | None) -> View:
        return View(None, marts.Period(start, end), None, "CT", months, True)

    assert pack_months(view("2026-06", "2026-07")) == ("2026-06", "2026-07")
    assert pack_months(view(None, "2026-07")) == ("2026-05", "2026-07")  # open start: all held
    assert pack_months(view(None, None)) == ("2026-05", "2026-08")
    assert pack_months(View(None, marts.Period(), None, "CT", (), True)) is None
