"""Peak memory of reading and ingesting one large JSONL export, at several sizes: reading and
analysis stream, so their memory must not grow with the file.

The exports hold distinct synthetic articles from `bench_scale.synthesise` (sentences of the MDS
articles drawn at random, dates shifted, 5% undated), written until the file reaches the size.
Each size runs two stages, each in a fresh process:
- read: `ingest.read_items` over the file (split, decode, parse every line), one process; the
  peak is the process's maximum resident set size;
- ingest: `pipeline.ingest_paths` into a new SQLite file, as `nienbieu ingest` does; peak
  proportional set size of the process and its workers (`bench_scale.PeakMemory`), split at the
  first read of the whole store: before it the batches stream, after it come the passes over
  the whole store (date inference, duplicate groups).

    .venv/bin/python bench/bench_stream.py [--mb 20,200] [--workers N] [--segmenter S]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_scale import PeakMemory, synthesise


def write_export(path: Path, megabytes: int) -> int:
    """Synthetic articles, one JSON object a line, until the file holds `megabytes` MB; their number."""
    size = rows = 0
    with path.open("w", encoding="utf-8") as out:
        for row in synthesise(10**9):
            line = json.dumps(row, ensure_ascii=False) + "\n"
            out.write(line)
            size += len(line.encode())
            rows += 1
            if size >= megabytes * 10**6:
                return rows
    return rows


def stage_read(export: Path) -> dict[str, float]:
    from nienbieu import ingest
    from nienbieu.models import Problem

    started = time.perf_counter()
    documents = sum(not isinstance(item, Problem) for item in ingest.read_items(export))
    return {
        "seconds": time.perf_counter() - started,
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "documents": documents,
    }


def stage_ingest(export: Path, db: Path, workers: int | None, segmenter: str | None) -> dict[str, float]:
    from nienbieu import pipeline
    from nienbieu.store import Store

    stream: dict[str, float] = {}
    read_whole_store = Store.articles
    with PeakMemory() as memory:
        started = time.perf_counter()

        def articles(self: Store, *args: object, **kwargs: object) -> list:
            if not stream:  # the first read of the whole store ends the streaming phase
                stream.update(stream_seconds=time.perf_counter() - started, stream_mib=memory.peak_mib)
                memory.peak = 0
            return read_whole_store(self, *args, **kwargs)

        Store.articles = articles  # type: ignore[method-assign]
        with Store(db) as store:
            report = pipeline.ingest_paths([export], store, workers=workers, segmenter=segmenter)
        elapsed = time.perf_counter() - started
    return {**stream, "seconds": elapsed, "after_mib": memory.peak_mib, "added": len(report.added)}


def _stage(*args: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, *args], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", default="20,200", help="export sizes in MB")
    parser.add_argument("--workers", type=int, default=None, help="[default: as nienbieu ingest]")
    parser.add_argument("--segmenter", default="syllable")
    parser.add_argument("--stage", choices=["read", "ingest"])
    parser.add_argument("paths", nargs="*")
    args = parser.parse_args()
    if args.stage == "read":
        print(json.dumps(stage_read(Path(args.paths[0]))))
        return
    if args.stage == "ingest":
        print(
            json.dumps(stage_ingest(Path(args.paths[0]), Path(args.paths[1]), args.workers, args.segmenter))
        )
        return
    header = ("MB", "articles", "read s", "MiB", "stream s", "MiB", "after s", "MiB")
    print(" ".join(f"{h:>9}" for h in header))
    for megabytes in (int(m) for m in args.mb.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            export, db = Path(tmp) / "export.jsonl", Path(tmp) / "bench.db"
            rows = write_export(export, megabytes)
            read = _stage("--stage", "read", str(export))
            options = ["--segmenter", args.segmenter] + (
                ["--workers", str(args.workers)] if args.workers else []
            )
            ing = _stage("--stage", "ingest", *options, str(export), str(db))
        assert read["documents"] == rows, read
        cells = (megabytes, ing["added"], read["seconds"], read["peak_mib"], ing["stream_seconds"])
        cells += (ing["stream_mib"], ing["seconds"] - ing["stream_seconds"], ing["after_mib"])
        print(" ".join(f"{c:>9.1f}" if isinstance(c, float) else f"{c:>9}" for c in cells), flush=True)


if __name__ == "__main__":
    main()
