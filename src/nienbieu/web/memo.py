"""Answers kept per state of the store, each computed once however many readers ask for it at
once: the web app's pages, and the names its entity pages look up (`store.NameIndex`)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any


class Memo:
    """Answers computed on one state of the store, kept while the store is unchanged: its state
    is the size and modification time of the database file and of its write-ahead log, which
    any commit changes. Least recently used answers go first."""

    def __init__(self, path: Path, size: int = 256) -> None:
        self.files = (path, path.with_name(path.name + "-wal"))
        self.size = size
        self.found: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self.running: dict[tuple[Any, ...], Future[Any]] = {}
        self.lock = threading.Lock()

    def state(self) -> tuple[tuple[int, int], ...]:
        stats = []
        for f in self.files:
            try:
                st = f.stat()
                stats.append((st.st_size, st.st_mtime_ns))
            except FileNotFoundError:
                stats.append((0, 0))
        return tuple(stats)

    def get(self, key: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
        """The kept answer, or the one another thread is computing now (a page asked by twenty
        readers at once is built once), or a new one."""
        key = (self.state(), *key)
        with self.lock:
            if key in self.found:
                self.found.move_to_end(key)
                return self.found[key]
            running = self.running.get(key)
            if running is None:
                running = self.running[key] = Future()
                mine = True
            else:
                mine = False
        if not mine:
            return running.result()
        try:
            value = compute()
        except BaseException as exc:
            running.set_exception(exc)
            raise
        finally:
            with self.lock:
                self.running.pop(key, None)
        with self.lock:
            self.found[key] = value
            while len(self.found) > self.size:
                self.found.popitem(last=False)
        running.set_result(value)
        return value
