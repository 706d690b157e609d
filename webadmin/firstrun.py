"""What ``stdpolicy init`` does for the admin: a secret key and a first administrator.

The first city administrator's password comes from
``STDPOLICY_ADMIN_PASSWORD``; failing that a random one is generated and
printed once, as a one-time password: the administrator chooses their own at
the first login before anything else. ``init`` never asks for input. The user is created as every
other is (``webadmin.services.create_user``): a weak password or a bad name
is refused, with nothing stored.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import click
from flask import Flask
from sqlalchemy import select

from core.db import db
from core.store import find_department

from .models import User
from .security import ensure_secret_key_file, new_password
from .services import ServiceError, create_user

__all__ = ["FIRST_ADMIN", "first_run"]

FIRST_ADMIN = "admin"


def first_run(app: Flask, echo: Callable[[str], None]) -> None:
    if not os.environ.get("STDPOLICY_SECRET_KEY"):
        path, created = ensure_secret_key_file(app)
        echo(f"secret key {'written to' if created else 'kept in'} {path} (mode 0600)")
    if db.session.scalar(select(User.id).filter_by(role="city_admin").limit(1)) is not None:
        return
    name = os.environ.get("STDPOLICY_ADMIN_USER", FIRST_ADMIN)
    password = os.environ.get("STDPOLICY_ADMIN_PASSWORD")
    generated = not password
    if generated:
        password = new_password()
    assert password is not None
    try:
        # A generated password is printed: it is a one-time password, changed at the first login.
        create_user(name, role="city_admin", department=find_department("market_regulation"), password=password,
                    actor="stdpolicy init", must_change_password=generated)
    except ServiceError as exc:
        raise click.ClickException(f"the first city administrator was not created: {exc.message}") from None
    if generated:
        echo(f"created city administrator {name!r} with password: {password}")
        echo("  (shown once, and to be changed at the first login; set STDPOLICY_ADMIN_PASSWORD before "
             "`stdpolicy init` to choose it)")
    else:
        echo(f"created city administrator {name!r} with the password from STDPOLICY_ADMIN_PASSWORD")
