"""Scopes: which stored articles a command works on (`--story`, `--query`, `--entity`, `--from`,
`--to`).

A scope is a set of filters, each selecting canonical articles (near-duplicate copies are
replaced by the canonical article of their group, as everywhere outside `search`); the
articles in scope are those every filter set selects. Each filter finds ids in SQL (the
full-text and mention indexes, the publication dates), and only the articles in scope are
loaded. Another filter is one more field, one more function in `_FILTERS` and one more option
in `Scope.describe`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from nienbieu import entities
from nienbieu.models import Article, StoryRow
from nienbieu.store import Store


@dataclass(frozen=True, slots=True)
class Scope:
    story: int | None = None  # a story's id (`nienbieu stories`)
    query: str | None = None  # words and "quoted phrases", as `search` matches them
    entity: str | None = None  # a name of the entity (`entities.naming`)
    start: date | None = None  # publication day (stated or inferred), inclusive
    end: date | None = None  # inclusive

    def describe(self) -> str:
        """The scope as the command-line options that select it: `--query "nato" --from 2023-01-01`."""
        options = [
            ("--story", None if self.story is None else str(self.story)),
            ("--query", None if self.query is None else json.dumps(self.query, ensure_ascii=False)),
            ("--entity", None if self.entity is None else json.dumps(self.entity, ensure_ascii=False)),
            ("--from", self.start and self.start.isoformat()),
            ("--to", self.end and self.end.isoformat()),
        ]
        return " ".join(f"{option} {value}" for option, value in options if value is not None)


class EmptyScope(LookupError):
    """A scope that selects no stored article."""

    def __init__(self, scope: Scope) -> None:
        super().__init__(f"no article matches {scope.describe()}")
        self.scope = scope

    def __reduce__(self) -> tuple[type[EmptyScope], tuple[Scope]]:
        return EmptyScope, (self.scope,)  # raised in a worker process, pickled back whole


def articles_in(store: Store, scope: Scope) -> list[Article]:
    """The canonical articles in scope, oldest first; raises EmptyScope when a scope that sets
    a filter selects none (an empty store with no filter gives [])."""
    with store.snapshot():  # the articles selected are the articles read
        ids = ids_in(store, scope)
        if ids is None:
            return store.articles(canonical_only=True)
        if not ids:
            raise EmptyScope(scope)
        return store.articles(ids=ids)


def ids_in(store: Store, scope: Scope) -> set[str] | None:
    """Ids of the canonical articles in scope; None when no filter is set (the whole store)."""
    selected: set[str] | None = None
    with store.snapshot():
        for narrow in _FILTERS:
            found = narrow(store, scope)
            if found is not None:
                selected = found if selected is None else selected & found
            if selected is not None and not selected:
                break  # nothing left to narrow
    return selected


def _in_story(store: Store, scope: Scope) -> set[str] | None:
    return None if scope.story is None else store.story_articles(scope.story)


def _matching_query(store: Store, scope: Scope) -> set[str] | None:
    if scope.query is None:
        return None
    return store.canonical(store.matching_articles(scope.query))


def _naming_entity(store: Store, scope: Scope) -> set[str] | None:
    """Articles whose recognised names include the entity, as `entities.naming` finds them in the
    mentions of the articles that hold a word each of its names ends with: counted and selected
    in SQL, so that a common name's thousands of articles are not read into Python."""
    if scope.entity is None:
        return None
    words = entities.last_words(scope.entity)
    candidates = set().union(*(store.matching_articles(word, folded) for word, folded in words))
    names = entities.naming_names(scope.entity, store.name_counts(candidates))
    return store.canonical(store.naming_articles(candidates, names))


def _published_within(store: Store, scope: Scope) -> set[str] | None:
    if scope.start is None and scope.end is None:
        return None
    return store.published_between(scope.start, scope.end)


# Most selective first, usually: a query or a name is rarer than a range of dates.
_FILTERS: tuple[Callable[[Store, Scope], set[str] | None], ...] = (
    _in_story,
    _matching_query,
    _naming_entity,
    _published_within,
)


def one_story(store: Store, scope: Scope) -> tuple[Scope, list[StoryRow]]:
    """The scope a timeline or briefing is made of: `scope` itself when it sets a filter or the
    store holds one story at most; else the biggest story (then the most recent), with the
    stories left out, so that no timeline mixes unrelated stories by default."""
    if scope != Scope():
        return scope, []
    rows = store.story_rows()
    if len(rows) < 2:
        return scope, []
    return Scope(story=rows[0].id), rows
