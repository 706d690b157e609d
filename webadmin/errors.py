"""Error pages: clean, in the UI language, never a traceback.

A database error is logged with its traceback and answered with a 503 page.
"""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from core.db import db

from .i18n import is_chinese

__all__ = ["init_app"]


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _page(status: int, error: str | None = None):
    if _wants_json():
        return {"error": error or str(status)}, status
    return render_template("errors/error.html", status=status, error=error), status


def _plain_page(status: int, error: str | None = None):
    """An error page that asks nothing of the database (no user, no departments)."""
    if _wants_json():
        return {"error": error or str(status)}, status
    return render_template("errors/plain.html", status=status, error=error, zh=is_chinese()), status


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return _page(400, "csrf")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        return _page(exc.code or 500)

    @app.errorhandler(SQLAlchemyError)
    def database_error(exc: SQLAlchemyError):
        app.logger.exception("database error on %s %s", request.method, request.path)
        _rollback()
        return _plain_page(503, "database")

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        if isinstance(exc, HTTPException):
            return http_error(exc)
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        _rollback()
        return _plain_page(500)


def _rollback() -> None:
    try:
        db.session.rollback()
    except SQLAlchemyError:  # the connection itself is gone
        app_logger = logging.getLogger(__name__)
        app_logger.warning("rollback failed after a database error", exc_info=True)
