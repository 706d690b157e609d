"""Error pages: clean, in the UI language, never a traceback.

A database error is logged with its traceback and answered with a 503 page
that asks nothing of the database, saying what happened in the class
``core.store.faults`` sorts it into: another import or re-evaluation is
running, the database is busy, cannot be reached, or refused the write.
Nothing was stored: every writing use case rolls back whole.

An evaluation or import while an enabled plugin's parameters are not stored
yet (installed after ``stdpolicy init``) is answered 503 naming the plugins
and what to run, never computed as ¥0.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from core.db import db
from core.store import ParametersNotStored
from core.store.faults import DatabaseFault, WriterBusy, classify

from .i18n import is_chinese

__all__ = ["init_app"]

#: Seconds a client is asked to wait before trying again after a busy database.
RETRY_AFTER = 30


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _page(status: int, error: str | None = None):
    if _wants_json():
        return {"error": error or str(status)}, status
    if not _urls_build():
        return _bare(status)
    return render_template("errors/error.html", status=status, error=error), status


def _urls_build() -> bool:
    """Whether this request can build URLs: not when werkzeug refused its Host header (one of over 255
    characters), where every page's ``url_for`` fails and the error page itself answered 500."""
    try:
        url_for("static", filename="style.css")
    except Exception:  # noqa: BLE001 - Flask has no URL adapter for the request (an AttributeError, today)
        return False
    return True


def _bare(status: int) -> Response:
    """An error answer built from nothing but its status: for a request no page can be drawn for."""
    phrase = HTTP_STATUS_CODES.get(status, "Error")
    return Response(f"{status} {phrase}\n请求无法处理 / The request cannot be handled.\n", status,
                    mimetype="text/plain")


def _plain_page(status: int, error: str | None = None, message: str | None = None):
    """An error page that asks nothing of the database (no user, no departments)."""
    if _wants_json():
        body = {"error": error or str(status)}
        if message:
            body["message"] = message
        return body, status
    if not _urls_build():
        return _bare(status)
    return render_template("errors/plain.html", status=status, error=error, zh=is_chinese()), status


def _fault_name(fault: DatabaseFault | None) -> str:
    """The page's key for a fault: writer_busy, database_busy, database_unavailable, database_refused, database."""
    if isinstance(fault, WriterBusy):
        return "writer_busy"
    if fault is None:
        return "database"
    return {"busy": "database_busy", "unavailable": "database_unavailable", "refused": "database_refused"}[fault.fault]


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return _page(400, "csrf")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        return _page(exc.code or 500)

    @app.errorhandler(DatabaseFault)
    @app.errorhandler(SQLAlchemyError)
    def database_error(exc: Exception):
        fault = classify(exc)
        if fault is not None and fault.fault in ("busy", "unavailable"):
            app.logger.warning("database %s on %s %s: %s", fault.fault, request.method, request.path, fault.message,
                               exc_info=not isinstance(exc, WriterBusy))
        else:
            app.logger.exception("database error on %s %s", request.method, request.path)
        _rollback()
        body, status = _plain_page(503, _fault_name(fault), fault.message if fault is not None else None)
        headers = {"Retry-After": str(RETRY_AFTER)} if fault is not None and fault.fault != "refused" else {}
        return body, status, headers

    @app.errorhandler(ParametersNotStored)
    def parameters_not_stored(exc: ParametersNotStored):
        app.logger.error("%s %s: %s", request.method, request.path, exc)
        _rollback()
        if _wants_json():
            return {"error": "parameters_not_stored", "message": str(exc), "plugins": exc.missing}, 503
        from core.app import get_registry

        registry = get_registry()
        labels = [registry.plugins[name].description.label if name in registry.plugins else name for name in exc.missing]
        return render_template("errors/error.html", status=503, error="parameters_not_stored", plugins=labels,
                               tables=exc.tables), 503

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
