"""One entity: its names, how often the store mentions it day by day, its own timeline (the
articles naming it) and what it said."""

from __future__ import annotations

from collections import Counter
from typing import Any

from nienbieu import entities, export, pipeline
from nienbieu import timeline as timelines
from nienbieu.scope import EmptyScope, Scope, ids_in
from nienbieu.store import Store
from nienbieu.web import urls

CHART_DAYS = 60  # most recent days drawn; older mentions still count in the totals
# A common name ("Hà Nội") is in thousands of articles: the page is built from the latest of them.
ARTICLES = 200


def data(store: Store, name: str, dates: int = 10, sentences: int = 2) -> dict[str, Any]:
    scope = Scope(entity=name)
    naming = ids_in(store, scope) or set()
    if not naming:
        raise EmptyScope(scope)
    latest = sorted(store.published_of(naming).items(), key=lambda kv: (kv[1] or "", kv[0]))[-ARTICLES:]
    articles = store.articles(canonical_only=True, ids=[a for a, _ in latest])
    found = pipeline.link_articles(store, articles)
    rows = export.entity_rows(found)
    same = entities.name_test(name)
    entity = next((r for r in rows if same(r["name"]) or any(same(a) for a in r["aliases"])), None)
    canonical = entity["name"] if entity else name
    per_day: Counter[str] = Counter()
    for a in articles:
        day = a.published.date().isoformat() if a.published else None
        if day:
            per_day[day] += sum((m.canonical or m.text) == canonical for s in a.sentences for m in s.mentions)
    entries = timelines.build(articles, dates=dates, sentences=sentences)
    quotes = export.quote_rows(pipeline.corpus_quotes(articles, canonical))
    return {
        "name": canonical,
        "entity": entity,
        "mentions_by_day": [{"day": d, "mentions": n} for d, n in sorted(per_day.items())[-CHART_DAYS:] if n],
        **export.timeline_data(entries),
        "quotes": [q for q in quotes if q["speaker"] == canonical],
        "articles": len(naming),
        "articles_read": len(articles),
        "scope": urls.scope_params(scope),
    }
