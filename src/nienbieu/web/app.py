"""The ASGI app: every route in one list, the store opened read-only once per thread, the
project's errors mapped to HTTP codes, security headers on every response."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any, TypeVar

from fastapi import Depends, FastAPI, Query, Request
from fastapi import Path as PathPart
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.routing import BaseRoute

from nienbieu import api, export, search
from nienbieu.scope import EmptyScope, Scope
from nienbieu.store import NameIndex, Store, StoreError
from nienbieu.web import templating
from nienbieu.web.memo import Memo
from nienbieu.web.views import article as article_view
from nienbieu.web.views import brief as brief_view
from nienbieu.web.views import entity as entity_view
from nienbieu.web.views import search as search_view
from nienbieu.web.views import stories as stories_view
from nienbieu.web.views import timeline as timeline_view
from nienbieu.web.worker import EntityPages

HERE = Path(__file__).parent
# No inline script or style anywhere: article text that slipped through escaping still could not run.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
MAX_LIMIT = 500


@dataclass(frozen=True, slots=True)
class Settings:
    page_size: int = 20
    timeline_dates: int = 10
    timeline_sentences: int = 2
    brief_words: int = 150
    # entity pages built in a worker process (`web.worker`); False: on the server's threads
    entity_process: bool = True


class _Stores(threading.local):
    """One read-only connection per server thread (sqlite3 connections are not shared across
    threads), opened on first use: `mode=ro`, no migration, so serving never writes."""

    store: Store | None = None


class BadRequest(ValueError):
    pass


def create_app(db: str | Path, settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    path = Path(db)
    Store(path, readonly=True, upgrade=False).close()  # a missing or old store fails now, not per request
    stores = _Stores()
    memo = Memo(path)
    # the recognised names of the store's current state, read once for every entity looked up
    names = Memo(path, size=1)

    def store() -> Store:
        if stores.store is None:
            opened = stores.store = Store(path, readonly=True, upgrade=False)
            opened.name_index = lambda: names.get(("names",), lambda: NameIndex.read(opened.conn))
        return stores.store

    def read(key: tuple[Any, ...], compute: Callable[[Store], T]) -> T:
        """`compute` over one snapshot of the store; the same request on the same store state is
        answered from memory (a timeline of a big story takes a while to build)."""

        def fresh() -> T:
            with store().snapshot():
                return compute(store())

        return memo.get(key, fresh)

    templates = Jinja2Templates(env=templating.environment())  # autoescaping, controls stripped

    def page(request: Request, name: str, context: dict[str, Any]) -> HTMLResponse:
        # a copy: the response adds the request to its context, and `context` may be a kept answer
        return templates.TemplateResponse(request, name, {**context})

    entity_pages = EntityPages(path) if settings.entity_process else None

    def entity(name: str) -> dict[str, Any]:
        size = (settings.timeline_dates, settings.timeline_sentences)
        if entity_pages is None:
            return read(("entity", name, *size), lambda s: entity_view.data(s, name, *size))
        return memo.get(("entity", name, *size), lambda: entity_pages.data(name, *size))

    # --- pages -------------------------------------------------------------------------------------

    def stories_page(
        request: Request,
        start: From = None,
        end: To = None,
        outlet: str | None = None,
        entity: str | None = None,
        offset: Offset = 0,
    ) -> HTMLResponse:
        args = (start, end, outlet or None, entity or None)
        found = read(("stories", *args, offset), lambda s: stories_view.data(s, *args, offset=offset))
        return page(request, "stories.html", found)

    # A page shows what its API route gives, built once for both (a story's timeline or briefing
    # is the costliest answer after an entity's).
    def timeline_json(scope: Scope, dates: int, sentences: int) -> dict[str, Any]:
        return read(
            ("api-timeline", scope, dates, sentences),
            lambda s: api.timeline(s, api.choose(s, scope)[0], dates, sentences),
        )

    def brief_json(scope: Scope, words: int) -> dict[str, Any]:
        return read(("api-brief", scope, words), lambda s: api.brief(s, api.choose(s, scope)[0], words))

    def timeline(scope: Scope) -> dict[str, Any]:
        size = (settings.timeline_dates, settings.timeline_sentences)
        return read(("timeline", scope), lambda s: timeline_view.data(s, scope, timeline_json(scope, *size)))

    def timeline_page(request: Request, scope: ScopeQ) -> HTMLResponse:
        return page(request, "timeline.html", timeline(scope))

    def timeline_visual_page(request: Request, scope: ScopeQ) -> HTMLResponse:
        """The same timeline as TimelineJS slides (served from /static: nothing from other sites)."""
        return page(request, "timeline_visual.html", timeline(scope))

    def brief_page(request: Request, scope: ScopeQ) -> HTMLResponse:
        def compute(s: Store) -> dict[str, Any]:  # the briefing read in the page's snapshot
            return brief_view.data(s, scope, brief_json(scope, settings.brief_words))

        return page(request, "brief.html", read(("brief", scope), compute))

    def search_page(
        request: Request,
        filters: FiltersQ,
        q: Annotated[str, Query(max_length=500)] = "",
        offset: Offset = 0,
    ) -> HTMLResponse:
        found = read(
            ("search", q, filters, offset),
            lambda s: search_view.data(s, q, filters, offset, settings.page_size),
        )
        return page(request, "search.html", found)

    def article_page(request: Request, article_id: ArticleId) -> HTMLResponse:
        found = read(("article", article_id), lambda s: article_view.data(s, article_id))
        return page(request, "article.html", found)

    def entity_page(request: Request, name: Name) -> HTMLResponse:
        return page(request, "entity.html", entity(name))

    def download(
        kind: Annotated[str, PathPart(pattern="^(timeline|brief)$")],
        scope: ScopeQ,
        fmt: Fmt = "md",
    ) -> Response:
        with store().snapshot():
            chosen, _ = api.choose(store(), scope)
            if kind == "timeline":
                entries = api.timeline_entries(
                    store(), chosen, settings.timeline_dates, settings.timeline_sentences
                )
                text = export.render_timeline(entries, fmt)
            elif kind == "brief" and fmt in export.FORMATS:
                text = export.render_brief(api.briefing(store(), chosen, settings.brief_words), fmt)
            else:
                raise BadRequest(f"cannot download {kind!r} as {fmt!r}")
        media = {
            "json": "application/json",
            "timelinejs": "application/json",
            "html": "text/html",
            "md": "text/markdown",
        }[fmt]
        suffix = {"timelinejs": "json"}.get(fmt, fmt)
        disposition = f'attachment; filename="{kind}{"" if fmt != "timelinejs" else "-timelinejs"}.{suffix}"'
        return Response(
            text, media_type=f"{media}; charset=utf-8", headers={"Content-Disposition": disposition}
        )

    # --- JSON API: each returns what `nienbieu COMMAND --json` prints ------------------------------

    def api_stories(
        start: From = None,
        end: To = None,
        min_articles: MinArticles = 1,
        offset: Offset = 0,
        limit: Limit = 100,
    ) -> Response:
        rows = read(
            ("api-stories", start, end, min_articles), lambda s: api.stories(s, start, end, min_articles)
        )
        return _page(rows, offset, limit)

    def api_timeline(
        scope: ScopeQ,
        dates: Dates = 10,
        sentences: Sentences = 2,
    ) -> Response:
        return _Json(timeline_json(scope, dates, sentences))

    def api_brief(
        scope: ScopeQ,
        words: Words = 150,
    ) -> Response:
        return _Json(brief_json(scope, words))

    def api_search(
        q: Annotated[str, Query(min_length=1, max_length=500)],
        filters: FiltersQ,
        offset: Offset = 0,
        limit: Limit = 20,
    ) -> Response:
        rows = read(
            ("api-search", q, filters, offset + limit),
            lambda s: api.search_hits(s, q, filters, offset + limit),
        )
        return _page(rows, offset, limit)

    def api_articles(offset: Offset = 0, limit: Limit = 100) -> Response:
        return _page(read(("api-articles",), api.articles), offset, limit)

    def api_article(article_id: ArticleId) -> Response:
        return _Json(read(("article", article_id), lambda s: article_view.data(s, article_id)))

    def api_entities(
        scope: ScopeQ,
        type: Kind = None,
        offset: Offset = 0,
        limit: Limit = 100,
    ) -> Response:
        rows = read(("api-entities", scope, type), lambda s: api.entities(s, scope, type))
        return _page(rows, offset, limit)

    def api_entity(name: Name) -> Response:
        return _Json(entity(name))

    def api_quotes(
        scope: ScopeQ,
        who: str | None = None,
        offset: Offset = 0,
        limit: Limit = 100,
    ) -> Response:
        rows = read(("api-quotes", scope, who or None), lambda s: api.quotes(s, scope, who or None))
        return _page(rows, offset, limit)

    routes: list[BaseRoute] = [
        _html_route("/", stories_page),
        _html_route("/timeline", timeline_page),
        _html_route("/timeline/visual", timeline_visual_page),
        _html_route("/brief", brief_page),
        _html_route("/search", search_page),
        _html_route("/articles/{article_id}", article_page),
        _html_route("/entities/{name}", entity_page),
        APIRoute("/download/{kind}", download, include_in_schema=False),
        APIRoute("/api/stories", api_stories, summary="Stories, biggest and most recent first"),
        APIRoute("/api/timeline", api_timeline, summary="Timeline of a scope (default: the biggest story)"),
        APIRoute("/api/brief", api_brief, summary="Briefing of a scope (default: the biggest story)"),
        APIRoute("/api/search", api_search, summary="Sentences and titles matching words"),
        APIRoute("/api/articles", api_articles, summary="Stored articles"),
        APIRoute("/api/articles/{article_id}", api_article, summary="One article, sentence by sentence"),
        APIRoute("/api/entities", api_entities, summary="Canonical entities of a scope"),
        APIRoute("/api/entities/{name}", api_entity, summary="One entity: names, mentions by day, timeline"),
        APIRoute("/api/quotes", api_quotes, summary="Attributed quotations of a scope"),
    ]

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if entity_pages is not None:
            entity_pages.start()
        yield
        if entity_pages is not None:
            entity_pages.close()

    # no docs pages: they need a CDN
    app = FastAPI(title="Niên Biểu", routes=routes, docs_url=None, redoc_url=None, lifespan=lifespan)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    _handle_errors(app, templates)

    @app.middleware("http")
    async def headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        return response

    return app


T = TypeVar("T")


class _Json(JSONResponse):
    """JSON as the CLI's --json writes it (`export.to_json`), without FastAPI's re-validation of
    answers that are JSON already (it cost more than building a kept answer)."""

    def render(self, content: Any) -> bytes:
        return export.to_json(content, indent=None).encode("utf-8")


def _html_route(path: str, endpoint: Callable[..., HTMLResponse]) -> APIRoute:
    """A page: HTML, and no part of the JSON API's OpenAPI description."""
    return APIRoute(path, endpoint, response_class=HTMLResponse, include_in_schema=False)


