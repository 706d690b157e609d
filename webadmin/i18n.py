"""Languages: Chinese (zh_CN) first, English second, through Flask-Babel.

The language is chosen with ``?lang=en`` / ``?lang=zh_CN`` (kept in the
session and on the user), else the user's saved choice, else Chinese.
Bilingual data from plugins (labels, explanations) is picked with ``pick``.

The catalogue is ``translations/zh_CN/LC_MESSAGES/messages.mo`` (see
docs/translations.md). Babel reads ``zh_CN`` as ``zh_Hans_CN`` (script added),
and gettext would then look only in ``zh_Hans_CN`` and ``zh``; ``_Domain``
looks in ``<language>_<territory>`` first, so ``zh_CN`` is found.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from flask import Flask, current_app, g, request, session
from markupsafe import Markup, escape
from babel import Locale, support
from flask_babel import Babel, Domain, format_datetime, get_locale, get_translations
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.utils import cached_property

from core import clock
from core.declarations import ParameterDeclaration
from core.parameters import decode_value
from core.text import Text, format_yuan_en, format_yuan_zh

__all__ = ["LANGUAGES", "init_app", "is_chinese", "money", "money_figure", "parameter_value", "pick", "show_value"]

LANGUAGES = {"zh_CN": "中文", "en": "English"}
DEFAULT = "zh_CN"


def select_locale() -> str:
    wanted = request.args.get("lang")
    if wanted in LANGUAGES:
        session["lang"] = wanted
        return wanted
    if session.get("lang") in LANGUAGES:
        return session["lang"]
    try:
        if current_user and current_user.is_authenticated and current_user.language in LANGUAGES:
            return current_user.language
    except SQLAlchemyError:  # the database is down: the error page still needs a language
        pass
    return DEFAULT


def _locale() -> Locale | None:
    """``get_locale()``, read where Flask-Babel keeps it once chosen for the request.

    ``get_locale`` reaches it through three context-local look-ups, and a
    page asks a few hundred times (every ``pick``, ``money``, ``_()``).
    Flask-Babel's ``refresh()`` deletes the attribute: it is chosen again.
    """
    try:
        return g._flask_babel.babel_locale
    except (AttributeError, RuntimeError):  # not chosen yet, refreshed, or outside a request
        return get_locale()


def _translations() -> support.NullTranslations:
    """``get_translations()`` of the request's locale, kept beside the locale for the request (templates' ``_()``)."""
    try:
        kept = g._flask_babel.stdpolicy_translations
        if kept[0] is g._flask_babel.babel_locale:
            return kept[1]
    except (AttributeError, RuntimeError):
        pass
    translations = get_translations()
    try:
        g._flask_babel.stdpolicy_translations = (g._flask_babel.babel_locale, translations)
    except (AttributeError, RuntimeError):  # outside a request: nothing to keep it on
        pass
    return translations


def is_chinese() -> bool:
    locale = _locale()
    return locale is None or locale.language == "zh"


def pick(text: Any, zh: str | None = None, en: str | None = None) -> str:
    """The current language's half of a ``Text``, a ``{"zh", "en"}`` dict, or a zh/en pair."""
    if isinstance(text, Text):
        return text.zh if is_chinese() else text.en
    if isinstance(text, dict):
        return text.get("zh" if is_chinese() else "en") or text.get("en") or text.get("zh") or ""
    if zh is not None or en is not None:
        return (zh if is_chinese() else en) or ""
    return "" if text is None else str(text)


def _money_parts(amount: int | Decimal | None) -> tuple[str, str | None]:
    """The amount as written (``¥1,000,000``) and, in Chinese, its 万元 gloss (``100万元``) where it reads whole."""
    if amount is None:
        return "—", None
    if is_chinese() and amount and amount % 100 == 0 and abs(amount) >= 10000:
        return format_yuan_en(amount), format_yuan_zh(amount)
    return format_yuan_en(amount), None


def money(amount: int | Decimal | None) -> str:
    """``¥1,000,000`` in English; ``¥1,000,000(100万元)`` in Chinese."""
    shown, gloss = _money_parts(amount)
    return shown if gloss is None else f"{shown}({gloss})"


def money_figure(amount: int | Decimal | None) -> Markup:
    """``money`` for a figure card: the line may break before the ``(100万元)`` gloss (``<wbr>``).

    The whole of ``¥2,550,000(255万元)`` in a figure's large type is wider
    than a card on a 375-pixel screen and offers no break: it pushed the page
    sideways.
    """
    shown, gloss = _money_parts(amount)
    return escape(shown) if gloss is None else escape(shown) + Markup("<wbr>(") + gloss + ")"


def show_value(decl: ParameterDeclaration, value: Any) -> str:
    """A parameter value as shown to users, in the UI language: as its type formats it
    (``core.paramtypes``: money as money, yes/no, a choice by its label, lists joined …)."""
    return decl.format(value, "zh" if is_chinese() else "en")


def parameter_value(key: str, value: Any, *, stored: bool = False) -> str:
    """``show_value`` by parameter key; ``stored=True`` for the database's JSON text."""
    decl = current_app.extensions["stdpolicy"].parameters.get(key)
    if decl is None:  # a plugin no longer installed
        return str(value)
    return show_value(decl, decode_value(decl, value) if stored else value)


def when(value: datetime | date | None) -> str:
    """A stored UTC time in the city's time zone (``core.clock``), as ``2024-01-02 08:30``."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return format_datetime(value.replace(tzinfo=UTC), "yyyy-MM-dd HH:mm")
    return value.isoformat()


def catalogue_names(locale: Locale) -> list[str]:
    """Catalogue folders to try for ``locale``, best first: ``zh_CN``, then ``zh_Hans_CN`` (and ``zh``)."""
    names = [str(locale)]
    if locale.territory:
        names.insert(0, f"{locale.language}_{locale.territory}")
    return names


class _Domain(Domain):
    """Flask-Babel's domain, but finding ``zh_CN`` catalogues (see the module docstring)."""

    def get_translations(self) -> support.NullTranslations:
        locale = get_locale()
        if locale is None:  # outside a request or application context
            return support.NullTranslations()
        key = (str(locale), self.domain[0])
        translations = self.cache.get(key)
        if translations is None:
            translations = support.Translations()
            for index, dirname in enumerate(self.translation_directories):
                domain = self.domain[0] if len(self.domain) == 1 else self.domain[index]
                catalog = support.Translations.load(dirname, catalogue_names(locale), domain)
                translations.merge(catalog)
                if hasattr(catalog, "plural"):  # merge() does not copy it (as in Flask-Babel)
                    translations.plural = catalog.plural
            self.cache[key] = translations
        return translations


class _Babel(Babel):
    @cached_property
    def domain_instance(self) -> Domain:
        return _Domain(domain=self.domain)


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT)
    clock.zone()  # a bad STDPOLICY_TIMEZONE stops the start with a clear message
    # Displayed times follow core.clock (STDPOLICY_TIMEZONE, Beijing time by default), as "today" does.
    _Babel(app, locale_selector=select_locale, timezone_selector=clock.zone_name)
    # Flask-Babel's template callables, with the request's translations found once (``_translations``).
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["money_figure"] = money_figure
    app.jinja_env.filters["pick"] = pick
    app.jinja_env.filters["when"] = when
    app.jinja_env.globals["pick"] = pick
    app.jinja_env.globals["parameter_value"] = parameter_value
    app.jinja_env.globals["LANGUAGES"] = LANGUAGES
    app.jinja_env.globals["is_chinese"] = is_chinese
