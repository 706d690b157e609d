"""Faults outside a command end in one line and an exit status, not a traceback.

Shared by the admin's full command group (``webadmin.commands.main``) and the
light group that runs ``stdpolicy evaluate`` (``webadmin.cli``): loading the
application (an instance folder that cannot be created) or a database error
that escapes a command is reported as the commands report theirs
(``core.cli._common.report_fault``). Click's own usage errors ("Got
unexpected extra argument (…)") repeat an argument whole: a long one is
clipped (``core.screening.clipped_words``).
"""

from __future__ import annotations

import errno
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click
from sqlalchemy.exc import SQLAlchemyError

from core.cli._common import report_fault
from core.screening import clipped_words
from core.store.faults import EXIT_REFUSED, DatabaseFault

__all__ = ["FaultReporting"]


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
        with _clipped_usage_errors():
            return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            with _clipped_usage_errors():
                return super().invoke(ctx)
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


def _rollback_quietly() -> None:
    from core.db import db

    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - no app context, or the connection is gone
        pass
