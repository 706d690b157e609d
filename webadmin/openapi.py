"""The OpenAPI document of the JSON API, generated with apispec from the marshmallow schemas (``GET /api/openapi.json``).

Describing an endpoint is one line on its view::

    @bp.route("/register/totals")
    @describe("Totals of the register", RegisterTotalsSchema, query=RegisterTotalsQuerySchema)
    @token_required
    def register_totals(): ...

``openapi_document`` walks the application's URL map: every rule under
``/api/`` whose view carries a description becomes a path, its methods the
operations. ``undocumented_routes`` lists the rules that carry none (a test
fails on any), so a new endpoint cannot ship undescribed — a plugin's
blueprint under ``/api/`` included. The security scheme is the department
token of ``webadmin/views/api.py`` (``Authorization: Bearer <token>``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask
from marshmallow import Schema

from core.version import __version__

from .api_schemas import ErrorSchema

__all__ = ["API_PREFIX", "Description", "describe", "openapi_document", "undocumented_routes"]

API_PREFIX = "/api/"
SECURITY_SCHEME = "departmentToken"
_IGNORED_METHODS = {"HEAD", "OPTIONS"}
_ERRORS = {
    400: "The request is malformed: the message (and ``fields``) say what to change.",
    401: "No token, an unknown one or a revoked one.",
    404: "Nothing the token's department sees is there.",
    405: "The path does not take this method.",
    413: "The body is larger than the endpoint takes.",
    503: "The database cannot be reached or is busy; try again.",
}

F = TypeVar("F", bound=Callable[..., Any])
SchemaLike = type[Schema] | Schema


@dataclass(frozen=True)
class Description:
    """What the document says about one view (every method it answers)."""

    summary: str
    response: SchemaLike | None
    description: str = ""
    query: type[Schema] | None = None
    body: SchemaLike | None = None
    body_types: tuple[str, ...] = ("application/json",)
    errors: tuple[int, ...] = (401, 503)
    secured: bool = True
    tag: str = "stdpolicy"
    response_type: str = "application/json"

    def operation(self) -> dict[str, Any]:
        found: dict[str, Any] = {"summary": self.summary, "tags": [self.tag]}
        if self.description:
            found["description"] = self.description
        if self.query is not None:
            found["parameters"] = [{"in": "query", "schema": self.query}]
        if self.body is not None:
            found["requestBody"] = {"required": True,
                                    "content": {kind: {"schema": self.body} for kind in self.body_types}}
        ok: dict[str, Any] = {"description": "OK"}
        if self.response is not None:
            ok["content"] = {self.response_type: {"schema": self.response}}
        responses: dict[str, Any] = {"200": ok}
        for status in self.errors:
            responses[str(status)] = {"description": _ERRORS[status],
                                      "content": {"application/json": {"schema": ErrorSchema}}}
        found["responses"] = responses
        found["security"] = [{SECURITY_SCHEME: []}] if self.secured else []
        return found


def describe(summary: str, response: SchemaLike | None = None, **options: Any) -> Callable[[F], F]:
    """Describe a view of the JSON API in the OpenAPI document (the options are ``Description``'s)."""
    description = Description(summary, response, **options)

    def mark(view: F) -> F:
        view.__openapi__ = description  # type: ignore[attr-defined]
        return view

    return mark


def _api_rules(app: Flask) -> list[Any]:
    return sorted((rule for rule in app.url_map.iter_rules() if rule.rule.startswith(API_PREFIX)),
                  key=lambda rule: rule.rule)


def _description(app: Flask, endpoint: str) -> Description | None:
    return getattr(app.view_functions.get(endpoint), "__openapi__", None)


def undocumented_routes(app: Flask) -> list[str]:
    """The rules under ``/api/`` whose view carries no description (``describe``)."""
    return [rule.rule for rule in _api_rules(app) if _description(app, rule.endpoint) is None]


_CONVERTER = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def openapi_document(app: Flask) -> dict[str, Any]:
    """The OpenAPI 3.0 document of every described route under ``/api/``, as a dict."""
    spec = APISpec(
        title="stdpolicy JSON API",
        version=__version__,
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={"description": (
            "Jiaxing's 2022 standardisation policy as rules that run: evaluate activity records and read the "
            "register, for department systems. Amounts are integer yuan. Every call carries a department's API "
            "token (`stdpolicy tokens create`, or the admin's API tokens page) and sees what that department sees."
        )},
    )
    spec.components.security_scheme(SECURITY_SCHEME, {
        "type": "http", "scheme": "bearer",
        "description": "A department's API token: `Authorization: Bearer <token>`.",
    })
    spec.components.schema("Error", schema=ErrorSchema)
    for rule in _api_rules(app):
        description = _description(app, rule.endpoint)
        if description is None:
            continue
        methods = sorted(set(rule.methods or ()) - _IGNORED_METHODS)
        path = _CONVERTER.sub(r"{\1}", rule.rule)
        parameters = [{"in": "path", "name": name, "required": True, "schema": {"type": "string"}}
                      for name in rule.arguments]
        operations = {method.lower(): description.operation() for method in methods}
        spec.path(path=path, operations=operations, parameters=parameters or None)
    return spec.to_dict()
