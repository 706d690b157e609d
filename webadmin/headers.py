"""Security headers on every response: pages, redirects, error pages, static files.

One after-request function rather than Flask-Talisman: Talisman would also
force HTTPS and rewrite the session cookie's flags, which the admin already
configures (``STDPOLICY_COOKIE_SECURE``) and which must stay off for plain
http on localhost and in the tests.

The Content-Security-Policy allows scripts, styles, fonts and images from the
admin's own origin only — no inline ``<script>``, no ``style=`` attributes,
no event-handler attributes (the templates have none: keep it so) — and no
framing (``frame-ancestors 'none'``, with ``X-Frame-Options`` for older
browsers). Pages are not cached (``no-store``: a page seen before logout is
not shown again from the cache by the back button); static files are.
"""

from __future__ import annotations

from flask import Flask, request
from flask.wrappers import Response

__all__ = ["CONTENT_SECURITY_POLICY", "SECURITY_HEADERS", "init_app"]

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}

#: A year; sent only over HTTPS (as the request arrived, or as a trusted proxy said).
HSTS = "max-age=31536000"


def _add_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    endpoint = request.endpoint or ""
    if endpoint != "static" and not endpoint.endswith(".static"):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def init_app(app: Flask) -> None:
    app.after_request(_add_headers)
