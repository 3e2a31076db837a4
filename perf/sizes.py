"""What a page sends to the browser: each chart's Vega-Lite spec and data, and each table.

Read from a rendered AppTest: each Vega-Lite chart's spec (JSON bytes), its data (Arrow bytes
and rows, in datasets and inline values) and each ``st.dataframe``'s rows and Arrow bytes. A
chart that embeds 10,000 rows is serialised on every rerun; this is how the harness sees it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from streamlit.testing.v1 import AppTest


@dataclass
class ChartSize:
    chart: str
    spec_bytes: int  # the Vega-Lite JSON without the Arrow datasets
    data_bytes: int  # Arrow bytes of its datasets
    rows: int  # rows in its datasets plus inline "values"


@dataclass
class TableSize:
    rows: int
    columns: int
    bytes: int


def _arrow_rows(data: bytes) -> tuple[int, int]:
    import pyarrow as pa

    if not data:
        return 0, 0
    table = pa.ipc.open_stream(data).read_all()
    return table.num_rows, table.num_columns


def _inline_rows(node: object) -> int:
    if isinstance(node, dict):
        values = node.get("values")
        own = len(values) if isinstance(values, list) else 0
        return own + sum(_inline_rows(v) for k, v in node.items() if k != "values")
    if isinstance(node, list):
        return sum(_inline_rows(v) for v in node)
    return 0


def describe(spec: dict[str, Any]) -> str:
    """A chart's name for the table: its title, else its marks and the x/y fields."""
    title = spec.get("title")
    if isinstance(title, dict):
        title = title.get("text")
    if isinstance(title, str) and title:
        return title[:40]
    marks, fields = [], []
    for part in [spec, *spec.get("layer", []), *spec.get("vconcat", []), *spec.get("hconcat", [])]:
        mark = part.get("mark")
        if mark:
            marks.append(mark if isinstance(mark, str) else str(mark.get("type")))
        for channel in ("x", "y"):
            name = part.get("encoding", {}).get(channel, {}).get("field")
            if name and name not in fields:
                fields.append(name)
    return f"{'+'.join(dict.fromkeys(marks)) or 'chart'} {','.join(fields[:3])}"[:40]


def element_sizes(at: AppTest) -> tuple[list[ChartSize], list[TableSize]]:
    charts = []
    for element in at.get("vega_lite_chart"):
        proto = element.proto
        spec = json.loads(proto.spec)
        blobs = [d.data.data for d in proto.datasets] + [proto.data.data]
        rows = sum(_arrow_rows(b)[0] for b in blobs) + _inline_rows(spec)
        charts.append(ChartSize(describe(spec), len(proto.spec.encode()),
                                sum(len(b) for b in blobs), rows))  # fmt: skip
    tables = []
    for element in at.dataframe:
        proto = element.proto
        lazy = proto.HasField("lazy_data")
        data = proto.lazy_data.initial_chunk.data if lazy else proto.arrow_data.data
        rows, columns = _arrow_rows(data)
        tables.append(TableSize(proto.lazy_data.row_count if lazy else rows, columns, len(data)))
    return charts, tables
