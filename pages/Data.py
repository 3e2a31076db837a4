"""Data: load a file, see located errors, the import history, data quality and the worker.

Only the open tab's section runs (:mod:`productivity.ui.data`); the uploader is drawn only for a
user whose role may change data (a broken sign-in configuration stops at ``ui.frame``).
"""

from productivity import ui
from productivity.ui import auth, data

view = ui.frame("Data", filters=("trust", "period"))
user = auth.current_user()
tab = ui.page_tabs(data.TABS, key="tab")
with tab.container:
    data.draw_tab(tab.open, view, user)
