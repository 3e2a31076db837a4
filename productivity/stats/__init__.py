"""Statistics for outliers: SPC (XmR), funnel plots, and the judgements they give.

Pure: imports no Streamlit, no database and no ``productivity.store``.
"""
