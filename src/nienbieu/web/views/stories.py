"""The store's stories, biggest and most recent first, filtered by date, outlet and entity."""

from __future__ import annotations

from datetime import date
from typing import Any

from nienbieu import api
from nienbieu.scope import Scope, ids_in
from nienbieu.store import Store


def data(
    store: Store,
    start: date | None = None,
    end: date | None = None,
    outlet: str | None = None,
    entity: str | None = None,
    min_articles: int = 1,
    offset: int = 0,
    limit: int = 50,
) -> dict[str, Any]:
    rows = api.stories(store, start, end, min_articles)
    if outlet:
        wanted = outlet.casefold()
        rows = [r for r in rows if any(wanted in o.casefold() for o in r["outlets"])]
    if entity:
        naming = ids_in(store, Scope(entity=entity)) or set()
        told = store.stories_of(naming)
        rows = [r for r in rows if r["id"] in told]
    filters = {"from": start and start.isoformat(), "to": end and end.isoformat(), "outlet": outlet,
               "entity": entity, "min_articles": min_articles}  # fmt: skip
    page = rows[offset : offset + limit]  # a store of thousands of stories is read a page at a time
    return {"stories": page, "total": len(rows), "offset": offset, "limit": limit,
            "more": offset + limit < len(rows), "filters": filters, "articles": store.count()}  # fmt: skip
