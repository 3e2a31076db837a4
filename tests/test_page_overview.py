"""The Overview page in AppTest: ranking, outliers beside benchmarks, what-if, board pack.

The page's sections are tabs of which only the open one is drawn: a test opens the tab it
reads (``?tab=Outliers``, as a link does, or :func:`open_tab`, as a click does)."""

from __future__ import annotations

import pytest

from tests.conftest import app_page, chart_specs, every_tab, open_tab, page_tab_sets, table_with


@pytest.fixture
def page(monkeypatch, demo_engine, demo_url):
    return app_page(monkeypatch, demo_url, "Overview.py")


def test_the_overview_ranks_trusts_and_keeps_outliers_apart(page):
    at = page()
    assert not at.exception
    assert at.title[0].value == "Overview"
    assert page_tab_sets(at) == {
        "tab": ["Opportunity", "Scorecard", "Outliers", "Reporting and DNAs", "What if?"]
    }
    assert [m.label for m in at.metric][0].startswith("Additional theatre cases (realisable), ")
    ranking = table_with(at, "Rank")
    assert len(ranking) >= 10 and list(ranking["Rank"])[:1] == [1]
    assert len(chart_specs(at)) == 1  # the ranking bars: the other tabs are not drawn
    assert not [d for d in at.dataframe if "Funnel position (vs peer group)" in d.value]
    open_tab(at, "Outliers")
    assert not at.exception
    outliers = table_with(at, "Funnel position")
    assert list(outliers.columns[-3:]) == [
        "Funnel position (vs peer group)", "SPC variation (assurance)", "Benchmark",
    ]  # fmt: skip
    assert any("planned minutes" in str(s) for s in chart_specs(at))  # the funnel plot
    assert not [d for d in at.dataframe if "Rank" in d.value]
    assert at.metric  # the tiles stay above every tab
    assert not at.slider  # the what-if scenario is computed only when asked for


def test_the_scorecard_and_the_turnaround_tiles_have_tabs_of_their_own(page):
    at = page(tab="Scorecard")
    assert not at.exception
    card = table_with(at, "Capped util.")
    assert len(card) >= 10 and "Capped util. ✓/✗" in card.columns
    assert any("Every trust against its benchmarks" in s.value for s in at.subheader)
    at = page(tab="Reporting and DNAs")
    assert not at.exception
    assert any("Reporting, pathology and missed appointments" in s.value for s in at.subheader)
    assert {"Trust", "DNA rate", "DNA ratio"} <= set(table_with(at, "DNA rate").columns)
    assert any(b.proto.label == "Prepare the board pack" for b in at.button)  # under every tab


def test_an_unknown_tab_in_a_link_opens_the_ranking(page):
    at = page(tab="Nonsense")
    assert not at.exception
    assert len(table_with(at, "Rank")) >= 10


def test_query_parameters_choose_the_trust_and_the_ranking(page):
    at = page(trust="RBL", ranking="Share of current activity")
    assert not at.exception
    assert at.selectbox(key="trust").value == "RBL"
    assert list(table_with(at, "Rank")["Trust"]) == ["Wirral University Teaching Hospital (RBL)"]
    assert any("% of current activity" in s.value for s in at.subheader)


def test_a_scenario_is_labelled_as_a_scenario_not_a_benchmark(page):
    at = page(tab="What if?", what_if="true", wi_echo="20")
    assert not at.exception
    notes = " ".join(i.value for i in at.info)
    assert "Scenario, not a benchmark" in notes and "echo minutes per test" in notes


def test_one_click_board_pack(page):
    at = page(trust="RBL")
    at.button(key="pack").click().run()
    assert not at.exception
    [download] = [
        d for d in at.get("download_button") if d.proto.label.startswith("Download the board")
    ]
    assert download.proto.label == "Download the board pack"


def test_scans_against_the_benchmark_rate_on_a_ratio_funnel(page):
    at = page(tab="Outliers")
    at.radio(key="measure").set_value("Imaging scan rate").run()
    assert not at.exception
    outliers = table_with(at, "Expected at peer benchmark")
    assert {"Scans", "Ratio (1 = benchmark)", "Funnel position (vs peer group)"} <= set(
        outliers.columns
    )
    meets = outliers["Ratio (1 = benchmark)"] >= 1
    assert (outliers["Benchmark"].str[0] == meets.map({True: "✓", False: "✗"})).all()
    funnel = [s for s in chart_specs(at) if "scans ÷ expected at benchmark" in str(s)]
    assert len(funnel) == 1
    assert any("download-outliers-scans" in b.proto.id for b in at.get("download_button"))
    assert any("1 is each trust's own peer-group benchmark rate" in c.value for c in at.caption)


def every_text(at) -> str:
    """All the page's words: markdown, captions, headings, tiles and every table cell."""
    parts = [e.value for e in (*at.markdown, *at.caption, *at.subheader, *at.info)]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    parts += [d.value.to_csv() for d in at.dataframe]
    return "\n".join(parts)


def test_three_judgements_are_named_apart_and_never_merged(page):
    at = page(tab="Outliers")
    outliers = table_with(at, "Funnel position").set_index("Trust")
    # Each judgement in its own column, in its own words (stats.outliers.judgements).
    positions = outliers["Funnel position (vs peer group)"]
    assert positions.str.match(r"(●|○|▲|▼)").all()
    assert not positions.str.contains("special cause|benchmark").any()
    spc = outliers["SPC variation (assurance)"]
    assert spc.str.match(
        r"(I: special cause improving|C: special cause concerning|common cause)"
    ).all()
    assert outliers["Benchmark"].str.match(r"(✓ meets|✗ short of) \d+%").all()
    # Specialist trusts have no peers in the demo: said in words; theatres have one national 85%.
    alder_hey = outliers.loc["Alder Hey Children's (RBS)"]
    assert alder_hey["Funnel position (vs peer group)"].startswith("○ no peer funnel")
    assert alder_hey["Benchmark"].endswith("85%: opportunity")
    assert "⚠ outlier" not in every_text(at)
    for measure in ("DM01", "Imaging scan rate"):
        at.radio(key="measure").set_value(measure).run()
        assert not at.exception and "⚠ outlier" not in every_text(at)
    for label, shown in every_tab(at):  # nor anywhere else on the page
        assert not shown.exception and "⚠ outlier" not in every_text(shown), label


