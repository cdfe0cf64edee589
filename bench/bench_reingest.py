"""Time of ingesting a folder again when nothing (or little) in it changed.

The folder holds N HTML pages and one JSONL export of R rows, distinct synthetic articles from
`bench_scale.synthesise` (sentences of the MDS articles drawn at random, dates shifted, 5%
undated; pages state their date in metadata). Each step runs `nienbieu ingest FOLDER -j J
--segmenter S` in a fresh process, on the same store, timed from start to exit:
- first: the whole folder into an empty store;
- unchanged: the same folder again (nothing changed);
- touched: every page touched (another mtime, same bytes), then the folder again;
- appended: ADDED rows appended to the export, then the folder again.

`--src` runs another checkout's code (its `src` folder), e.g. the code before a change:

    .venv/bin/python bench/bench_reingest.py [--files 2000] [--rows 500] [--workers 2] [--src DIR]
"""

from __future__ import annotations

import argparse
import html
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_scale import synthesise

ROOT = Path(__file__).resolve().parent.parent
ADDED = 20


def _page(row: dict[str, str]) -> str:
    """An article as a news site's HTML page, its date in metadata."""
    title = html.escape(row["title"])
    stated = row.get("published")
    meta = f'<meta property="article:published_time" content="{stated}">' if stated else ""
    body = "".join(f"<p>{html.escape(line)}</p>" for line in row["text"].split("\n"))
    return (
        f'<!doctype html><html><head><meta charset="utf-8">{meta}<title>{title}</title></head>'
        f"<body><h1>{title}</h1>{body}</body></html>"
    )


def write_folder(folder: Path, rows: list[dict[str, str]], files: int) -> Path:
    """The first `files` rows as pages, the rest as an export; returns the export."""
    folder.mkdir()
    for i, row in enumerate(rows[:files]):
        (folder / f"bài_{i:05d}.html").write_text(_page(row), encoding="utf-8")
    export = folder / "xuất.jsonl"
    append(export, rows[files:])
    return export


def append(export: Path, rows: list[dict[str, str]]) -> None:
    with export.open("a", encoding="utf-8") as f:
        f.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def ingest(folder: Path, db: Path, src: Path, workers: int, segmenter: str) -> tuple[float, dict]:
    """Seconds of one `nienbieu ingest --json` in a fresh process, and its report."""
    command = [sys.executable, "-c", "from nienbieu.cli import main; main()", "ingest", str(folder),
               "--db", str(db), "-j", str(workers), "--segmenter", segmenter, "--json"]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(src)}
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode not in (0, 3):
        raise SystemExit(done.stderr)
    return seconds, json.loads(done.stdout)


def _summary(report: dict) -> str:
    unchanged = report.get("unchanged", [])  # absent before the report counted them
    return (
        f"added {len(report['added'])}, already stored {len(report['already_stored'])}, "
        f"unchanged {sum(u['articles'] for u in unchanged)}, replaced {len(report['replaced'])}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--rows", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--segmenter", default="syllable")
    parser.add_argument("--src", type=Path, default=ROOT / "src")
    args = parser.parse_args()
    rows = list(synthesise(args.files + args.rows + ADDED))
    with tempfile.TemporaryDirectory() as tmp:
        folder, db = Path(tmp) / "corpus", Path(tmp) / "store.db"
        export = write_folder(folder, rows[: args.files + args.rows], args.files)

        def step(name: str) -> None:
            seconds, report = ingest(folder, db, args.src.resolve(), args.workers, args.segmenter)
            print(f"{name:<18}{seconds:7.1f} s  ({_summary(report)})", flush=True)

        print(f"{args.files} HTML pages + an export of {args.rows} rows, -j {args.workers}, {args.segmenter}")
        step("first ingest")
        step("unchanged")
        touched = time.time_ns() - 3600 * 10**9  # an hour back: a future mtime would vouch for nothing
        for path in folder.glob("*.html"):
            os.utime(path, ns=(touched, touched))
        step("touched")
        append(export, rows[args.files + args.rows :])
        step(f"{ADDED} rows appended")


if __name__ == "__main__":
    main()
