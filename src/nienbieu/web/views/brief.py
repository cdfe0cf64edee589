"""A story's briefing, each sentence linked to its source."""

from __future__ import annotations

from typing import Any

from nienbieu import api, export
from nienbieu.scope import Scope
from nienbieu.store import Store
from nienbieu.web import urls


def data(store: Store, scope: Scope, words: int = 150) -> dict[str, Any]:
    chosen, others = api.choose(store, scope)
    return {
        **api.brief(store, chosen, words),
        "others": export.story_rows(others[1:]),
        "timeline": urls.timeline(chosen),
        "downloads": {fmt: urls.download("brief", chosen, fmt) for fmt in export.FORMATS},
    }
