"""The JSON API for department systems: ``POST /api/evaluate``, ``GET /api/activities/<id>``, ``GET /api/plugins``.

Other errors are JSON as well (``webadmin/errors.py``): ``405`` for a wrong
method, ``503`` when the database fails.

Authentication: a department's API token (``stdpolicy tokens create`` or the
API tokens page) in ``Authorization: Bearer <token>``. A missing, unknown or
revoked token is answered ``401`` with a JSON error. Session cookies are not
accepted, and the blueprint is exempt from CSRF (no cookie, nothing to forge).
Every accepted request records the token's ``last_used_at``.

``POST /api/evaluate``
    The body holds activity records in the interchange format of
    ``stdpolicy evaluate``: a JSON array, or JSON Lines when the
    ``Content-Type`` is ``application/x-ndjson`` (or ``application/jsonl``).
    They are validated and evaluated exactly as ``stdpolicy evaluate
    --department <the token's department>`` does: parameters from the
    database, only the plugins that department has enabled (read on each
    request, so a switch on the Plugins page applies to the next call). The
    response is the JSON document the command prints, byte for byte (UTF-8)::

        {"results": [{"id", "kind", "amount", "outcomes": [...], "errors": [...]}],
         "total_amount": 0, "invalid": 0}

    Nothing is stored.

    *Invalid records* are not an HTTP error: the answer is ``200`` with the
    document, where each invalid record has its field errors in ``errors``
    and ``invalid`` counts them, and the valid records are evaluated all the
    same, as the command does (whose exit status 1 has no HTTP equivalent
    worth a different code; a client checks ``invalid``).

    A body that is not JSON (or JSON Lines), is not UTF-8, or is JSON but not
    an array is answered ``400`` with ``{"error": "bad_request", "message": …}``.
    A problem of one record (a key given twice, a lone surrogate, an integer
    of 5,000 digits) is that record's field error, as above.

    *Size*: the body is capped at what a synchronous evaluation should take,
    ``API_MAX_CONTENT_LENGTH`` (default 4 MiB, about 16,000 records and a
    second or two; ``STDPOLICY_API_MAX_BYTES`` in the environment). A larger
    body is answered ``413`` with ``{"error": "payload_too_large", "limit":
    <bytes>, "message": …}`` naming ``stdpolicy import`` and the admin's
    Import page, which take large files; the body is not read.

``GET /api/register/totals``
    The totals of the register the token's department sees (its enabled
    plugins' current outcomes), filtered as the admin's Activities page
    filters (``q``, ``kind``, ``year``, ``county``, ``plugin``,
    ``paid_only``) and grouped ``by`` organisation, county, year or rule:
    ``{"department", "group", "activities", "amount", "held", "lines": [...]}``,
    integer yuan; ``held`` is what outcomes held for review would pay, never
    in ``amount``. A bad parameter is answered ``400`` naming it (``fields``).

``GET /api/openapi.json``
    The OpenAPI document of this API (``webadmin/openapi.py``), generated
    from the marshmallow schemas of ``webadmin/api_schemas.py``. No token needed.

``GET /api/activities/<id>``
    One stored activity (its database id, as the register's links carry it)
    with its current outcomes, as the token's department sees it: only the
    outcomes of the plugins it has enabled; ``404`` when none of them
    evaluates the activity's kind. Each outcome carries its ``status`` and,
    for an outcome held for review (待核实), ``held_amount``, ``held_reasons``
    and ``review``: the decision in effect ``{decision, note, decided_by,
    decided_at}`` (``approved`` or ``rejected``), or ``null`` while pending.
    ``amount`` is what is due by the rules alone (0 for a held outcome);
    ``payable`` adds the held amount of an approved one.

``GET /api/p/<plugin>/<path>``
    The read endpoints plugins contribute (``stdpolicy_register_api_endpoints``,
    mounted by ``webadmin/plugin_api.py``): the same token, 404 for a
    department that has not enabled the plugin, 400 naming a bad query field.

``GET /api/plugins``
    Every loaded plugin (name, version, label and description in zh/en,
    clauses, activity kinds, parameter keys, and ``enabled``: whether the
    token's department has switched it on), and the plugins that failed to
    load (name, source, stage, error).
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, current_app, g, jsonify, request, url_for
from marshmallow import ValidationError
from werkzeug.exceptions import RequestEntityTooLarge

from core.app import get_registry
from core.interchange import InputError, parse_records
from core.services import evaluate_records
from core.store import effective_decisions, enabled_plugins
from core.store.register import RegisterFilter, activity_detail, register_totals
from core.store.reviews import held_amount_of

from .. import csrf
from ..api_schemas import (
    ActivityRecordSchema,
    EvaluationSchema,
    PluginsSchema,
    RegisterTotalsQuerySchema,
    RegisterTotalsSchema,
    StoredActivitySchema,
)
from ..openapi import describe, openapi_document
from ..services import InvalidToken, authenticate_token, token_used

__all__ = ["bp", "invalid_query", "token_required"]

bp = Blueprint("api", __name__, url_prefix="/api")
csrf.exempt(bp)

#: Content types read as JSON Lines; anything else is read as a JSON array.
JSON_LINES = ("application/x-ndjson", "application/jsonl", "application/json-lines", "application/x-jsonlines")

#: The default cap on a ``POST /api/evaluate`` body: 100,000 records are ~24 MB and
#: take ~10 s to evaluate (README, Performance); 4 MiB is ~16,000, a second or two.
DEFAULT_MAX_BYTES = 4 * 1024 * 1024


def max_body_bytes() -> int:
    """The cap on an evaluation request's body: ``API_MAX_CONTENT_LENGTH``, else
    ``$STDPOLICY_API_MAX_BYTES``, else ``DEFAULT_MAX_BYTES``."""
    configured = current_app.config.get("API_MAX_CONTENT_LENGTH")
    if configured is None:
        configured = os.environ.get("STDPOLICY_API_MAX_BYTES") or DEFAULT_MAX_BYTES
    return int(configured)


def _too_large(limit: int, size: int | None):
    try:
        page = url_for("imports.upload", _external=True)
    except Exception:  # the admin's import page is not mounted
        page = "/import"
    given = f"the body is {size:,} bytes" if size is not None else "the body is larger"
    message = (f"{given}; /api/evaluate takes at most {limit:,} bytes, what one synchronous evaluation should take. "
               f"Import larger files with `stdpolicy import FILE` or on the admin's Import page ({page}).")
    response = jsonify(error="payload_too_large", message=message, limit=limit, import_page=page)
    response.headers["Connection"] = "close"  # the body is left unread
    return response, 413


def _error(status: int, error: str, message: str, **headers: str):
    return jsonify(error=error, message=message), status, headers


def _unauthorized(message: str):
    return _error(401, "unauthorized", message, **{"WWW-Authenticate": 'Bearer realm="stdpolicy"'})


def token_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Accept the request only with a valid token; ``g.api_token`` is its row."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        try:
            row = authenticate_token(value if scheme.lower() == "bearer" else None)
        except InvalidToken as exc:
            return _unauthorized(exc.message)
        g.api_token = row
        response = view(*args, **kwargs)
        token_used(row)
        return response

    return wrapped


def invalid_query(exc: ValidationError) -> tuple[Any, int]:
    """``400`` for a query string its schema refused: ``message`` and ``fields`` name each field."""
    messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
    response = jsonify(error="bad_request", message="; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in messages.items()),
                       fields=messages)
    return response, 400


def _records(body: bytes) -> list[Any]:
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("the body is not UTF-8 text (it must be UTF-8 JSON)") from None
    if not text.strip():
        raise InputError("the body is empty; send a JSON array of activity records")
    lines = request.mimetype in JSON_LINES
    return parse_records(text, "request.jsonl" if lines else "request.json", get_registry())


@bp.route("/evaluate", methods=["POST"])
@describe("Evaluate activity records (nothing is stored)", EvaluationSchema, body=ActivityRecordSchema(many=True),
          body_types=("application/json", *JSON_LINES), errors=(400, 401, 413, 503),
          description="What `stdpolicy evaluate --department <the token's department>` prints, byte for byte. "
                      "The body: a JSON array of activity records, or JSON Lines. Invalid records are reported "
                      "in the document (200), each with its field errors.")
@token_required
def evaluate():
    registry = get_registry()
    limit = max_body_bytes()
    if request.content_length is not None and request.content_length > limit:
        return _too_large(limit, request.content_length)
    # A body without Content-Length (chunked) is read up to one byte past the cap.
    request.max_content_length = limit + 1
    try:
        body = request.get_data(cache=False)
    except RequestEntityTooLarge:
        return _too_large(limit, None)
    if len(body) > limit:
        return _too_large(limit, None)
    try:
        records = _records(body)
    except InputError as exc:
        return _error(400, "bad_request", str(exc))
    evaluation = evaluate_records(registry, records, department=g.api_token.department)
    # Written by the command's own writer: the response is byte for byte what it prints.
    out = io.StringIO()
    evaluation.write_json(out)
    return current_app.response_class(out.getvalue(), mimetype="application/json")


@bp.route("/plugins")
@describe("The loaded plugins and whether the token's department has switched each on", PluginsSchema)
@token_required
def plugins():
    registry = get_registry()
    department = g.api_token.department
    enabled = enabled_plugins(department)
    return jsonify(
        department=department.code,
        plugins=[
            {
                "name": p.name,
                "version": p.version,
                "label": p.description.label.to_json(),
                "description": p.description.description.to_json(),
                "clauses": list(p.description.clauses),
                "source": p.source,
                "kinds": list(p.evaluates),
                "reads": list(p.reads),
                "parameters": list(p.parameters),
                "enabled": p.name in enabled,
            }
            for p in registry.plugins.values()
        ],
        failures=[
            {"name": f.name, "source": f.source, "stage": f.stage, "error": f.error, "where": f.where}
            for f in registry.failures
        ],
    )


@bp.route("/register/totals")
@describe("Totals of the register the token's department sees, per organisation, county, year or rule",
          RegisterTotalsSchema, query=RegisterTotalsQuerySchema, errors=(400, 401, 503),
          description="The filters of the admin's Activities page. Integer yuan; `held` (held for review, 待核实) "
                      "is never in `amount`.")
@token_required
def register_totals_view():
    try:
        query = RegisterTotalsQuerySchema().load(request.args)
    except ValidationError as exc:
        return invalid_query(exc)
    department = g.api_token.department
    group = query.pop("by")
    found = register_totals(get_registry(), enabled_plugins(department), RegisterFilter(**query), group)
    return jsonify(RegisterTotalsSchema().dump({
        "department": department.code,
        "group": found.group,
        "activities": found.activities,
        "amount": found.amount,
        "held": found.held,
        "lines": [{"key": line.key, "name": line.name, "activities": line.activities, "amount": line.amount,
                   "held": line.held,
                   "county": line.county.to_json() if group in ("organisation", "county") else None}
                  for line in found.lines],
    }))


@bp.route("/openapi.json")
@describe("This document: the OpenAPI description of the JSON API", None, errors=(), secured=False)
def openapi_json():
    return jsonify(openapi_document(current_app))


@bp.route("/activities/<int:activity_id>")
@describe("One stored activity with its current outcomes, each held one with its review", StoredActivitySchema,
          errors=(401, 404, 503),
          description="Only the outcomes of the plugins the token's department has enabled; 404 when none of them "
                      "evaluates the activity's kind. A held outcome (待核实) carries `held_amount`, `held_reasons` "
                      "and `review` (the decision in effect, or null while pending); `payable` adds the held amount "
                      "of an approved one to `amount`.")
@token_required
def activity(activity_id: int):
    found = activity_detail(get_registry(), enabled_plugins(g.api_token.department), activity_id)
    if found is None:
        return _error(404, "not_found", f"no activity {activity_id} that this department sees")
    decisions = effective_decisions(found.current)
    outcomes = []
    for o in found.current:
        item: dict[str, Any] = {
            "id": o.id, "plugin": o.plugin, "plugin_version": o.plugin_version, "rule": o.rule, "amount": o.amount,
            "status": o.status, "clause": o.clause, "explanation": {"zh": o.explanation_zh, "en": o.explanation_en},
            "computed_at": o.computed_at,
        }
        payable = o.amount
        if o.status == "held":
            decision = decisions.get(o.id)
            item["held_amount"] = held_amount_of(o)
            item["held_reasons"] = list((o.details or {}).get("held_reasons") or [])
            item["review"] = None if decision is None else {
                "decision": decision.decision, "note": decision.note, "decided_by": decision.decided_by,
                "decided_at": decision.decided_at}
            if decision is not None and decision.decision == "approved":
                payable = item["held_amount"]
        item["payable"] = payable
        outcomes.append(item)
    record = found.record
    return jsonify(StoredActivitySchema().dump({
        "id": record.id, "ref": record.ref, "external_id": record.external_id, "kind": record.kind, "date": record.date,
        "credit_code": found.organisation.credit_code, "organisation": found.organisation.name,
        "fields_": record.fields, "amount": sum(o["amount"] for o in outcomes),
        "payable": sum(o["payable"] for o in outcomes), "outcomes": outcomes,
    }))
