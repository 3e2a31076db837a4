"""Deterministic synthetic demo data (seeded): the frames (``frames.py``) and the store (``demo.py``)."""
