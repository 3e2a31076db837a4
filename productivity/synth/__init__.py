"""Deterministic synthetic demo data (seeded).

The frames (``frames.py``) and loading them into the store (``demo.py``).
"""
