"""Health inequalities: DM01 waits and missed appointments (DNAs) by IMD quintile, and the gaps.

Each section is a tab, of which only the open one is worked out and drawn (issue 17)."""

from productivity import ui
from productivity.ui import inequalities as sections

view = ui.frame("Health inequalities", filters=("trust", "period"))
where = f"at {ui.plain(view.trust)}" if view.trust else "across the system"

tab = ui.page_tabs(sections.TABS, key="tab")
with tab.container:
    sections.draw_tab(tab.open, view.trust, view.period.start, view.period.end, where)
