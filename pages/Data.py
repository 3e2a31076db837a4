"""Data: load a file, see located errors, the import history, data quality and the worker."""

import tempfile
from pathlib import Path

import streamlit as st

from productivity import ingest, scheduler, ui
from productivity.errors import InputError
from productivity.store import marts, reports
from productivity.ui import auth

view = ui.frame("Data", filters=("trust", "period"))
user = auth.current_user()


@st.cache_data(ttl=60, show_spinner=False)
def load_history():
    return reports.import_history(ui.engine())


@st.cache_data(ttl=ui.CACHE_TTL, show_spinner=False)
def load_quality(start: str | None, end: str | None, trust: str | None):
    return reports.quality_table(ui.engine(), marts.Period(start, end), trust)


st.subheader("Load a file")
st.caption(
    "Theatre extracts, imaging, endoscopy and echo activity, imaging reporting events (RIS "
    "or Diagnostic Imaging Dataset), histopathology specimens and appointments (CSV or "
    "Excel), and DM01 returns as NHS England publishes them (provider workbook .xls/.xlsx, "
    "or the full extract .zip/.csv). The kind is recognised from the columns."
)
if auth.require_data_manager(user):
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
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / Path(upload.name).name
            path.write_bytes(upload.getvalue())
            map_path = None
            if column_map is not None:
                map_path = Path(folder) / "map.toml"
                map_path.write_bytes(column_map.getvalue())
            bar = st.progress(0.0, text=f"Importing {upload.name}…")
            try:
                result = ingest.import_file(
                    path,
                    kind=None if kind.startswith("recognise") else kind,
                    map_path=map_path,
                    engine=ui.engine(),
                    source="upload",
                    progress=lambda done: bar.progress(min(1.0, done), text="Importing…"),
                    drop_identifiers=drop_identifiers,
                    refresh_marts=True,  # only the trust-months the file touched
                )
            except InputError as problems:
                bar.empty()
                st.error(
                    f"**{ui.plain(upload.name)} was not loaded**: nothing in the store has "
                    "changed. Fix these problems and load it again.",
                    icon=":material/error:",
                )
                ui.show_table(ui.problems_table(problems))
            else:
                bar.progress(1.0, text="Updating the aggregates…")
                # A no-op when the import refreshed its trust-months; a full rebuild only when
                # the marts were stale before it (or a duplicate's earlier load never got them).
                marts.ensure_marts(ui.engine())
                st.cache_data.clear()
                bar.empty()
                lines = result.report().splitlines()
                st.success("\n\n".join(map(ui.plain, lines)), icon=":material/check_circle:")

st.subheader("Import history")
history = load_history()
if history.empty:
    ui.empty_state("Nothing has been imported yet.")
else:
    ui.show_table(history)

st.subheader("Data quality")
quality = load_quality(view.period.start, view.period.end, view.trust)
if quality.empty:
    ui.empty_state("No theatre lists in the chosen period and trust.")
else:
    ui.show_table(quality, "data-quality")

st.subheader("Scheduled drop folder")
status = scheduler.read_status(ui.engine())
if status.empty:
    st.info(
        "No scheduler worker has run against this store. Start one with "
        "`python -m productivity.scheduler` (see the README).",
        icon=":material/schedule:",
    )
else:
    ui.show_table(status)
