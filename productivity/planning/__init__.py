"""What could be gained: opportunity, what-if scenarios and mutual aid.

Pure: imports no Streamlit, no database and no ``productivity.store``.
"""
