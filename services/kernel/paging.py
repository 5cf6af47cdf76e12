"""One paging shape for every list: `{items, next_cursor}`, asked for with `limit` and `cursor`.

`limit` is 1 to 100 (50 when not given). `next_cursor` is null on the last page; otherwise it is passed
back as `cursor`, with the same filters, for the page after. A cursor is opaque text: inside it are the
place after the page's last item and a fingerprint of the list it came from (the route, its path
parameters and every query parameter but `limit` and `cursor`), so a cursor used on another list or with
other filters is refused (400 `invalid-cursor`) rather than paging through something else.

Most lists keep their place as the number of items already shown. The offerings listing and the
completions feed, which grow while a client pages through them, keep the last item's sort key instead
(see `catalog.search` and `enrollment.completions`); a client cannot tell, and need not. See
docs/adr/0006-one-paging-shape.md.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query, Request
from pydantic import BaseModel, Field

from services.kernel import cursors

T = TypeVar("T")
P = TypeVar("P", bound="Page[Any]")

MAX_LIMIT = 100
DEFAULT_LIMIT = 50
# Further than anyone pages; a cursor saying more was not made here (and would overflow SQL's OFFSET).
_MAX_OFFSET = 10_000_000
# Query parameters that move through a list rather than choose it.
_PAGING_PARAMETERS = frozenset({"limit", "cursor"})


class Page(BaseModel, Generic[T]):
    """A page of a list. Every list operation answers a subclass named after what it lists."""

    items: list[T]
    next_cursor: str | None = Field(
        description="Pass as `cursor` (with the same filters) for the next page; null on the last page."
    )


@dataclass(frozen=True)
class PageRequest:
    """Where a page starts and how long it is, from the request's `limit` and `cursor`."""

    limit: int
    offset: int
    fingerprint: str

    @property
    def fetch(self) -> int:
        """How many rows to read: one more than the page, to learn whether another page follows."""
        return self.limit + 1

    def page(self, model: type[P], rows: Sequence[Any]) -> P:
        """The page of `rows` read from `offset` with `fetch` as their limit."""
        more = len(rows) > self.limit
        following = self._cursor(self.offset + self.limit) if more else None
        return model(items=list(rows[: self.limit]), next_cursor=following)

    def window(self, rows: Sequence[T]) -> Sequence[T]:
        """What to read of a whole list already in memory (lists short by nature) for `page`."""
        return rows[self.offset : self.offset + self.fetch]

    def slice(self, model: type[P], rows: Sequence[Any]) -> P:
        """The page of a whole list already in memory."""
        return self.page(model, self.window(rows))

    def _cursor(self, offset: int) -> str:
        return cursors.encode(json.dumps({"o": offset, "f": self.fingerprint}, separators=(",", ":")))


def _fingerprint(request: Request) -> str:
    route = request.scope.get("route")
    chosen = sorted((k, v) for k, v in request.query_params.multi_items() if k not in _PAGING_PARAMETERS)
    listed = {
        "r": getattr(route, "path", request.url.path),
        "p": sorted((k, str(v)) for k, v in request.path_params.items()),
        "q": chosen,
    }
    return hashlib.sha256(json.dumps(listed, separators=(",", ":")).encode()).hexdigest()[:16]


def _offset(cursor: str, fingerprint: str) -> int:
    try:
        data = json.loads(cursors.decode(cursor))
        offset, belongs = data["o"], data["f"]
    except (ValueError, KeyError, TypeError) as exc:
        raise cursors.InvalidCursor("The cursor is malformed; use next_cursor from a previous page.") from exc
    if belongs != fingerprint:
        raise cursors.InvalidCursor(
            "This cursor belongs to another list or other filters; start again without a cursor."
        )
    if not isinstance(offset, int) or isinstance(offset, bool) or not 0 <= offset <= _MAX_OFFSET:
        raise cursors.InvalidCursor("The cursor is malformed; use next_cursor from a previous page.")
    return offset


PageLimit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"Items per page (1 to {MAX_LIMIT}).")]


def page_request(
    request: Request,
    limit: PageLimit = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None,
        Query(max_length=500, description="`next_cursor` of the previous page; leave out for the first."),
    ] = None,
) -> PageRequest:
    fingerprint = _fingerprint(request)
    # An empty cursor is no cursor (`cursor=` from a client template), as on the offerings search.
    offset = _offset(cursor, fingerprint) if cursor else 0
    return PageRequest(limit=limit, offset=offset, fingerprint=fingerprint)


Paging = Annotated[PageRequest, Depends(page_request)]
