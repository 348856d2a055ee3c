"""The load layer: locust runs as pytest items, gated on SLO thresholds.

:mod:`~harness.load.plugin` turns locustfiles into test items,
:mod:`~harness.load.runner` runs locust in a process of its own,
:mod:`~harness.load.stats` reads the CSV files it writes and
:mod:`~harness.load.gate` judges them against the thresholds.
"""
