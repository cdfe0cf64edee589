"""Time and peak memory of building a timeline for a large synthetic corpus, at several sizes.

The corpus is synthesised from the Vietnamese MDS articles (../shared/eval/vietnamese-mds): the
312 articles, then articles made of as many sentences drawn at random from all of them (so the
texts are distinct: near-duplicate copies would be grouped by dedup and leave the timeline),
with publication dates moved by a pseudo-random offset (the corpus spans years and relative
expressions resolve to new dates), one word dropped from about a third of the sentences and
adjacent words swapped in a tenth; one article in twenty has no date (left to date inference).
The articles are written as JSONL exports, as a newsroom tool would hand them over.

Each size runs two stages, each in a fresh process; peak memory is the largest proportional set
size (PSS) of the stage's process and its workers together, sampled every 250 ms:
- ingest: `pipeline.ingest_paths` into a new SQLite file (read, clean, segment, tag time
  expressions and entities, store, infer missing dates) — what `nienbieu ingest` does;
- timeline: load the store and link entity names (`pipeline.corpus_entities`), then
  `timeline.build()` — what `nienbieu timeline` does.

Then, incremental ingest: ADDED more articles of the same generator (one without a date, and
one a copy of a stored article under a new headline) are ingested into the store of n articles;
baseline in the same run: the same files into an empty store. What ingest does beyond analysing
the new articles (dating them, grouping copies) must not grow with the store.

Growth: the exponent b of time ≈ a·n^b fitted over the sizes (n log n between 1e3 and 1e4
articles looks like b ≈ 1.1; quadratic like 2).

    .venv/bin/python bench/bench_scale.py [--sizes 1250,2500,5000,10000] [--workers N] [--segmenter S]
        [--no-timeline]   (the timeline of a whole store of 40,000 articles is no product use)

Ingest is also timed by stage (`IngestReport.timings`: waiting for analysis, storing, date
inference, duplicate groups, stories and their labels, wall-clock in the main process; and the
CPU seconds of the workers, i.e. the analysis, and of the main process), each with its growth
exponent; "both cores busy" is the CPU time of all the processes over the wall-clock time of
the cores. The 200 MB export's size runs too: `--sizes 65000`.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import mds


def sources(root: Path = mds.CLUSTERS) -> list[dict]:
    docs = []
    for body in sorted(root.glob("*/*.body.txt")):
        fields = mds.info(body)
        docs.append(
            {"text": body.read_text("utf-8"), "title": mds.title(fields), "published": mds.published(fields)}
        )
    return docs


def _perturb_sentence(sentence: str, rng: random.Random) -> str:
    words = sentence.split(" ")
    if len(words) > 6 and rng.random() < 0.33:
        del words[rng.randrange(1, len(words) - 1)]
    if len(words) > 6 and rng.random() < 0.1:
        i = rng.randrange(1, len(words) - 2)
        words[i], words[i + 1] = words[i + 1], words[i]
    return " ".join(words)


def synthesise(n: int, seed: int = 7) -> Iterator[dict[str, str]]:
    """The MDS articles first, then articles of as many sentences drawn from all of them,
    four to a paragraph: distinct texts (near-duplicate copies would be grouped by dedup and
    leave the timeline) with the wording, time expressions and names of real news."""
    rng = random.Random(seed)
    base = sources()
    pool = [
        s for doc in base for line in doc["text"].split("\n") for s in re.split(r"(?<=[.!?]) ", line) if s
    ]
    for k in range(n):
        doc = base[k % len(base)]
        lines = doc["text"].split("\n")
        if k >= len(base):
            drawn = rng.sample(pool, max(4, sum(len(re.split(r"(?<=[.!?]) ", line)) for line in lines)))
            lines = [" ".join(drawn[i : i + 4]) for i in range(0, len(drawn), 4)]
        text = "\n".join(
            " ".join(_perturb_sentence(s, rng) for s in re.split(r"(?<=[.!?]) ", line)) for line in lines
        )
        row = {"text": text, "title": _perturb_sentence(doc["title"], rng)}
        if doc["published"] and rng.random() >= 0.05:
            shift = timedelta(days=(k // len(base) * 53 + rng.randrange(30)) % 1500 - 750)
            row["published"] = (doc["published"] + shift).isoformat()
        yield row


ADDED = 20


def write_corpus(n: int, folder: Path, per_file: int = 250) -> list[dict[str, str]]:
    """The first n articles of `synthesise`, as JSONL files; returns the rows."""
    rows = list(synthesise(n))
    for start in range(0, n, per_file):
        _write_rows(rows[start : start + per_file], folder / f"export-{start // per_file:04d}.jsonl")
    return rows


def write_additions(n: int, stored: list[dict[str, str]], folder: Path) -> None:
    """ADDED articles the first n lack: the generator's next ones, one without its date, and a
    copy of a stored article under a new headline, a day later."""
    rows = list(synthesise(n + ADDED - 1))[n:]
    rows[0].pop("published", None)
    original = stored[len(stored) // 2]
    rows.append({**original, "title": "(Cập nhật) " + original["title"], "outlet": "Báo khác"})
    _write_rows(rows, folder / "added.jsonl")


def _write_rows(rows: list[dict[str, str]], path: Path) -> None:
    with path.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


def _tree_pss_kib(pid: int) -> int:
    """Proportional set size of a process and all its descendants (Linux): shared pages are
    split between the processes sharing them, so forked workers are not counted twice."""
    total = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            total += next(int(line.split()[1]) for line in f if line.startswith("Pss:"))
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                total += sum(_tree_pss_kib(int(child)) for child in f.read().split())
    except (OSError, StopIteration, ValueError):
        pass  # the process ended while we looked
    return total


class PeakMemory:
    """Samples the PSS of this process tree every 250 ms in a thread; `peak_mib` is the largest sum."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.25):
            self.peak = max(self.peak, _tree_pss_kib(os.getpid()))

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _tree_pss_kib(os.getpid()))

    @property
    def peak_mib(self) -> float:
        # max RSS where /proc cannot be read
        return (self.peak or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) / 1024


