"""The numbers that choose the shape of a register query, each with the measurement behind it.

Measured on 100,000 stored activities (``benchmarks/generate.py``, seed
20220801; 4,000 organisations, 34,267 paid) in SQLite 3.40 on the project's
2-vCPU machine, as CPU milliseconds of this process (SQLite runs in it; CPU
time holds on a busy machine where wall time does not). Re-measure with
``benchmarks/register_thresholds.py`` (benchmarks/README.md, "Register
thresholds"), which times both shapes each number chooses between and
checks they return the same ids. Figures of 2026-11-29 (load average 6–8:
other sessions' test suites on both cores).

Whole pages: benchmarks/load_admin.py (p95 under 100 ms for every page type).
"""

from __future__ import annotations

__all__ = ["EXPORT_CHUNK", "FEW", "MAX_KINDS", "PROBE_ABOVE", "SEARCH_WEIGHT", "SHORT_WALK"]

#: Up to this many matching activities, a page lists them all in one pass
#: through the filter's own index and sorts them here (count and page from
#: one pass); above, it counts and walks the date index.
#:
#: Measured, one filter of n activities, middle page (CPU ms, sorted pass /
#: count + walk): n = 1,024: 2.4 / 5.5; 2,025: 5.6 / 7.0; 3,012: 7.8 / 7.7;
#: 4,838: 16.0 / 9.5; 10,019: 56.9 / 17.5. The break-even is ~3,000. (Page 1
#: is cheaper by walking at every n — 1.5 against 2.3 ms at 1,024 — by under
#: a millisecond below 3,000, so one number serves every page.)
FEW = 3000

#: The paid-outcomes filter, when another filter (or the year) drives, is
#: probed in its set built once (34,000 ids) when more than this many rows
#: are expected to reach the test; fewer, each row looks its outcomes up.
#:
#: Measured (CPU ms, look-up per row / set built once): 1,024 rows: 2.9 /
#: 11.7; 3,012: 6.5 / 12.0; 6,034: 10.9 / 12.6; 10,019: 18.1 / 13.4;
#: 15,118: 27.8 / 15.1. Building the set costs what ~7,000 look-ups do (it
#: was 10,000 before this measurement, from an earlier estimate).
PROBE_ABOVE = 7000

#: A walk of the date index expected to read at most this many rows before
#: its page is full tests each row (no set is built); more, it probes the
#: filter's set, built once.
#:
#: Measured (CPU ms, row tests / set built once), a county (14 %): 1,171
#: rows read: 1.1 / 9.3; 4,685: 2.9 / 10.3; 11,713: 6.0 / 11.1; 23,426: 10.9 /
#: 13.6; 46,853: 20.0 / 16.1 — and paid only (34 %): 2,918: 2.6 / 11.7;
#: 14,591: 9.2 / 13.5; 29,182: 17.5 / 14.7. Break-even at 20,000–30,000
#: rows; kept at 5,000 because "rows read" is an estimate that takes a
#: filter as independent of the date, and a walk that reads five times the
#: estimate still costs less than building the set.
SHORT_WALK = 5000

#: How much more reading through a search's ids costs than through another
#: filter's index, per id, when choosing which filter drives a pass.
#:
#: Measured (CPU µs per id of a driving pass): an organisation-range index
#: (a county's shape) 0.1; a search 4.1 (a standard number, 2,747 ids) to 7.7
#: (a two-character organisation name, 1,663 ids). Most of a search's cost
#: is fixed — the union of its three index passes and the scan of 100,000
#: subjects (~7 ms) — not per id, so no per-id weight models it well. 2
#: (a search drives when it has under half the other filter's ids) is the
#: earlier estimate, kept: the load check's search + filter pages pass with
#: it (p95 62–80 ms); a fixed-cost term in ``Plan`` would model it better
#: and has not been measured yet.
SEARCH_WEIGHT = 2

#: Rows an export fetches from the database at a time (``yield_per``).
#:
#: Measured on the whole register (100,000 rows, one run each; CPU ms, peak
#: MiB held by Python): 500: 2,371, 2.9; 2,000: 2,802, 12.1; 10,000: 2,835,
#: 61.6. No larger chunk is faster; memory grows with it (it was 2,000).
EXPORT_CHUNK = 500

#: The most kinds the stored-kinds query (a recursive skip scan) returns: a
#: bound on the recursion, not a tuning (the plugins declare 4 kinds).
MAX_KINDS = 1000