def test_the_funnel_draws_the_peer_benchmark_beside_the_peer_centre(page):
    at = page(tab="Outliers")
    [funnel] = [s for s in chart_specs(at) if "planned minutes" in str(s)]
    text = str(funnel)
    assert "benchmark 85%" in text and "peer centre" in text
    drawn = next(f for f in funnel["frames"].values() if "flag_text" in f)
    # only the acute peer group is on the acute funnel, each point named
    assert "Alder Hey Children's (RBS)" not in set(drawn["trust_name"])
    assert "Wirral University Teaching Hospital (RBL)" in set(drawn["trust_name"])


@pytest.mark.parametrize("measure", ["Theatre utilisation", "Imaging scan rate"])
def test_funnel_points_are_labelled_by_code_and_named_in_their_tooltips(page, measure):
    at = page(tab="Outliers", measure=measure)
    [funnel] = [s for s in chart_specs(at) if "Control limits" in str(s)]
    [labels] = [layer for layer in funnel["layer"] if _mark(layer) == "text"]
    assert labels["encoding"]["text"]["field"] == "point_label"
    named = next(f for f in funnel["frames"].values() if "point_label" in f)
    # Each point labelled by its trust's code (long names close together ran into each other).
    codes = named["trust_name"].str.extract(r"\((\w+)\)$")[0]
    assert "RBL" in set(codes) and named["point_label"].tolist() == codes.tolist()
    # and named in full in its tooltip
    dots = next(layer for layer in funnel["layer"] if _mark(layer) == "point")
    assert dots["encoding"]["tooltip"][0]["field"] == "trust_name"


def _mark(layer: dict) -> str | None:
    mark = layer.get("mark")
    return mark.get("type") if isinstance(mark, dict) else mark


def test_outlier_controls_and_peer_group_round_trip_through_the_url(page):
    # In: a shared link sets the three controls.
    at = page(tab="Outliers", measure="DM01", overdispersion="false", peer="Acute")
    assert not at.exception
    assert at.radio(key="measure").value == "DM01"
    assert at.toggle(key="overdispersion").value is False
    assert at.selectbox(key="peer").value == "Acute"
    assert any("no overdispersion adjustment" in c.value for c in at.caption)
    assert "% within 6 weeks (%)" in table_with(at, "Funnel position").columns
    # Out: each control writes its own URL parameter, named by its key (AppTest does not
    # rewrite its URL, so the binding is read from the widget, then replayed as a link).
    widgets = (at.radio(key="measure"), at.toggle(key="overdispersion"), at.selectbox(key="peer"))
    assert [w.proto.query_param_key for w in widgets] == ["measure", "overdispersion", "peer"]
    at.radio(key="measure").set_value("Imaging scan rate").run()
    at.selectbox(key="peer").set_value("Children's").run()
    again = page(
        tab="Outliers",
        measure=at.radio(key="measure").value,
        peer=at.selectbox(key="peer").value,
    )
    assert again.radio(key="measure").value == "Imaging scan rate"
    assert list(table_with(again, "Expected at peer benchmark")["Peer group"]) == ["Children's"]


def test_ranking_within_a_peer_group(page):
    at = page(peer="Acute")
    assert not at.exception
    ranking = table_with(at, "Rank")
    assert set(ranking["Peer group"]) == {"Acute"}
    assert sorted(ranking["Rank"]) == list(range(1, len(ranking) + 1))
    assert len(ranking) == 7 and "Wirral University Teaching Hospital (RBL)" in set(
        ranking["Trust"]
    )
    assert any("within the Acute peer group" in s.value for s in at.subheader)
    outliers = table_with(open_tab(at, "Outliers"), "Funnel position")
    assert set(outliers["Peer group"]) == {"Acute"}


def test_a_peer_group_of_one_trust_says_it_has_no_funnel(page):
    at = page(peer="Children's")
    assert not at.exception
    assert list(table_with(at, "Rank")["Trust"]) == ["Alder Hey Children's (RBS)"]
    open_tab(at, "Outliers")
    assert any("only one trust" in i.value for i in at.info)
    assert not [s for s in chart_specs(at) if "planned minutes" in str(s)]  # no funnel drawn
    assert len(table_with(at, "Funnel position")) == 1


def test_headline_tiles_cover_the_same_period_as_the_ranking_table(page):
    at = page(trust="RBL")
    cases, scans, waiting = at.metric
    months = cases.label.split(", ", 1)[1]
    assert months.endswith("months)") and months in scans.label
    ranking = table_with(at, "Rank")
    assert cases.value == f"{ranking['Cases (realisable)'].sum():,.0f}"
    assert scans.value == f"{ranking['Additional scans'].sum():,.0f}"
    assert "(1 month)" in waiting.label  # a snapshot at the latest month
    assert any(months in s.value for s in at.subheader)


def test_a_trust_outside_the_chosen_peer_group_is_told_so(page):
    at = page(trust="RBS", peer="Acute")
    assert not at.exception
    assert any("RBS is not in the Acute peer group" in i.value for i in at.info)
