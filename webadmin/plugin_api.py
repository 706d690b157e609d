"""Mounting the JSON API endpoints plugins contribute (``stdpolicy_register_api_endpoints``).

Each ``ApiEndpoint`` of plugin *p* answers ``GET /api/p/<p>/<path>`` with the
existing API's department token (``views/api.py``: 401 without a valid one)
and its scoping: a token whose department has not enabled *p* gets 404, as
a user does on the plugin's admin pages. The query string is loaded by the
endpoint's marshmallow schema (400 naming the field, the view not called);
the view's result is dumped by the response schema and sent as JSON. Each
route carries its ``describe`` line, so ``/api/openapi.json`` lists it and
tests/test_openapi.py sees no undescribed route.

One blueprint per plugin (``plugin_api_<plugin>``), so ``core.current_plugin()``
names the plugin inside its views as it does on its pages.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, g, jsonify, request
from marshmallow import Schema, ValidationError

from core.declarations import ApiEndpoint
from core.store import enabled_plugins

from . import csrf
from .openapi import describe
from .views.api import invalid_query, token_required

__all__ = ["PREFIX", "init_app"]

PREFIX = "/api/p"


def _schema(schema: type[Schema] | Schema) -> Schema:
    return schema() if isinstance(schema, type) else schema


def _view(plugin: str, endpoint: ApiEndpoint) -> Callable[[], Any]:
    def answer() -> Any:
        department = g.api_token.department
        if plugin not in enabled_plugins(department):
            return jsonify(error="not_found",
                           message=f"the department {department.code} has not enabled the plugin {plugin}"), 404
        query: dict[str, Any] = {}
        if endpoint.query_schema is not None:
            try:
                query = endpoint.query_schema().load(request.args)
            except ValidationError as exc:
                return invalid_query(exc)
        g.department = department  # core.current_department() inside the view: the token's department
        return jsonify(_schema(endpoint.response_schema).dump(endpoint.view(**query)))

    answer.__name__ = f"{plugin}_{endpoint.path.replace('/', '_').replace('-', '_')}"
    summary = f"{endpoint.summary.en} ({endpoint.summary.zh}) — plugin {plugin}"
    description = endpoint.description
    return describe(summary, endpoint.response_schema, query=endpoint.query_schema,
                    errors=(400, 401, 404, 503) if endpoint.query_schema is not None else (401, 404, 503),
                    description=f"{description.en}\n\n{description.zh}" if description else "",
                    tag=plugin)(token_required(answer))


def init_app(app: Flask) -> None:
    registry = app.extensions["stdpolicy"]
    owners: dict[str, str] = {}
    for plugin, endpoints in registry.api_endpoints().items():
        name = f"plugin_api_{plugin}"
        bp = Blueprint(name, __name__)
        for endpoint in endpoints:
            view = _view(plugin, endpoint)
            bp.add_url_rule(f"/{endpoint.path}", endpoint=view.__name__, view_func=view, methods=["GET"])
        csrf.exempt(bp)
        app.register_blueprint(bp, url_prefix=f"{PREFIX}/{plugin}")
        owners[name] = plugin
    # Blueprint name → plugin: core.current_plugin() reads it (core/pages.py).
    app.extensions["stdpolicy.api_owners"] = owners
