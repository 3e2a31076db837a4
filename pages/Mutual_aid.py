"""Mutual aid for diagnostics programme leads: which trust could send how many patients a week
to which trust that can take them.

The plan's tiles and projection head the page; its transfers, each trust's waiters (the chart)
and what limits the plan are lazy tabs, of which only the open one is drawn
(:mod:`productivity.ui.mutual_aid`).
"""

from productivity import ui
from productivity.ui import mutual_aid as aid

view = ui.frame("Mutual aid", filters=("period",))
choice = aid.controls()
plan = aid.plan_for(view, choice)
aid.headline(plan)
aid.sections(plan, choice)
