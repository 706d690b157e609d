"""The numbers that choose the shape of a register query, each with the measurement behind it.

Measured on 100,000 stored activities (``benchmarks/generate.py``, seed
20220801) in SQLite on the project's 2-vCPU machine; the figures are
re-measured with ``benchmarks/register_thresholds.py`` (see
benchmarks/README.md, "Register thresholds").
"""

from __future__ import annotations

__all__ = ["EXPORT_CHUNK", "FEW", "MAX_KINDS", "PROBE_ABOVE", "SEARCH_WEIGHT", "SHORT_WALK"]

FEW = 3000
PROBE_ABOVE = 10_000
SHORT_WALK = 5000
SEARCH_WEIGHT = 2
EXPORT_CHUNK = 2000
MAX_KINDS = 1000
