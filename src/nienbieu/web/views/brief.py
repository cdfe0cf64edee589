"""A story's briefing, each sentence linked to its source."""

from __future__ import annotations

from typing import Any

from nienbieu import api, export
from nienbieu.scope import Scope
from nienbieu.store import Store
from nienbieu.web import urls


def data(store: Store, scope: Scope, found: dict[str, Any]) -> dict[str, Any]:
    """The page of `found`, the briefing `/api/brief` gives for `scope`."""
    chosen, others = api.choose(store, scope)
    return {
        **found,
        "others": export.story_rows(others[1:]),
        "timeline": urls.timeline(chosen),
        "downloads": {fmt: urls.download("brief", chosen, fmt) for fmt in export.FORMATS},
    }
