"""Story assignment beside the ingest it is part of: a bulk ingest of N synthetic articles
(bench_scale's generator), then ADDED more into that store. Times are wall clock in this process
(`pipeline.ingest_paths`, syllable segmenter); "stories" is the time spent in
`Store.settle_stories`, measured by wrapping it.

    .venv/bin/python bench/bench_stories_speed.py [N]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import bench_scale

from nienbieu import pipeline
from nienbieu.store import Store

spent: list[float] = []
_settle = Store.settle_stories


def _timed(self: Store, *args, **kwargs):  # type: ignore[no-untyped-def]
    began = time.perf_counter()
    try:
        return _settle(self, *args, **kwargs)
    finally:
        spent.append(time.perf_counter() - began)


Store.settle_stories = _timed  # type: ignore[method-assign]


def _ingest(store: Store, folder: Path) -> tuple[float, float]:
    spent.clear()
    began = time.perf_counter()
    pipeline.ingest_paths([folder], store, segmenter="syllable")
    return time.perf_counter() - began, sum(spent)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    added = bench_scale.ADDED
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "corpus").mkdir()
        (root / "more").mkdir()
        stored = bench_scale.write_corpus(n, root / "corpus")
        bench_scale.write_additions(n, stored, root / "more")
        with Store(root / "s.db") as store:
            total, stories = _ingest(store, root / "corpus")
            count = store.conn.execute("SELECT count(*) FROM stories").fetchone()[0]
            print(f"{n} articles: ingest {total:.1f} s, of which story assignment {stories:.1f} s "
                  f"({1000 * stories / n:.2f} ms/article); {count} stories")  # fmt: skip
            total, stories = _ingest(store, root / "more")
            print(f"{added} more into that store: ingest {total:.2f} s, story assignment {stories:.2f} s")
        with Store(root / "empty.db") as store:
            total, stories = _ingest(store, root / "more")
            print(f"the same {added} into an empty store: ingest {total:.2f} s, stories {stories:.2f} s")


if __name__ == "__main__":
    main()