def _page(rows: list[dict[str, Any]], offset: int, limit: int) -> Response:
    """One page of a list; the whole list's size in X-Total-Count (the body keeps the CLI's shape)."""
    return _Json(rows[offset : offset + limit], headers={"X-Total-Count": str(len(rows))})


def _handle_errors(app: FastAPI, templates: Jinja2Templates) -> None:
    def reply(request: Request, status: int, message: str) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": message}, status_code=status)
        context = {"status": status, "message": message}
        return templates.TemplateResponse(request, "error.html", context, status_code=status)

    async def invalid(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        problems = "; ".join(f"{'.'.join(map(str, e['loc'][1:]))}: {e['msg']}" for e in exc.errors())
        return reply(request, 400, f"bad parameter — {problems}")

    async def empty(request: Request, exc: Exception) -> Response:
        return reply(request, 404, str(exc))

    async def not_found(request: Request, exc: Exception) -> Response:
        return reply(request, 404, str(exc))

    async def bad(request: Request, exc: Exception) -> Response:
        return reply(request, 400, str(exc))

    async def unavailable(request: Request, exc: Exception) -> Response:
        return reply(request, 503, str(exc))

    async def missing(request: Request, exc: Exception) -> Response:
        return reply(request, 404, "no such page")

    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(EmptyScope, empty)
    app.add_exception_handler(article_view.NotFound, not_found)
    app.add_exception_handler(BadRequest, bad)
    app.add_exception_handler(StoreError, unavailable)
    app.add_exception_handler(404, missing)


# Parameters, validated before any handler runs (FastAPI answers a bad one with 400 here).
From = Annotated[date | None, Query(alias="from")]
To = Annotated[date | None, Query(alias="to")]
StoryQ = Annotated[int | None, Query(ge=1)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
MinArticles = Annotated[int, Query(ge=1)]
Dates = Annotated[int, Query(ge=1, le=100)]
Sentences = Annotated[int, Query(ge=1, le=10)]
Words = Annotated[int, Query(ge=20, le=2000)]
Kind = Annotated[str | None, Query(pattern="^(PER|ORG|LOC|MISC)$")]
Fmt = Annotated[str, Query(alias="format", pattern="^(md|json|html|timelinejs)$")]
Name = Annotated[str, PathPart(min_length=1, max_length=200)]
ArticleId = Annotated[str, PathPart(pattern="^[0-9a-f]{8,64}$")]


def _scope(
    story: StoryQ = None,
    query: str | None = None,
    entity: str | None = None,
    start: From = None,
    end: To = None,
) -> Scope:
    """A scope from the query string, as the CLI's --story, --query, --entity, --from, --to."""
    return Scope(story, query or None, entity or None, start, end)


ScopeQ = Annotated[Scope, Depends(_scope)]


def _filters(
    start: From = None, end: To = None, entity: str | None = None, outlet: str | None = None
) -> search.Filters:
    """Search filters from the query string, as the CLI's `search --from --to --entity --outlet`."""
    return search.Filters(start, end, entity or None, outlet or None)


FiltersQ = Annotated[search.Filters, Depends(_filters)]
