"""Swedish first, English available.

The texts in templates and UI code are Swedish, written as ``_("Granskningskö")``. English
translations live in ``app/ui/translations/<feature>.py``, each a dict ``EN`` from the
Swedish text to the English one; every module there is merged at import. A test checks
that every text the UI uses has its translation.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from functools import cache

from starlette.requests import Request

LANGUAGES = ("sv", "en")
DEFAULT = "sv"
COOKIE = "uppsikt_lang"


@cache
def english() -> dict[str, str]:
    from app.ui import translations

    merged: dict[str, str] = {}
    for module in pkgutil.iter_modules(translations.__path__):
        table = importlib.import_module(f"{translations.__name__}.{module.name}").EN
        merged.update(table)
    return merged


def language(request: Request) -> str:
    chosen = request.cookies.get(COOKIE)
    if chosen in LANGUAGES:
        return chosen
    header = request.headers.get("accept-language", "")
    first = header.split(",")[0].strip().lower()[:2]
    return "en" if first == "en" else DEFAULT


def translator(lang: str) -> Callable[..., str]:
    table = english() if lang == "en" else {}

    def _(text: str, **values: object) -> str:
        out = table.get(text, text)
        return out.format(**values) if values else out

    return _
