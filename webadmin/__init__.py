"""The stdpolicy admin: a thin Flask application around core and the plugins."""

from __future__ import annotations

from typing import Any

from flask import Flask

from core.app import init_app, instance_path
from core.registry import Registry

__all__ = ["create_app"]


def create_app(config: dict[str, Any] | None = None, registry: Registry | None = None) -> Flask:
    """The admin application."""
    app = Flask(__name__, instance_path=instance_path(), instance_relative_config=True)
    if config:
        app.config.update(config)
    init_app(app, registry)
    return app
