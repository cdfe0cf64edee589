"""The library call behind each command, as the CLI's `--json` and the web API both give it.

Each function takes an open store (and the command's scope and options) and returns the
JSON-ready value `nienbieu COMMAND --json` prints; the web app's `/api/…` routes return the very
same value, so the two cannot drift. The shapes themselves are built in `export` (`*_rows`,
`timeline_data`, `brief_data`): one place for field names.

Timelines and briefings tell one story: `choose` turns an empty scope on a store of several
stories into the biggest story, and says which others there are (the CLI prints them on stderr,
the web page above the timeline).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from nienbieu import export, pipeline, search, summarize
from nienbieu import timeline as timelines
from nienbieu.models import Briefing, StoryRow, TimelineEntry
from nienbieu.scope import Scope, articles_in, one_story
from nienbieu.store import Store

Json = dict[str, Any]
Rows = list[dict[str, Any]]


def choose(store: Store, scope: Scope) -> tuple[Scope, list[StoryRow]]:
    """The scope a timeline or briefing is made of, and the stories it leaves out (empty when
    the scope was given or the store holds one story at most): `scope.one_story`."""
    return one_story(store, scope)


def timeline_entries(store: Store, scope: Scope, dates: int = 10, sentences: int = 2) -> list[TimelineEntry]:
    """The timeline of the articles in `scope` (with --from/--to, only dates within them)."""
    articles, _ = pipeline.corpus_entities(store, scope)
    return timelines.build(articles, dates=dates, sentences=sentences, start=scope.start, end=scope.end)


def timeline(store: Store, scope: Scope, dates: int = 10, sentences: int = 2) -> Json:
    """`nienbieu timeline -f json`."""
    return export.timeline_data(timeline_entries(store, scope, dates, sentences))


def briefing(store: Store, scope: Scope, words: int = 150) -> Briefing:
    return summarize.brief(articles_in(store, scope), words=words)


def brief(store: Store, scope: Scope, words: int = 150) -> Json:
    """`nienbieu brief -f json`."""
    return export.brief_data(briefing(store, scope, words))


def stories(store: Store, start: date | None = None, end: date | None = None, min_articles: int = 1) -> Rows:
    """`nienbieu stories --json`."""
    return export.story_rows(pipeline.stories(store, start, end, min_articles))


def search_hits(store: Store, query: str, filters: search.Filters | None = None, limit: int = 20) -> Rows:
    """`nienbieu search QUERY --json`."""
    return search.rows_for(store.search(query, filters, limit))


def articles(store: Store) -> Rows:
    """`nienbieu articles --json`."""
    return export.article_rows(store.articles(), store.duplicates())


def entities(store: Store, scope: Scope, kind: str | None = None, top: int | None = None) -> Rows:
    """`nienbieu entities --json`."""
    _, found = pipeline.corpus_entities(store, scope)
    return export.entity_rows(found, kind, top)


def quotes(store: Store, scope: Scope, who: str | None = None) -> Rows:
    """`nienbieu quotes --json`."""
    articles_, _ = pipeline.corpus_entities(store, scope)
    return export.quote_rows(pipeline.corpus_quotes(articles_, who))