def stage_ingest(folder: Path, db: Path, workers: int, segmenter: str | None) -> dict[str, float]:
    from nienbieu import pipeline
    from nienbieu.store import Store

    with PeakMemory() as memory:
        before = os.times()
        started = time.perf_counter()
        with Store(db) as store:
            report = pipeline.ingest_paths([folder], store, workers=workers, segmenter=segmenter)
        elapsed = time.perf_counter() - started
        after = os.times()
    own = after.user + after.system - before.user - before.system
    # the workers' CPU time, counted when they were reaped at the end of the analysis
    analysis = after.children_user + after.children_system - before.children_user - before.children_system
    return {
        "seconds": elapsed,
        "peak_mib": memory.peak_mib,
        "added": len(report.added),
        "stages": report.timings,
        "main_cpu": own,
        "workers_cpu": analysis,
        "utilisation": (own + analysis) / (elapsed * (os.cpu_count() or 1)),
    }


def stage_timeline(db: Path) -> dict[str, float]:
    from nienbieu import pipeline, timeline
    from nienbieu.store import Store

    with PeakMemory() as memory:
        started = time.perf_counter()
        with Store(db) as store:
            articles, _ = pipeline.corpus_entities(store)  # load, link entity names: as `nienbieu timeline`
        loaded = time.perf_counter()
        entries = timeline.build(articles)
        done = time.perf_counter()
    return {
        "seconds": done - started,
        "load_seconds": loaded - started,
        "build_seconds": done - loaded,
        "peak_mib": memory.peak_mib,
        "entries": len(entries),
        "sentences": sum(len(a.sentences) for a in articles),
    }


