"""Search with the CLI's filters: highlighted snippets, pages of hits."""

from __future__ import annotations

from typing import Any

from nienbieu import api, search
from nienbieu.store import Store
from nienbieu.web.views import segments


def data(
    store: Store, query: str, filters: search.Filters, offset: int = 0, limit: int = 20
) -> dict[str, Any]:
    rows = api.search_hits(store, query, filters, offset + limit + 1) if query.strip() else []
    page = rows[offset : offset + limit]
    for row in page:
        marked = [(s, e, {"mark": "1"}) for s, e in row["highlights"]]
        row["pieces"] = segments(row["text"], marked)
    shown = {
        "from": filters.start and filters.start.isoformat(),
        "to": filters.end and filters.end.isoformat(),
        "entity": filters.entity,
        "outlet": filters.outlet,
    }
    return {
        "query": query,
        "filters": shown,
        "hits": page,
        "offset": offset,
        "limit": limit,
        "more": len(rows) > offset + limit,
    }
