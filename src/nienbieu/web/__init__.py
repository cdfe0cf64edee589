"""The web app: the library's calls (`nienbieu.api`) as pages and a JSON API, after datasette's
layout (`app` routes, one module per page type under `views`, `templates`, `static`, `urls`).

`create_app(db)` gives the ASGI app; `serve` runs it with uvicorn. The store is opened read-only
(a connection per thread, `mode=ro`, no migration): a GET never writes. The web stack is
imported on first use, so `nienbieu.web.templating` (the HTML exports) loads without it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nienbieu.web.app import Settings, create_app

__all__ = ["Settings", "create_app", "serve"]


def __getattr__(name: str) -> Any:
    if name in ("Settings", "create_app"):
        from nienbieu.web import app

        return getattr(app, name)
    raise AttributeError(name)


def serve(db: str | Path, host: str = "127.0.0.1", port: int = 8000) -> None:
    import uvicorn

    from nienbieu.pipeline import one_blas_thread
    from nienbieu.web.app import create_app

    one_blas_thread()  # requests run on many threads at once
    uvicorn.run(create_app(db), host=host, port=port, log_level="info", server_header=False)
