"""A deferred CSV download (written on click) holds exactly the bytes of an eager one."""

import pandas as pd

from productivity.ui import widgets


def test_deferred_download_writes_the_same_csv_on_click(monkeypatch):
    sent = {}
    monkeypatch.setattr(widgets.st, "download_button", lambda label, data, **_: sent.setdefault(
        "deferred" if callable(data) else "eager", data))  # fmt: skip
    frame = pd.DataFrame({"trust": ["RBL", "=cmd"], "patients": [3, 40], "share": [0.5, 0.25]})
    widgets.download(frame, "x")
    widgets.download(frame, "x", deferred=True)
    assert sent["deferred"]() == sent["eager"]
    assert b"'=cmd" in sent["eager"] and b"*" in sent["eager"]  # neutralised and suppressed
