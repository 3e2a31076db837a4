"""One module per page, named after it: shapes store reads into what that page draws.

Imports no Streamlit.
"""
