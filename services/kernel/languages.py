"""The two languages the programme writes in, and which one a reader gets.

Texts are kept in Norwegian bokmål (`nb`), always, and in English (`en`) where a coordinator wrote them.
A read that carries texts takes the reader's `Accept-Language` (RFC 9110 §12.5.4): the first of `nb`
and `en` by the reader's weights, bokmål when the reader names neither (Nynorsk and plain Norwegian
readers read bokmål, not English). A text without an English version falls back to bokmål, field by
field, and the representation says which language its main text is in. The response carries
`Content-Language` (the language it answers in) and `Vary: Accept-Language`, both added by
`LanguageMiddleware` for every route that declared `ReaderLanguage`.

The header is parsed here rather than by a library: Starlette and FastAPI leave it to the application,
and the general-purpose locale libraries (Babel) negotiate among locale objects, not the two fixed tags
this needs.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, TypeVar

from fastapi import Depends, Header, Request
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_STATE_KEY = "content_language"
_RANGE = re.compile(r"^\s*([A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*|\*)\s*(?:;\s*q\s*=\s*([0-9.]{1,5})\s*)?$")
_MAX_RANGES = 32


class Language(StrEnum):
    """The languages texts and mails are written in."""

    nb = "nb"
    en = "en"

    @classmethod
    def of(cls, tag: str | None) -> Language:
        """A BCP 47 tag as HR sends it (`en`, `en-GB`, `nb-NO`, `nn`): English or, for anything else,
        bokmål."""
        return cls.en if tag and tag.strip().lower().split("-")[0] == "en" else cls.nb


# Norwegian in any written form is served bokmål.
_NORWEGIAN = {"nb", "no", "nn"}


def negotiate(header: str | None) -> Language:
    """The language a reader with this `Accept-Language` gets: the highest-weighted of English and
    Norwegian (bokmål on a tie, on `*` and on a header that cannot be read)."""
    best, best_weight = Language.nb, 0.0
    for position, item in enumerate((header or "").split(",")[:_MAX_RANGES]):
        match = _RANGE.match(item)
        if match is None:
            continue
        primary = match.group(1).lower().split("-")[0]
        try:
            weight = float(match.group(2)) if match.group(2) is not None else 1.0
        except ValueError:
            continue
        if not 0 < weight <= 1:
            continue
        language = Language.en if primary == "en" else Language.nb if primary in _NORWEGIAN else None
        if language is None:
            continue
        # Equal weights: the first listed wins, as a reader writing "en, nb" means.
        if weight > best_weight or (weight == best_weight and position == 0):
            best, best_weight = language, weight
    return best


def reader_language(
    request: Request,
    accept_language: Annotated[
        str | None,
        Header(
            description="`en` for English texts where they exist; bokmål (`nb`) otherwise. The response "
            "says which in `Content-Language`.",
            examples=["en"],
        ),
    ] = None,
) -> Language:
    language = negotiate(accept_language)
    request.scope.setdefault("state", {})[_STATE_KEY] = language.value
    return language


ReaderLanguage = Annotated[Language, Depends(reader_language)]


def answered_in(request: Request, language: Language) -> None:
    """The language a single resource answered in, when it is not the one asked for (no English text)."""
    request.scope.setdefault("state", {})[_STATE_KEY] = language.value


T = TypeVar("T")


def pick(language: Language, nb: T, en: T | None) -> T:
    """The English text when the reader wants English and there is one; bokmål otherwise."""
    return en if language is Language.en and en else nb


class LanguageMiddleware:
    """Adds `Content-Language` and `Vary: Accept-Language` to the answers of routes that negotiated."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_language(message: Message) -> None:
            language = scope.get("state", {}).get(_STATE_KEY)
            if message["type"] == "http.response.start" and language is not None:
                headers = MutableHeaders(scope=message)
                if message["status"] < 300 or message["status"] == 304:
                    headers["Content-Language"] = language
                vary = [v.strip() for v in headers.get("vary", "").split(",") if v.strip()]
                if "accept-language" not in {v.lower() for v in vary}:
                    headers["Vary"] = ", ".join([*vary, "Accept-Language"])
            await send(message)

        await self.app(scope, receive, send_with_language)
