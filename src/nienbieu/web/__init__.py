"""The web app: the library's calls (`nienbieu.api`) as pages and a JSON API, after datasette's
layout (`app` routes, one module per page type under `views`, `templates`, `static`, `urls`).

`create_app(db)` gives the ASGI app; `serve` runs it with uvicorn. The store is opened read-only
(a connection per thread, `mode=ro`, no migration): a GET never writes.
"""

from __future__ import annotations

from pathlib import Path

from nienbieu.web.app import Settings, create_app

__all__ = ["Settings", "create_app", "serve"]


def serve(db: str | Path, host: str = "127.0.0.1", port: int = 8000) -> None:
    import uvicorn  # imported here: the library and the CLI load without the server

    uvicorn.run(create_app(db), host=host, port=port, log_level="info", server_header=False)
