"""Performance harness (issue 7): ``python -m perf --scale tiny|trust|region|national``.

Times our theatre metrics, import, mart rebuild and pages against baselines on synthetic data
(see ``perf/README.md``). Not part of the ``productivity`` package, and never imported by it.
"""
