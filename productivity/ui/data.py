"""The Data page's sections: loading a file, the import history, data quality and the worker.

Three tabs (:data:`TABS`), of which only the open one runs (:func:`draw_tab`): *Import* (the
uploader, drawn only for a user who may change data, and the import history), *Data quality*
and *Drop folder* (the scheduler worker). The quality report is summed from the quality mart
(counts per trust and month, built with the other marts), so no case is read when the tab opens
or a filter changes.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

from productivity import ingest
from productivity.errors import InputError
from productivity.store import marts, reports
from productivity.store.worker_status import read_status
from productivity.ui import auth
from productivity.ui.frame import CACHE_TTL, View, engine
from productivity.ui.widgets import empty_state, plain, problems_table, show_table

TABS = ("Import", "Data quality", "Drop folder")


@st.cache_data(ttl=60, show_spinner=False)
def load_history() -> pd.DataFrame:
    return reports.import_history(engine())


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def load_store_quality(
    start: str | None, end: str | None, trust: str | None, build: str
) -> pd.DataFrame:
    """The report of a trust (or all) and period; ``build`` (the marts' build stamp) keys the
    cache, so an import's new counts are read."""
    return reports.quality_table(engine(), marts.Period(start, end), trust)


def load_quality(start: str | None, end: str | None, trust: str | None) -> pd.DataFrame:
    """The report of a trust (or all) and period, as ``reports.quality_table`` reads it."""
    return load_store_quality(start, end, trust, marts.build_stamp(engine()))


def import_section(user: auth.User) -> None:
    """The uploader (for a user who may change data: the role check) and the import history."""
    st.subheader("Load a file")
    st.caption(
        "Theatre extracts, imaging, endoscopy and echo activity, imaging reporting events (RIS "
        "or Diagnostic Imaging Dataset), histopathology specimens and appointments (CSV or "
        "Excel), and DM01 returns as NHS England publishes them (provider workbook .xls/.xlsx, "
        "or the full extract .zip/.csv). The kind is recognised from the columns."
    )
    if auth.require_data_manager(user):
        upload_form()
    st.subheader("Import history")
    history = load_history()
    if history.empty:
        empty_state("Nothing has been imported yet.")
    else:
        show_table(history)


def upload_form() -> None:
    """The uploader and its options: drawn only for a user who may change data."""
    upload = st.file_uploader(
        "File",
        type=["csv", "xlsx", "xls", "zip"],
        key="upload",
        max_upload_size=ingest.max_file_mb(),  # the importer's own limit (PRODUCTIVITY_MAX_FILE_MB)
    )
    left, right = st.columns(2)
    kind = left.selectbox("Kind", ["recognise from the columns", *ingest.KINDS], key="kind")
    column_map = right.file_uploader("Column map (TOML, optional)", type=["toml"], key="map")
    drop_identifiers = st.checkbox(
        "Drop identifier columns (NHS number, birth date, postcode...) before reading",
        key="drop_identifiers",
        help="A record-level extract is refused while it carries identifiers; this removes "
        "those columns in memory first, and the import history names them.",
    )
    if upload is not None and st.button("Import", type="primary", icon=":material/upload:"):
        run_import(upload, kind, column_map, drop_identifiers)


def run_import(
    upload: UploadedFile, kind: str, column_map: UploadedFile | None, drop_identifiers: bool
) -> None:
    """Import the uploaded file (a data manager's click): located errors, or what was loaded."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / Path(upload.name).name
        path.write_bytes(upload.getvalue())
        map_path = None
        if column_map is not None:
            map_path = Path(folder) / "map.toml"
            map_path.write_bytes(column_map.getvalue())
        bar = st.progress(0.0, text=f"Importing {upload.name}…")

        def report_progress(done: float) -> None:
            bar.progress(min(1.0, done), text="Importing…")

        try:
            result = ingest.import_file(
                path,
                kind=None if kind.startswith("recognise") else kind,
                map_path=map_path,
                engine=engine(),
                source="upload",
                progress=report_progress,
                drop_identifiers=drop_identifiers,
                refresh_marts=True,  # only the trust-months the file touched
            )
        except InputError as problems:
            bar.empty()
            st.error(
                f"**{plain(upload.name)} was not loaded**: nothing in the store has "
                "changed. Fix these problems and load it again.",
                icon=":material/error:",
            )
            show_table(problems_table(problems))
            return
    bar.progress(1.0, text="Updating the aggregates…")
    # A no-op when the import refreshed its trust-months; a full rebuild only when the marts
    # were stale before it (or a duplicate's earlier load never got them).
    marts.ensure_marts(engine())
    st.cache_data.clear()
    bar.empty()
    lines = result.report().splitlines()
    st.success("\n\n".join(map(plain, lines)), icon=":material/check_circle:")


def quality_section(view: View) -> None:
    st.subheader("Data quality")
    report = load_quality(view.period.start, view.period.end, view.trust)
    if report.empty:
        empty_state("No theatre lists in the chosen period and trust.")
    else:
        show_table(report, "data-quality")


def drop_folder_section() -> None:
    st.subheader("Scheduled drop folder")
    status = read_status(engine())
    if status.empty:
        st.info(
            "No scheduler worker has run against this store. Start one with "
            "`python -m productivity.scheduler` (see the README).",
            icon=":material/schedule:",
        )
    else:
        show_table(status)


def draw_tab(label: str, view: View, user: auth.User) -> None:
    """Draw tab ``label`` (one of :data:`TABS`); ``user`` decides whether the uploader shows."""
    if label == "Import":
        import_section(user)
    elif label == "Data quality":
        quality_section(view)
    elif label == "Drop folder":
        drop_folder_section()
    else:
        raise ValueError(f"the Data page has no tab {label!r}; its tabs are {TABS}")
