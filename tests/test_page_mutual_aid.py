"""The Mutual aid page in AppTest on the 3-month demo: proposals, chart, URL, empty state, the
words it uses (sends / takes patients, never "donor") and trust names."""

from __future__ import annotations

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import app_page, every_tab, open_tab, page_tab_sets

TABS = ["Proposed transfers", "Waiters per trust", "What limits the plan"]


@pytest.fixture
def page(demo_url, monkeypatch):
    """A fresh AppTest of the Mutual aid page file (as a deep link runs it), on the demo store."""
    return app_page(monkeypatch, demo_url, "Mutual_aid.py")


def proposals(at: AppTest):
    return next(d.value for d in at.dataframe if "sends_patients" in d.value.columns)


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_the_page_shows_proposals_a_chart_the_projection_and_downloads(page):
    at = page()
    assert not at.exception
    assert at.title[0].value == "Mutual aid"
    assert at.selectbox(key="test").value == "CT"
    table = proposals(at)
    assert len(table) >= 1 and (table["distance_km"] <= 40).all()
    assert not at.get("vega_lite_chart"), "the chart is in its own tab"
    shown = metrics(at)
    assert {f"6+ week waiters after {w} weeks" for w in (4, 8, 12)} <= set(shown)
    # Numbers stay numbers (they sort as numbers); a hidden count is a missing cell.
    weekly = table["patients_per_week"]
    assert pd.api.types.is_numeric_dtype(weekly) and pd.api.types.is_numeric_dtype(
        table["distance_km"]
    )
    hidden = int(weekly.isna().sum())
    # No total beside the transfers gives a hidden one away: never one hidden alone, and what
    # the hidden ones add up to (the total less those shown) pins none down.
    assert hidden != 1
    if shown["Patients moved a week"] != "*" and hidden:
        rest = int(shown["Patients moved a week"]) - int(weekly.sum())
        assert hidden < rest < 4 * hidden or rest > 4 * hidden
    assert page_tab_sets(at) == {"tab": TABS}
    assert len(at.get("download_button")) == 1  # the proposals
    at = open_tab(at, "Waiters per trust")
    assert not at.exception and metrics(at) == shown
    assert len(at.get("vega_lite_chart")) == 1 and len(at.get("download_button")) == 1
    assert not any("sends_patients" in d.value.columns for d in at.dataframe)
    at = open_tab(at, "What limits the plan")
    assert not at.exception and not at.get("vega_lite_chart")
    assert any(h.value == "What limits the plan" for h in at.subheader)
    assert any(e.label == "Who may take whose patients" for e in at.expander)


def test_the_test_in_the_url_changes_the_output(page):
    ct, mri = page(test="CT"), page(test="MRI")
    assert not mri.exception
    assert mri.selectbox(key="test").value == "MRI"
    assert any("Magnetic Resonance Imaging" in h.value for h in mri.subheader)
    assert metrics(mri) != metrics(ct)
    assert not proposals(mri).equals(proposals(ct))


def test_choosing_another_test_and_distance_recomputes(page):
    at = page()
    before = metrics(at)
    at.selectbox(key="test").select("NON_OBSTETRIC_ULTRASOUND").run()
    assert not at.exception
    assert metrics(at) != before
    assert set(proposals(at)["test"]) == {"Non-obstetric Ultrasound"}
    wide = metrics(at)
    at.slider(key="max_km").set_value(5).run()
    assert not at.exception
    assert metrics(at) != wide


def test_no_transfer_is_explained_plainly(page):
    # No MRI pair that may trade is within 5 km when spare capacity is counted at the national
    # rates (on the peer basis the specialist trusts have less spare, and the plan is smaller).
    at = page(test="MRI", max_km="5", benchmark="national")
    assert not at.exception
    messages = [i.value for i in at.info]
    assert any("No transfer is proposed" in m and "within 5 km" in m for m in messages)
    assert metrics(at)["Patients moved a week"] == "0"
    assert not any("sends_patients" in d.value.columns for d in at.dataframe)
    at = open_tab(at, "Waiters per trust")
    assert len(at.get("vega_lite_chart")) == 1  # the trusts' waits are still shown


def page_text(at: AppTest) -> str:
    """Every word the page shows: headings, captions, messages, tiles, tables and expanders."""
    parts = [e.value for kind in ("title", "subheader", "caption", "markdown", "info", "error")
             for e in at.get(kind)]  # fmt: skip
    parts += [f"{m.label} {m.value} {m.proto.help}" for m in at.metric]
    parts += [e.label for e in at.expander]
    for frame in (d.value for d in at.dataframe):
        parts += [" ".join(map(str, frame.columns)), frame.astype(str).to_string()]
    return "\n".join(parts)


@pytest.mark.parametrize("test", ["MRI", "CT"])
def test_the_page_says_sends_and_takes_patients_and_names_the_trusts(page, test):
    at = page(test=test)
    assert not at.exception
    text = "\n".join(page_text(run) for _, run in every_tab(at))
    assert "donor" not in text.lower() and "receiv" not in text.lower()
    assert "takes patients" in text and "sends patients" in text
    table = proposals(open_tab(at, "Proposed transfers"))
    # Trust names with their codes, never a bare code; the rules keep Walton Centre, Alder Hey
    # and Clatterbridge out of every transfer.
    for name in (*table["sends_patients"], *table["takes_patients"]):
        assert name.endswith(")") and " (" in name
    assert not any(
        code in "".join(map(str, table.values.ravel())) for code in ("RET", "RBS", "REN")
    )
    at = open_tab(at, "What limits the plan")
    rules = next(d.value for d in at.dataframe if "May send patients to" in d.value.columns)
    assert rules.set_index("Trusts in the peer group").at[
        "Neurosciences", "May send patients to"
    ] == ("Neurosciences")


def test_a_bad_eligibility_file_is_named_on_the_page(page, tmp_path, monkeypatch):
    from productivity.planning import aid_eligibility

    bad = tmp_path / "mutual_aid_eligibility.toml"
    bad.write_text('[default]\nacute = ["acute", "dental"]\n', encoding="utf-8")
    monkeypatch.setattr(aid_eligibility, "ELIGIBILITY_FILE", bad)
    at = page(test="MRI")
    assert not at.exception
    (error,) = at.error
    shown = error.value.replace("\\", "")  # the message is escaped for Markdown
    assert "mutual_aid_eligibility.toml: [default] acute: unknown peer group(s) ['dental']" in shown
    assert not any("sends_patients" in d.value.columns for d in at.dataframe)


def test_spare_capacity_follows_the_benchmark_basis(page):
    # The same ?benchmark= as Diagnostics and the Overview; the page's default is the peer basis.
    peer = page(test="MRI")
    assert not peer.exception
    assert peer.radio(key="benchmark").value == "each trust's peer-group rate"
    national = page(test="MRI", benchmark="national")
    assert not national.exception
    assert national.radio(key="benchmark").value == "national rates"
    assert "on each trust's peer-group rate" in page_text(peer)
    assert "on national rates" in page_text(national)
    # The children's and specialist trusts have less spare MRI capacity at their own rates.
    tables = [[d.value for d in at.dataframe] for at in (peer, national)]
    assert len(tables[0]) == len(tables[1])
    assert any(not a.equals(b) for a, b in zip(*tables, strict=True))
