"""Methodology: every metric in plain words, the statistics, and the benchmarks in force."""

import streamlit as st

from productivity import ui
from productivity.views import methodology

ui.frame("Methodology", filters=())
bench = ui.benchmarks()
st.caption(
    "How every figure in this app is worked out. Benchmark values below come from the benchmark "
    "file in force, so the words and the numbers always agree."
)

st.header("Definitions")
table = methodology.definitions_table(bench)
for tab, area in zip(st.tabs(list(methodology.AREAS)), methodology.AREAS, strict=True):
    with tab:
        for d in methodology.definitions(bench):
            if d.area != area:
                continue
            column = f" · report column `{d.column}`" if d.column else ""
            st.markdown(f"**{d.name}**{column}  \n{d.definition}  \nFormula: `{d.formula}`")
ui.download(table, "metric-definitions", "Download the definitions (CSV)")

st.header("Statistics: outlier or opportunity?")
for title, text in methodology.STATISTICS:
    st.markdown(f"**{title}** {text}")

st.header("Small numbers")
st.markdown(ui.plain(methodology.small_number_rule()))

st.header("Benchmarks")
files = " and ".join(f"`{path.name}`" for path in bench.sources)
st.caption(f"Rendered from {files}; set `PRODUCTIVITY_BENCHMARKS` to a TOML file to override.")
overridden = bench.overridden()
if overridden:
    st.warning(
        f"✎ Overridden locally ({bench.sources[-1]}): {', '.join(overridden)}. The national value "
        "is shown beside each one.",
        icon=":material/edit:",
    )
st.table(methodology.benchmark_table(bench).set_index("Key"))
ui.download(bench.table(), "benchmarks", "Download the benchmarks (CSV)")
