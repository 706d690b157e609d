"""Validating a large input in several processes.

Validation is most of the time ``stdpolicy evaluate`` spends on a big file:
marshmallow loads each record at ~60–80 µs, so 100,000 records take 6–8 s
of CPU in one process. Records are independent, so the CLI can split them
between forked worker processes and itself; each worker validates a
contiguous share and sends back what ``validate_one`` made of it (pickled).
The result is the same list, in the same order, as validating in one
process; the duplicate-id check runs afterwards over the whole list.

Opt-in (``stdpolicy evaluate --workers N``, default 1), and only for callers
that may fork: the command line, single-threaded. A web server's worker
(threads, open connections) validates in its own process. It pays only
where N CPUs are idle: the shares run side by side, but in all they cost
~15 % more CPU than one process (results pickled and sent back, pages
copied on write, each process's caches filled anew); on a machine whose
second CPU is busy it is slower (benchmarks/README.md).
Anything a worker cannot do (an exception in a plugin's schema, a result
that does not pickle, a worker that dies) makes the parent validate that
share itself, so an error surfaces exactly as without workers.
"""

from __future__ import annotations

import logging
import multiprocessing
import pickle
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .activities import InvalidRecord

if TYPE_CHECKING:
    from .activities import Activity, ActivityValidator

__all__ = ["MIN_RECORDS", "can_fork", "validate_items"]

log = logging.getLogger(__name__)

#: Below this many records one process is faster: a worker's start and its
#: results' trip back cost more than it saves.
MIN_RECORDS = 20_000


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def validate_items(validator: ActivityValidator, records: Sequence[Any], workers: int) -> list[Activity | InvalidRecord]:
    """``validator.validate_one`` of every record, in order, using ``workers`` processes in all.

    The caller has set the validation parameters and paused the GC; forked
    workers inherit both.
    """
    n = len(records)
    bounds = [(n * i // workers, n * (i + 1) // workers) for i in range(workers)]
    # Unflushed output would be written again by each worker when it exits.
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (AttributeError, OSError, ValueError):
            pass
    context = multiprocessing.get_context("fork")
    started: list[tuple[int, int, Any, Any]] = []
    done = False
    try:
        for start, stop in bounds[1:]:
            receive, send = context.Pipe(duplex=False)
            process = context.Process(target=_work, args=(validator, records, start, stop, send),
                                      name=f"stdpolicy-validate-{start + 1}", daemon=True)
            process.start()
            send.close()
            started.append((start, stop, process, receive))
        start, stop = bounds[0]
        items = [validator.validate_one(records[i], i + 1) for i in range(start, stop)]
        for start, stop, process, receive in started:
            share = _receive(receive, process)
            if share is None:
                share = [validator.validate_one(records[i], i + 1) for i in range(start, stop)]
            else:
                for item in share:
                    if isinstance(item, InvalidRecord):
                        item.record = records[item.row - 1]  # the caller's own object, as without workers
            items.extend(share)
        done = True
        return items
    finally:
        for _, _, process, receive in started:
            receive.close()
            if not done:  # an error here: the workers' results are not wanted
                process.terminate()
            process.join()


def _work(validator: ActivityValidator, records: Sequence[Any], start: int, stop: int, send: Any) -> None:
    """In a worker: validate ``records[start:stop]`` and send the items back."""
    try:
        items = [validator.validate_one(records[i], i + 1) for i in range(start, stop)]
        for item in items:
            if isinstance(item, InvalidRecord):
                item.record = None  # the parent has it
        payload = pickle.dumps(("ok", items), protocol=pickle.HIGHEST_PROTOCOL)
    except BaseException as exc:  # the parent redoes the share and meets the error itself
        payload = pickle.dumps(("failed", f"{type(exc).__name__}: {exc}"))
    send.send_bytes(payload)
    send.close()


def _receive(receive: Any, process: Any) -> list[Any] | None:
    try:
        status, value = pickle.loads(receive.recv_bytes())
    except Exception as exc:  # the worker died (EOFError) or sent something unreadable
        log.warning("validation worker %s failed (%s); validating its share here", process.name, exc)
        return None
    if status != "ok":
        log.warning("validation worker %s failed (%s); validating its share here", process.name, value)
        return None
    return value
