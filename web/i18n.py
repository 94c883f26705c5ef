"""Languages: Chinese first, English selectable; catalogs read from .po files at start-up.

Every area keeps its own catalog (``web/**/translations/<locale>/LC_MESSAGES/*.po``) and
they are merged in memory, so no compiled ``.mo`` files live in the repository and a
translation edited in a ``.po`` file is what the next start shows.
"""
from __future__ import annotations

import io
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from flask import Blueprint, Flask, redirect, request, session
from flask_babel import Babel, Domain, get_locale
from werkzeug.wrappers import Response

from engine.errors import Text, WhistleError, render
from web.boundary import local_target

LOCALES = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"
WEB = Path(__file__).resolve().parent


def catalog_files(locale: str) -> list[Path]:
    """Every .po file of a locale, from all areas of the web package."""
    return sorted(WEB.glob(f"**/translations/{locale}/LC_MESSAGES/*.po"))


def load_catalog(locale: str) -> Catalog:
    """All .po files of ``locale`` merged into one catalog (later files win on duplicates)."""
    merged = Catalog(locale=locale)
    for path in catalog_files(locale):
        with path.open("rb") as handle:
            for message in read_po(handle, locale=locale):
                if message.id and message.string and not message.fuzzy:
                    merged[message.id] = message
    return merged


class _PoDomain(Domain):
    """A Flask-Babel domain whose translations come from the .po files, built once per locale."""

    def __init__(self) -> None:
        super().__init__(domain="messages")
        self._built: dict[str, Translations | NullTranslations] = {}
        self._lock = threading.Lock()

    def get_translations(self) -> Translations | NullTranslations:
        locale = current_lang()
        found = self._built.get(locale)
        if found is None:
            with self._lock:
                found = self._built.get(locale) or self._build(locale)
                self._built[locale] = found
        return found

    @staticmethod
    def _build(locale: str) -> Translations | NullTranslations:
        if locale == "en":
            return NullTranslations()  # message ids are English
        buffer = io.BytesIO()
        write_mo(buffer, load_catalog(locale))
        buffer.seek(0)
        return Translations(fp=buffer)


class _Babel(Babel):
    """Flask-Babel with the .po-backed domain."""

    @property
    def domain_instance(self) -> Domain:  # type: ignore[override]
        instance = getattr(self, "_po_domain", None)
        if instance is None:
            instance = self._po_domain = _PoDomain()
        return instance


def select_locale() -> str:
    """Pages: the user's choice, else Chinese. API: Accept-Language, else English."""
    if request.path.startswith("/api/"):
        best = request.accept_languages.best_match(["zh-CN", "zh", "en"])
        return "zh_CN" if best in ("zh-CN", "zh") else "en"
    chosen = session.get("lang")
    return chosen if chosen in LOCALES else DEFAULT_LOCALE


def current_lang() -> str:
    """The language of this request as one of :data:`LOCALES`."""
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else DEFAULT_LOCALE


def translate(template: str, params: Mapping[str, Any] | None = None) -> str:
    """Translate an engine message template, then fill in its ``{params}``."""
    from flask_babel import get_translations

    filled = {key: translate(value.template, value.params) if isinstance(value, Text) else value
              for key, value in (params or {}).items()}
    return render(get_translations().ugettext(template), filled)


def refusal_text(error: WhistleError) -> str:
    """What a refused action says to the user: each field's problem, or the error's own message."""
    fields = getattr(error, "errors", None) or []
    return "；".join(translate(e.template, e.params) for e in fields) or translate(error.template, error.params)


def init_app(app: Flask) -> None:
    """Set up Flask-Babel, the ``tr`` template helper and the language switch."""
    _Babel(app, default_locale=DEFAULT_LOCALE, default_timezone="Asia/Shanghai", locale_selector=select_locale)
    app.jinja_env.globals.update(tr=translate, LOCALES=LOCALES, current_lang=current_lang)
    app.register_blueprint(_language_blueprint())


def _language_blueprint() -> Blueprint:
    bp = Blueprint("lang", __name__)

    @bp.get("/lang/<code>")
    def switch(code: str) -> Response:
        if code in LOCALES:
            session["lang"] = code
        return redirect(local_target(request.args.get("next"), "/"))  # only back into this site

    return bp
