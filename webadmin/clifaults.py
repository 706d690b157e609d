"""Faults outside a command end in one line and an exit status, not a traceback.

Shared by the admin's full command group (``webadmin.commands.main``) and the
light group that runs ``stdpolicy evaluate`` (``webadmin.cli``): loading the
application (an instance folder that cannot be created) or a database error
that escapes a command is reported as the commands report theirs
(``core.cli._common.report_fault``). Click's own usage errors ("Got
unexpected extra argument (…)") repeat an argument whole: a long one is
clipped (``core.screening.clipped_words``).

An argument that is not UTF-8 (a name typed in a GBK terminal reaches
Python as lone surrogates) is fine as a file's path, but fails wherever it
is sent to the database or encoded: that failure is reported as the
argument's fault, naming it, instead of a traceback. Commands store at
their end, so nothing was stored.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click
from sqlalchemy.exc import SQLAlchemyError

from core.cli._common import report_fault
from core.screening import clipped_words
from core.store.faults import EXIT_REFUSED, DatabaseFault

__all__ = ["FaultReporting", "not_utf8_argument"]

#: Where the group keeps its command line (``Context.meta``), to name an argument that is not UTF-8.
_ARGS = "stdpolicy.arguments"


@contextmanager
def _clipped_usage_errors() -> Iterator[None]:
    try:
        yield
    except click.ClickException as exc:
        exc.message = clipped_words(exc.message)
        raise


class FaultReporting(click.Group):
    """A group that reports database faults and unwritable files in one line, not a traceback."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta[_ARGS] = list(args)
        with _clipped_usage_errors():
            return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            with _clipped_usage_errors():
                return super().invoke(ctx)
        except UnicodeEncodeError as exc:
            message = not_utf8_argument(exc, ctx.meta.get(_ARGS, []))
            if message is None:
                raise
            _rollback_quietly()
            click.echo(f"error: {message}; nothing was stored", err=True)
            ctx.exit(2)
        except (SQLAlchemyError, DatabaseFault) as exc:
            _rollback_quietly()
            ctx.exit(report_fault(exc))
        except PermissionError as exc:
            click.echo(f"error: permission denied: {exc.filename or ''}; nothing was stored", err=True)
            ctx.exit(EXIT_REFUSED)
        except OSError as exc:
            if exc.errno in (errno.EROFS, errno.ENOSPC, errno.EDQUOT):
                click.echo(f"error: cannot write {exc.filename or ''}: {exc.strerror}; nothing was stored", err=True)
                ctx.exit(EXIT_REFUSED)
            raise


def not_utf8_argument(exc: UnicodeEncodeError, args: list[str]) -> str | None:
    """What to say when ``exc`` came from a command-line argument that is not UTF-8; None when it did not."""
    if "surrogates" not in exc.reason:
        return None
    culprit = next((arg for arg in args if any("\udc80" <= c <= "\udcff" for c in arg)), None)
    if culprit is None:
        return None
    raw = os.fsencode(culprit)
    try:
        gbk = f" (as GBK it reads {raw.decode('gb18030')})"
    except UnicodeDecodeError:
        gbk = ""
    return (f"the argument {clipped_words(repr(raw)[2:-1])} is not UTF-8 text{gbk}: "
            "set the terminal's encoding to UTF-8 and type it again")


def _rollback_quietly() -> None:
    from core.db import db

    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - no app context, or the connection is gone
        pass
