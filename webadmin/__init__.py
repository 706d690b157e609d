"""The stdpolicy admin: a thin Flask application around core and the plugins.

It configures and shows the library; every rule stays in ``core`` and
``plugins``. ``create_app()`` is the application factory; ``stdpolicy run``
serves it, and gunicorn serves ``webadmin:create_app()`` in production.

``create_app`` and ``csrf`` live in ``webadmin.factory`` and are imported
on first use (PEP 562): the ``stdpolicy`` console script (``webadmin.cli``)
is part of this package, and ``stdpolicy evaluate`` must not pay for the
admin's extensions, views and catalogues (issue #13).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .factory import create_app, csrf

__all__ = ["create_app", "csrf"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from . import factory

        return getattr(factory, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
