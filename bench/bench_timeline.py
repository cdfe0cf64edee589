"""Timeline metrics against the Vietnamese reference timelines in eval/timeline/ (see its README).

Every `*.json` there is a reference; eval/timeline/split.toml says which are for development (dev)
and which are held out (test: scored once at the end, never used for a choice). Input per name:
`seeds` = ../shared/corpus/seeds; `cluster_<id>` = that MDS cluster; `digest_<start>_<end>` = every
article of the MDS development half whose TIME lies from start to end inclusive (and the systems'
span is that window). Each corpus goes through the product: the seeds are ingested from their
folder, MDS articles from a JSONL export (text, title and the TIME of `.info.txt` as the stated
publication date). As in the timeline-summarisation literature, every system is asked for as many
dates as the reference has, and for the reference's mean number of sentences per date.

Systems (bench/datewise.py for the two baselines, the same code as bench_t17):
- ours: `timeline.build`;
- DATEWISE (Gholipour Ghalandari & Ifrim 2020) with its heuristic mention-count date ranker;
- DATEWISE's summaries on the days `timeline`'s date ranker puts first;
- publication-date lead.

Metrics, on syllables (`rouge.VIETNAMESE`): AR-1/AR-2 (tilse's align+ m:1 ROUGE F), date F1, and
align-1/align-2 (tilse's one-to-one align); means over timelines as tilse takes them (F of mean
precision and mean recall), with 95% percentile-bootstrap intervals over the timelines, and
ours vs DATEWISE per timeline (wins/ties/losses).

    .venv/bin/python bench/bench_timeline.py [--part dev|test|all] [names…]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import tomllib
from collections.abc import Callable
from datetime import date
from pathlib import Path
from statistics import mean

import datewise
import mds

from nienbieu import pipeline, rouge, summarize, timeline
from nienbieu.models import Article
from nienbieu.store import Store

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT / ".." / "shared"
GOLD = ROOT / "eval" / "timeline"
METRICS = ("ar-1", "ar-2", "date", "align-1", "align-2")
RESAMPLES = 2000

Span = tuple[date | None, date | None]


def split() -> dict[str, str]:
    """Reference name -> "dev" | "test"."""
    parts = tomllib.loads((GOLD / "split.toml").read_text(encoding="utf-8"))
    return {name: part for part in ("dev", "test") for name in parts.get(part, [])}


def _export(bodies: list[Path], path: Path) -> Path:
    rows = []
    for body in bodies:
        fields = mds.info(body)
        row = {"text": body.read_text(encoding="utf-8"), "title": mds.title(fields)}
        if when := mds.published(fields):
            row["published"] = when.isoformat()
        rows.append(json.dumps(row, ensure_ascii=False))
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def _window(name: str) -> Span:
    if name.startswith("digest_"):
        _, start, end = name.split("_")
        return date.fromisoformat(start), date.fromisoformat(end)
    return None, None


def corpus(name: str, folder: Path) -> list[Article]:
    if name == "seeds":
        source = SHARED / "corpus" / "seeds"
    elif name.startswith("digest_"):
        start, end = _window(name)
        bodies = []
        for body in sorted(mds.CLUSTERS.glob("*/*.body.txt")):
            when = mds.published(mds.info(body))
            if when and start and end and start <= when.date() <= end:
                bodies.append(body)
        source = _export(bodies, folder / f"{name}.jsonl")
    else:
        source = _export(sorted((mds.CLUSTERS / name).glob("*.body.txt")), folder / f"{name}.jsonl")
    with Store(folder / f"{name}.db") as store:
        pipeline.ingest_paths([source], store)
        return store.articles()


System = Callable[[list[Article], int, int, Span], dict[str, list[str]]]


def ours(articles: list[Article], dates: int, sentences: int, span: Span) -> dict[str, list[str]]:
    entries = timeline.build(articles, dates=dates, sentences=sentences, start=span[0], end=span[1])
    return {e.date: e.sentences for e in entries}


def run_datewise(articles: list[Article], dates: int, sentences: int, span: Span) -> dict[str, list[str]]:
    return datewise.datewise(articles, dates, sentences, span[0], span[1], stopwords=summarize.stopwords())


def datewise_on_ours(articles: list[Article], dates: int, sentences: int, span: Span) -> dict[str, list[str]]:
    ranking = datewise.ranked_days(articles, None, span[0], span[1])
    return datewise.datewise(
        articles, dates, sentences, span[0], span[1], stopwords=summarize.stopwords(), ranking=ranking
    )


def lead(articles: list[Article], dates: int, sentences: int, span: Span) -> dict[str, list[str]]:
    return datewise.publication_lead(articles, dates, sentences)


SYSTEMS: dict[str, System] = {
    "ours": ours,
    "DATEWISE": run_datewise,
    "DATEWISE on our dates": datewise_on_ours,
    "publication-date lead": lead,
}


def score(system: dict[str, list[str]], reference: dict[str, list[str]]) -> dict[str, rouge.Score]:
    return {
        "ar-1": rouge.align_rouge(system, reference, 1, content=True, many_to_one=True),
        "ar-2": rouge.align_rouge(system, reference, 2, content=True, many_to_one=True),
        "date": rouge.date_f1(system, reference),
        "align-1": rouge.align_rouge(system, reference, 1),
        "align-2": rouge.align_rouge(system, reference, 2),
    }


def bootstrap(rows: list[dict[str, rouge.Score]], metric: str) -> tuple[float, float]:
    rng = random.Random(17)
    values = sorted(
        rouge.average([rows[rng.randrange(len(rows))][metric] for _ in rows]).f1 for _ in range(RESAMPLES)
    )
    return values[int(0.025 * RESAMPLES)], values[int(0.975 * RESAMPLES) - 1]


def report(part: str, rows: dict[str, list[dict[str, rouge.Score]]]) -> None:
    count = len(next(iter(rows.values())))
    print(f"\n{part}: {count} timelines; F of mean P and mean R [95% bootstrap interval]")
    for system, scores in rows.items():
        cells = []
        for metric in METRICS:
            low, high = bootstrap(scores, metric)
            cells.append(
                f"{metric} {rouge.average([r[metric] for r in scores]).f1:.3f} [{low:.3f}, {high:.3f}]"
            )
        print(f"  {system:22s} " + "  ".join(cells))
    if "ours" in rows and "DATEWISE" in rows:
        tally = []
        for metric in METRICS:
            a = [r[metric].f1 for r in rows["ours"]]
            b = [r[metric].f1 for r in rows["DATEWISE"]]
            wins = sum(x > y + 1e-12 for x, y in zip(a, b, strict=True))
            losses = sum(y > x + 1e-12 for x, y in zip(a, b, strict=True))
            tally.append(f"{metric} {wins}/{len(a) - wins - losses}/{losses}")
        print("  ours vs DATEWISE, wins/ties/losses: " + "  ".join(tally))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--part", choices=("dev", "test", "all"), default="dev")
    parser.add_argument("names", nargs="*")
    args = parser.parse_args()
    parts = split()
    available = sorted(p.stem for p in GOLD.glob("*.json"))
    unlisted = [n for n in available if n not in parts]
    if unlisted:
        print(f"not in split.toml (scored with --part all only): {', '.join(unlisted)}", file=sys.stderr)
    names = args.names or [n for n in available if args.part == "all" or parts.get(n) == args.part]
    if not names:
        print(f"no reference of part {args.part} in {GOLD} yet")
        return
    table: dict[str, dict[str, list[dict[str, rouge.Score]]]] = {}
    print(f"{'reference':30s} {'part':5s} {'system':22s} " + " ".join(f"{m:>8s}" for m in METRICS))
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            reference = json.loads((GOLD / f"{name}.json").read_text(encoding="utf-8"))
            dates = len(reference)
            per_date = max(1, round(mean(len(v) for v in reference.values())))
            articles = corpus(name, Path(tmp))
            part = parts.get(name, "none")
            for system, build in SYSTEMS.items():
                scores = score(build(articles, dates, per_date, _window(name)), reference)
                table.setdefault(part, {}).setdefault(system, []).append(scores)
                print(
                    f"{name:30s} {part:5s} {system:22s} " + " ".join(f"{scores[m].f1:8.3f}" for m in METRICS)
                )
    for part in ("dev", "test", "none"):
        if part in table:
            report(part, table[part])


if __name__ == "__main__":
    main()
