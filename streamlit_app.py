"""Entrypoint: ``streamlit run streamlit_app.py``. Navigation only; every page calls ui.frame()."""

from productivity import ui

ui.run()
