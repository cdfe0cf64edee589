"""Every link the app makes, built in one place: templates call these, never format paths."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from nienbieu.scope import Scope


def _query(params: dict[str, object]) -> str:
    kept = {k: v for k, v in params.items() if v is not None and v != ""}
    return f"?{urlencode(kept)}" if kept else ""


def scope_params(scope: Scope) -> dict[str, object]:
    return {
        "story": scope.story,
        "query": scope.query,
        "entity": scope.entity,
        "from": scope.start and scope.start.isoformat(),
        "to": scope.end and scope.end.isoformat(),
    }


def stories(filters: dict[str, object] | None = None, offset: int = 0) -> str:
    return "/" + _query({**(filters or {}), "offset": offset or None})


def timeline(scope: Scope) -> str:
    return "/timeline" + _query(scope_params(scope))


def timeline_visual(scope: Scope) -> str:
    return "/timeline/visual" + _query(scope_params(scope))


def brief(scope: Scope) -> str:
    return "/brief" + _query(scope_params(scope))


def download(kind: str, scope: Scope, fmt: str) -> str:
    return f"/download/{kind}" + _query({**scope_params(scope), "format": fmt})


def article(article_id: str, sentence: int | None = None) -> str:
    anchor = f"#s{sentence}" if sentence is not None else ""
    return f"/articles/{quote(article_id, safe='')}{anchor}"


def search(query: str, offset: int = 0, filters: dict[str, object] | None = None) -> str:
    return "/search" + _query({"q": query, **(filters or {}), "offset": offset or None})


def entity(name: str) -> str:
    return f"/entities/{quote(name, safe='')}"


def story(story_id: int) -> str:
    return timeline(Scope(story=story_id))


def story_brief(story_id: int) -> str:
    return brief(Scope(story=story_id))
