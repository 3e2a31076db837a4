"""Point labels that never overlap on a printed chart: close points share one label.

>>> points = pd.DataFrame({"trust_code": ["RBT", "RWW", "REM"],
...     "denominator": [400_000, 410_000, 1_500_000], "proportion": [0.733, 0.734, 0.746]})
>>> point_labels(points, "denominator", "proportion", x_domain=(10_000, 3_000_000),
...              y_domain=(0.55, 0.95)).tolist()
['', 'RWW · RBT', 'REM']

A browser shows a trust's code on hover; a page printed from the board pack cannot, and two codes
drawn on top of each other read as neither. The chart's text layer draws each label to the right
of its point (``dx`` = 7 px), so the pack works out, in the chart's pixels, where each label and
each point will fall; a label that would touch an earlier label or another point is joined to
that earlier label ("RWW · RBT"), and its own point is left unlabelled. Pure pandas and numpy.
"""

from __future__ import annotations

import math

import pandas as pd

CHAR_PX = 7.0  # the width of one character of an 11 px label, generously
LABEL_DX = 7.0  # the chart's text layer starts this far right of its point
LABEL_HALF_HEIGHT = 7.0
POINT_RADIUS = 6.0
JOIN = " · "


def _pixels(values: pd.Series, domain: tuple[float, float], size: float, *, log: bool) -> pd.Series:
    low, high = domain
    scaled = values.astype(float)
    if log:
        scaled, low, high = scaled.map(math.log), math.log(low), math.log(high)
    return (scaled - low) / (high - low) * size if high > low else scaled * 0.0


def point_labels(
    frame: pd.DataFrame,
    x: str,
    y: str,
    *,
    x_domain: tuple[float, float],
    y_domain: tuple[float, float],
    width: float = 330.0,
    height: float = 440.0,
    log_x: bool = True,
    label: str = "trust_code",
) -> pd.Series:
    """Each row's label (``label`` column), or ``""`` where it joined a neighbour's label.

    ``x_domain``/``y_domain`` are the chart's scale domains and ``width``/``height`` its plot
    size in pixels; ``x`` is on a log scale when ``log_x`` (a funnel plot's volume).
    """
    px = _pixels(frame[x], x_domain, width, log=log_x)
    py = height - _pixels(frame[y], y_domain, height, log=False)  # pixels run down the page
    order = sorted(range(len(frame)), key=lambda i: (py.iloc[i], px.iloc[i]))
    texts = [str(v) for v in frame[label]]
    shown = [""] * len(frame)
    boxes: list[list[float]] = []  # [left, top, right, bottom, row] of each placed label

    def box(i: int, text: str) -> list[float]:
        left = px.iloc[i] + LABEL_DX
        return [left, py.iloc[i] - LABEL_HALF_HEIGHT, left + CHAR_PX * len(text),
                py.iloc[i] + LABEL_HALF_HEIGHT, float(i)]  # fmt: skip

    def touches(a: list[float], b: list[float]) -> bool:
        return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]

    def point_box(i: int) -> list[float]:
        r = POINT_RADIUS
        return [px.iloc[i] - r, py.iloc[i] - r, px.iloc[i] + r, py.iloc[i] + r, float(i)]

    done = [False] * len(frame)
    for i in order:
        if done[i]:
            continue
        done[i] = True
        mine = box(i, texts[i])
        clash = next((b for b in boxes if touches(mine, b) or touches(point_box(i), b)), None)
        if clash is not None:  # join the label already there
            owner = int(clash[4])
            shown[owner] = f"{shown[owner]}{JOIN}{texts[i]}"
            clash[:4] = box(owner, shown[owner])[:4]
            continue
        shown[i] = texts[i]
        # A point under this label would be hidden: its code joins this label instead.
        for j in order:
            if not done[j] and touches(box(i, shown[i]), point_box(j)):
                done[j] = True
                shown[i] = f"{shown[i]}{JOIN}{texts[j]}"
        boxes.append(box(i, shown[i]))
    return pd.Series(shown, index=frame.index, name=label)
