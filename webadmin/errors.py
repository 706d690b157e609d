"""Error pages: clean, in the UI language, never a traceback.

A database error is logged with its traceback and answered with a 503 page.
"""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from core.db import db

__all__ = ["init_app"]


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _page(status: int, error: str | None = None):
    if _wants_json():
        return {"error": error or str(status)}, status
    return render_template("errors/error.html", status=status, error=error), status


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
        db.session.rollback()
        return _page(503, "database")

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        if isinstance(exc, HTTPException):
            return http_error(exc)
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        return _page(500)
