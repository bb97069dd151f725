"""Benchmarks that print figures (never timed tests): ``python -m bench.load`` and ``python -m bench.api``.

Results are written up in ``docs/benchmarks.md``. Both scripts print markdown tables and save the raw
figures as JSON under ``data/bench/results/``; reference bundles are generated once and cached under
``data/bench/``.
"""
