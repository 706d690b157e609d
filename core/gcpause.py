"""Pausing CPython's cyclic garbage collector around batch work.

Validating, evaluating or writing a batch allocates a few objects per
activity (a loaded dict, an ``Activity``, an outcome and its strings, a
result dict) and frees almost nothing until the batch is done. The
generational collector is triggered by allocations, and its full
collections rescan the whole, growing heap again and again: for 100,000
activities that was 40 % of evaluation, ~10 % of validation and ~40 % of
writing the JSON result (benchmarks/README.md). Reference counting still
frees everything as usual; only reference cycles (rare here: an exception
kept with its traceback) wait until the collector runs again after the batch.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["paused_gc"]


@contextmanager
def paused_gc() -> Iterator[None]:
    """Disable the cyclic GC inside the block; re-enable it after if it was on.

    Nesting is fine: an inner block leaves the collector off for the outer one.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
