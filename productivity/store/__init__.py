"""The store: engine and sessions, tables, marts (build and read), reports and reference data.

Imports no Streamlit.
"""