def _run(*args: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, *args], check=False, capture_output=True, text=True)
    if out.returncode:
        sys.exit(f"stage {args} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


_NO_TIMELINE = dict.fromkeys(("seconds", "load_seconds", "build_seconds", "peak_mib"), math.nan) | {
    "entries": 0,
    "sentences": 0,
}


def _exponent(points: list[tuple[int, float]]) -> float:
    xs, ys = [math.log(n) for n, _ in points], [math.log(t) for _, t in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1250,2500,5000,10000")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--segmenter", default=None, help="pyvi (default), underthesea or syllable")
    parser.add_argument("--stage", choices=["ingest", "timeline"])
    parser.add_argument(
        "--no-timeline", action="store_true", help="skip the timeline of the whole store (big sizes)"
    )
    parser.add_argument("paths", nargs="*")
    args = parser.parse_args()
    if args.stage == "ingest":
        print(
            json.dumps(stage_ingest(Path(args.paths[0]), Path(args.paths[1]), args.workers, args.segmenter))
        )
        return
    if args.stage == "timeline":
        print(json.dumps(stage_timeline(Path(args.paths[0]))))
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    segmenter = ["--segmenter", args.segmenter] if args.segmenter else []
    ingest_args = ("--stage", "ingest", "--workers", str(args.workers), *segmenter)
    header = ("articles", "sentences", "ingest s", "MiB", "timeline s", "load+link", "build s", "MiB")
    print(" ".join(f"{h:>10}" for h in (*header, f"+{ADDED} s", "vs empty")))
    ingest_points, timeline_points = [], []
    stage_points: dict[str, list[tuple[int, float]]] = {}
    stage_rows = []
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            folder, added = Path(tmp) / "corpus", Path(tmp) / "added"
            folder.mkdir(), added.mkdir()
            write_additions(n, write_corpus(n, folder), added)
            db = Path(tmp) / "bench.db"
            ing = _run(*ingest_args, str(folder), str(db))
            tl = _run("--stage", "timeline", str(db)) if not args.no_timeline else _NO_TIMELINE
            more = _run(*ingest_args, str(added), str(db))
            alone = _run(*ingest_args, str(added), str(Path(tmp) / "empty.db"))
        ingest_points.append((n, ing["seconds"]))
        if not args.no_timeline:
            timeline_points.append((n, tl["seconds"]))
        cells = (n, tl["sentences"], ing["seconds"], ing["peak_mib"], tl["seconds"])
        cells += (tl["load_seconds"], tl["build_seconds"], tl["peak_mib"], more["seconds"])
        cells += (more["seconds"] / alone["seconds"],)
        print(" ".join(f"{c:>10.2f}" if isinstance(c, float) else f"{c:>10}" for c in cells), flush=True)
        stages = {**ing["stages"], "workers' CPU (analysis)": ing["workers_cpu"], "main CPU": ing["main_cpu"]}
        for stage, seconds in stages.items():
            stage_points.setdefault(stage, []).append((n, seconds))
        stage_rows.append(
            f"{n:>8} articles: "
            + ", ".join(f"{stage} {seconds:.1f} s" for stage, seconds in stages.items())
            + f"; both cores busy {ing['utilisation']:.0%}"
        )
        print(f"  {stage_rows[-1].strip()}", file=sys.stderr, flush=True)  # as it goes: big sizes take long
    print("ingest by stage (main process wall-clock seconds; CPU seconds where named):")
    print("\n".join(stage_rows))
    if len(sizes) > 1:
        print(
            f"growth exponent b (time ~ n^b): ingest {_exponent(ingest_points):.2f}"
            + (f", timeline {_exponent(timeline_points):.2f}" if len(timeline_points) > 1 else "")
        )
        exponents = (
            f"{stage} {_exponent(points):.2f}"
            for stage, points in stage_points.items()
            if min(p[1] for p in points) > 0
        )
        print("by stage: " + ", ".join(exponents))


if __name__ == "__main__":
    main()
