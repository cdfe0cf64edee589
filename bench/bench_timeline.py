"""Timeline metrics against the reference timelines in eval/timeline/ (see its README).

Each corpus goes through the product: the seeds are ingested from ../shared/corpus/seeds, the MDS
clusters from a JSONL export of their articles (text, title and the TIME of `.info.txt` as the
stated publication date). As in the timeline-summarisation literature, every system is asked for
as many dates as the reference has, and for the reference's mean number of sentences per date.

Systems:
- ours: `timeline.build`;
- publication-date lead: the days most articles were published on, each summarised by the lead
  sentences of the articles published that day (the usual first baseline in TLS papers).

Metrics (`rouge.timeline_scores`): date F1, concatenation ROUGE-1/2, agreement ROUGE-1/2 and
alignment ROUGE-1/2 (Martschat & Markert 2017), F1.

    .venv/bin/python bench/bench_timeline.py
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections import Counter
from pathlib import Path
from statistics import mean

import mds

from nienbieu import pipeline, rouge, timeline
from nienbieu.models import Article
from nienbieu.store import Store

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT / ".." / "shared"
GOLD = ROOT / "eval" / "timeline"
METRICS = ("date", "concat-1", "concat-2", "agreement-1", "agreement-2", "align-1", "align-2")


def _cluster_export(cluster: Path, folder: Path) -> Path:
    rows = []
    for body in sorted(cluster.glob("*.body.txt")):
        fields = mds.info(body)
        row = {"text": body.read_text(encoding="utf-8"), "title": mds.title(fields)}
        if when := mds.published(fields):
            row["published"] = when.isoformat()
        rows.append(json.dumps(row, ensure_ascii=False))
    path = folder / f"{cluster.name}.jsonl"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def corpus(name: str, folder: Path) -> list[Article]:
    source = SHARED / "corpus" / "seeds" if name == "seeds" else _cluster_export(mds.CLUSTERS / name, folder)
    with Store(folder / f"{name}.db") as store:
        pipeline.ingest_paths([source], store)
        return store.articles()


def publication_lead(articles: list[Article], dates: int, sentences: int) -> dict[str, list[str]]:
    days = Counter(a.published.date().isoformat() for a in articles if a.published)
    out: dict[str, list[str]] = {}
    for day, _ in sorted(days.items(), key=lambda kv: (-kv[1], kv[0]))[:dates]:
        published = [a for a in articles if a.published and a.published.date().isoformat() == day]
        leads = [s.text for depth in range(3) for a in published for s in a.sentences[depth : depth + 1]]
        out[day] = leads[:sentences]
    return out


def ours(articles: list[Article], dates: int, sentences: int) -> dict[str, list[str]]:
    return {e.date: e.sentences for e in timeline.build(articles, dates=dates, sentences=sentences)}


SYSTEMS = {"ours": ours, "publication-date lead": publication_lead}


def main() -> None:
    names = sys.argv[1:] or sorted(p.stem for p in GOLD.glob("*.json"))
    table: dict[str, dict[str, list[float]]] = {}
    print(f"{'corpus':12s} {'system':22s} " + " ".join(f"{m:>11s}" for m in METRICS))
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            reference = json.loads((GOLD / f"{name}.json").read_text(encoding="utf-8"))
            dates = len(reference)
            per_date = max(1, round(mean(len(v) for v in reference.values())))
            articles = corpus(name, Path(tmp))
            for system, build in SYSTEMS.items():
                scores = rouge.timeline_scores(build(articles, dates, per_date), reference)
                row = table.setdefault(system, {m: [] for m in METRICS})
                for m in METRICS:
                    row[m].append(scores[m].f1)
                print(f"{name:12s} {system:22s} " + " ".join(f"{scores[m].f1:>11.3f}" for m in METRICS))
    for system, row in table.items():
        print(f"{'mean':12s} {system:22s} " + " ".join(f"{mean(row[m]):>11.3f}" for m in METRICS))


if __name__ == "__main__":
    main()
