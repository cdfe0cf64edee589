"""Entity pages built in a process of their own. An entity page takes hundreds of milliseconds of
Python (linking the names of its latest 200 articles, building their timeline); on the server's
threads, twenty at once took twenty times as long each, and every other page waited with them
(Python runs one thread at a time). In one worker process, they are built one after the other
beside the server, on the machine's other core, while the server goes on answering.

The worker opens the store read-only itself and keeps its names in memory per store state, as
the server does (`store.NameIndex`).
"""

from __future__ import annotations

import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from nienbieu.pipeline import one_blas_thread
from nienbieu.store import NameIndex, Store
from nienbieu.web.memo import Memo
from nienbieu.web.views import entity as entity_view


class EntityPages:
    """`views.entity.data` of a store, computed in one worker process, started with the server
    (`start`) or on first use."""

    def __init__(self, db: Path) -> None:
        self.db = db
        self.pool: ProcessPoolExecutor | None = None
        self.lock = threading.Lock()

    def start(self) -> None:
        """Starts the worker and has it read the store's names now, without waiting for it: the
        first entity page need not wait for them (about a second)."""
        self._pool().submit(_names)

    def _pool(self) -> ProcessPoolExecutor:
        with self.lock:
            if self.pool is None:
                # spawned, not forked: the server's threads hold locks a fork would copy held
                context = multiprocessing.get_context("spawn")
                self.pool = ProcessPoolExecutor(1, context, initializer=_open, initargs=(str(self.db),))
            return self.pool

    def data(self, name: str, dates: int, sentences: int) -> dict[str, Any]:
        pool = self._pool()
        try:
            return pool.submit(_page, name, dates, sentences).result()
        except BrokenProcessPool:
            with self.lock:  # the worker died (killed, out of memory): the next page starts another
                if self.pool is pool:
                    self.pool = None
            raise

    def close(self) -> None:
        with self.lock:
            if self.pool is not None:
                self.pool.shutdown(cancel_futures=True)
                self.pool = None


_store: Store | None = None  # the worker's


def _open(db: str) -> None:
    global _store
    one_blas_thread()
    store = _store = Store(db, readonly=True, upgrade=False)
    names = Memo(Path(db), size=1)
    store.name_index = lambda: names.get(("names",), lambda: NameIndex.read(store.conn))


def _names() -> None:
    assert _store is not None and _store.name_index is not None, "not in the worker"
    with _store.snapshot():
        _store.name_index()


def _page(name: str, dates: int, sentences: int) -> dict[str, Any]:
    assert _store is not None, "not in the worker"
    with _store.snapshot():
        return entity_view.data(_store, name, dates, sentences)
