"""Analysis throughput per worker, local process pool against Dask, and what the single store
writer can take when analysis is free (docs/scaling.md).

Corpus: bench_scale's synthetic articles (MDS sentences recombined, dates moved) as JSONL
exports of 250 rows, made once into out/bench_engines/.

- `analysis`: reading, cleaning and analysis of the corpus by one engine (`pipeline._in_order`,
  or `distributed.in_order` on a LocalCluster), results taken in task order and dropped: no store.
  Wall time includes starting the workers; CPU time is this process's and its reaped workers'
  (user + system): on a shared machine, articles per CPU-second is what a core of one's own
  would give, and wall time mostly how busy the others were. `--all` runs local and Dask at 1
  and 2 workers in turn, each in a fresh process, `--rounds` times, and prints each round's
  ratios (pairs measured back to back).
- `writer`: the same articles analysed once (cached as a pickle), then `Store.add` in batches of
  `--batch` into a new store, then `pipeline.settle`: the articles/s storing takes without any
  analysis, and the settle pass after it.

    .venv/bin/python bench/bench_engines.py analysis --all [--articles 1000] [--rounds 2] [--segmenter S]
    .venv/bin/python bench/bench_engines.py analysis --engine dask --workers 2 [--articles 1000]
    .venv/bin/python bench/bench_engines.py writer [--articles 2000] [--batch 200] [--keep FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import bench_scale

from nienbieu import distributed, ingest, pipeline
from nienbieu.models import Article
from nienbieu.store import Store

OUT = Path(__file__).resolve().parent.parent / "out" / "bench_engines"
CONFIGS = (("local", 1), ("local", 2), ("dask", 1), ("dask", 2))


def corpus(n: int) -> list[Path]:
    folder = OUT / f"corpus-{n}"
    if not folder.exists():
        partial = OUT / f".corpus-{n}.tmp"
        partial.mkdir(parents=True, exist_ok=True)
        bench_scale.write_corpus(n, partial)
        partial.rename(folder)
    return ingest.discover([folder])[0]


def _cpu_seconds() -> tuple[float, float]:
    """CPU seconds (user + system) of this process, and of its workers once reaped."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def analysis(engine: str, workers: int, n: int, segmenter: str | None) -> dict[str, float]:
    files = corpus(n)
    run = pipeline._in_order if engine == "local" else distributed.engine()
    articles = sentences = 0
    (main, rest), began = _cpu_seconds(), time.perf_counter()
    first = None
    for _, analysed, _ in run(files, workers, segmenter):
        first = first or time.perf_counter() - began
        articles += len(analysed)
        sentences += sum(len(a.sentences) for a in analysed)
    wall = time.perf_counter() - began
    main, rest = (after - before for after, before in zip(_cpu_seconds(), (main, rest), strict=True))
    cpu = main + rest
    # with a core each, the run could not be shorter than its busiest process: this process,
    # or the workers' work spread evenly (one worker in-process: all of it here)
    critical = max(main, rest / workers)
    return {"engine": engine, "workers": workers, "articles": articles, "sentences": sentences,
            "seconds": wall, "first_result_s": first or 0.0, "articles_per_s": articles / wall,
            "cpu_s": cpu, "main_cpu_s": main, "utilisation": cpu / (wall * (os.cpu_count() or 1)),
            "critical_cpu_s": critical}  # fmt: skip


def _analysed(n: int) -> list[Article]:
    cached = OUT / f"analysed-{n}.pickle"
    if not cached.exists():
        found = [a for _, batch, _ in pipeline._in_order(corpus(n), 2, "syllable") for a in batch]
        cached.write_bytes(pickle.dumps(found))
    return pickle.loads(cached.read_bytes())


def writer(n: int, batch: int, keep: Path | None = None) -> dict[str, float]:
    """`keep`: the store to write (kept after), instead of a temporary one."""
    articles = _analysed(n)
    with tempfile.TemporaryDirectory() as tmp, Store(keep or Path(tmp) / "w.db") as store:
        began, cpu = time.perf_counter(), time.process_time()
        for start in range(0, len(articles), batch):
            store.add(articles[start : start + batch])
        stored, stored_cpu = time.perf_counter() - began, time.process_time() - cpu
        pipeline.settle(store)
        settled, settled_cpu = time.perf_counter() - began - stored, time.process_time() - cpu - stored_cpu
    return {"articles": len(articles), "sentences": sum(len(a.sentences) for a in articles),
            "store_s": stored, "store_cpu_s": stored_cpu, "articles_per_s": len(articles) / stored,
            "articles_per_cpu_s": len(articles) / stored_cpu, "settle_s": settled,
            "settle_cpu_s": settled_cpu}  # fmt: skip


def _in_fresh_process(*args: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, *args], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def compare(n: int, rounds: int, segmenter: str | None) -> None:
    corpus(n)  # made once, before any timing
    extra = ["--segmenter", segmenter] if segmenter else []
    columns = (
        "round",
        "engine",
        "workers",
        "seconds",
        "art/s",
        "first s",
        "util",
        "cpu s",
        "main",
        "art/cpu-s",
    )
    print(" ".join(f"{c:>9}" for c in columns))
    for number in range(1, rounds + 1):
        found = {}
        for engine, workers in CONFIGS:
            args = ["analysis", "--engine", engine, "--workers", str(workers), "--articles", str(n), *extra]
            row = found[engine, workers] = _in_fresh_process(*args)
            measured = ("seconds", "articles_per_s", "first_result_s", "utilisation", "cpu_s", "main_cpu_s")
            cells = (number, engine, workers, *(row[m] for m in measured), row["articles"] / row["cpu_s"])
            print(" ".join(f"{c:>9.2f}" if isinstance(c, float) else f"{c:>9}" for c in cells), flush=True)
        speed = {key: row["articles_per_s"] for key, row in found.items()}
        bound = {
            key: found[key[0], 1]["critical_cpu_s"] / row["critical_cpu_s"] for key, row in found.items()
        }
        print(f"round {number}: on free cores, 2 workers could be at most local {bound['local', 2]:.2f}×, "
              f"dask {bound['dask', 2]:.2f}× as fast as 1 (busiest process of 1 / of 2)")  # fmt: skip
        print(f"round {number}: 2 vs 1 worker, local {speed['local', 2] / speed['local', 1]:.2f}×, "
              f"dask {speed['dask', 2] / speed['dask', 1]:.2f}×; dask vs local at 2 workers "
              f"{speed['dask', 2] / speed['local', 2]:.2f}×", flush=True)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["analysis", "writer"])
    parser.add_argument("--articles", type=int, default=None)
    parser.add_argument("--engine", choices=["local", "dask"], default="local")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--segmenter", default=None, help="underthesea (default) or syllable")
    parser.add_argument("--all", action="store_true", help="every engine at 1 and 2 workers, in turn")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--keep", type=Path, default=None, help="writer: the store to write, kept after")
    args = parser.parse_args()
    if args.mode == "writer":
        print(json.dumps(writer(args.articles or 2000, args.batch, args.keep)))
    elif args.all:
        compare(args.articles or 1000, args.rounds, args.segmenter)
    else:
        print(json.dumps(analysis(args.engine, args.workers, args.articles or 1000, args.segmenter)))


if __name__ == "__main__":
    main()
