"""A story's timeline (or any scope's): the CLI's `timeline -f json` plus which story it is."""

from __future__ import annotations

from typing import Any

from nienbieu import api, export
from nienbieu.scope import Scope
from nienbieu.store import Store
from nienbieu.web import urls


def data(store: Store, scope: Scope, found: dict[str, Any]) -> dict[str, Any]:
    """The page of `found`, the timeline `/api/timeline` gives for `scope`."""
    chosen, others = api.choose(store, scope)
    story = _story(store, chosen)
    return {
        **found,
        "story": story,
        "others": export.story_rows(others[1:]),
        "downloads": {fmt: urls.download("timeline", chosen, fmt) for fmt in export.TIMELINE_FORMATS},
        "brief": urls.brief(chosen),
        "visual": urls.timeline_visual(chosen),
        "text_view": urls.timeline(chosen),
    }


def _story(store: Store, scope: Scope) -> dict[str, Any] | None:
    if scope.story is None:
        return None
    return next(iter(export.story_rows(store.story_rows([scope.story]))), None)
