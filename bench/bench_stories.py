"""Story detection on the Vietnamese MDS clusters, next to baselines computed in the same run.

All MDS dev clusters go into one pile; the gold story of an article is its cluster. Each
article goes through the product's own pipeline once (ingested from a JSONL export with the
title and time of its `.info.txt`; cached in out/bench_stories/). Clusters are split as the
other MDS benches split them: half 0 (even positions in sorted order) is where thresholds and
weights are chosen, half 1 is only reported. Each half is clustered as a pile of its own.

Systems:
- singletons: one story per article; all-in-one: one story;
- single-pass TF-IDF: articles in date order, each joins the story whose summed TF-IDF centroid
  is most similar (cosine) if it reaches a threshold (Allan et al. 1998's single-pass
  clustering, the plain form of Miranda et al. 2018);
- average-link: batch agglomerative clustering of the TF-IDF vectors (mean pairwise cosine),
  merged while the best pair reaches a threshold;
- ours: `nienbieu.stories` (content terms, names, time), online.

Metrics: B-cubed precision, recall and F1 (Bagga & Baldwin 1998: per-article precision and
recall, averaged over articles; F1 of the averages) and the adjusted Rand index (Hubert & Arabie
1985). Bootstrap 95% intervals of B-cubed F1 resample clusters.

    .venv/bin/python bench/bench_stories.py
"""

from __future__ import annotations

import json
import random
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

import mds
import numpy as np

from nienbieu import pipeline, stories, summarize
from nienbieu.models import Article
from nienbieu.store import Store

CACHE = Path(__file__).resolve().parents[1] / "out" / "bench_stories"
Labels = dict[str, int]


def corpus(clusters: Path = mds.CLUSTERS) -> tuple[list[Article], dict[str, str]]:
    """Every MDS article as the store keeps it, and its gold cluster; analysed once (cached)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    db = CACHE / "mds.db"
    export = CACHE / "mds.jsonl"
    if not export.exists():
        rows = []
        for folder in sorted(clusters.iterdir()):
            for body in sorted(folder.glob("*.body.txt")):
                fields = mds.info(body)
                when = mds.published(fields)
                text = body.read_text(encoding="utf-8")
                key = f"{folder.name}/{body.name.split('.')[0]}"
                rows.append({"id": key, "text": text, "title": mds.title(fields),
                             "published": when.isoformat() if when else None})  # fmt: skip
        export.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    with Store(db) as store:  # analyses only what an earlier run did not store
        pipeline.ingest_paths([export], store)
    with Store(db, readonly=True) as store:
        articles = store.articles()
        gold = {
            article: key.split(":", 1)[1].split("/")[0]
            for key, article in store.conn.execute("SELECT key, article_id FROM sources")
        }
    return articles, gold


# --- metrics ------------------------------------------------------------------------------------


def adjusted_rand(pred: Labels, gold: dict[str, str], only: set[str]) -> float:
    """ARI over the pairs of articles in `only`."""
    pairs = lambda n: n * (n - 1) / 2  # noqa: E731
    table = Counter((pred[i], gold[i]) for i in only)
    index = sum(pairs(n) for n in table.values())
    a = sum(pairs(n) for n in Counter(pred[i] for i in only).values())
    b = sum(pairs(n) for n in Counter(gold[i] for i in only).values())
    expected = a * b / pairs(len(only))
    best = (a + b) / 2
    return (index - expected) / (best - expected) if best != expected else 1.0


# --- systems ------------------------------------------------------------------------------------


def singletons(articles: Sequence[Article], _: float) -> Labels:
    return {a.id: i for i, a in enumerate(articles)}


def all_in_one(articles: Sequence[Article], _: float) -> Labels:
    return {a.id: 0 for a in articles}


def _vectors(articles: Sequence[Article]) -> list[summarize.SparseVector]:
    return summarize.sparse_vectors([" ".join(s.text for s in a.sentences) for a in articles])[0]


def single_pass(articles: Sequence[Article], threshold: float) -> Labels:
    """The plain TF-IDF single pass: articles in date order, each joins the story whose centroid
    (the mean of its members' vectors) has the highest cosine with it, if that reaches
    `threshold`; no time."""
    order = sorted(range(len(articles)), key=lambda i: (articles[i].published is None, _day(articles[i]), i))
    vectors = _vectors(articles)
    centroids: list[dict[str, float]] = []
    found: Labels = {}
    for i in order:
        scored = [(summarize.cosine(vectors[i], _unit(c)), k) for k, c in enumerate(centroids)]
        best, k = max(scored, default=(0.0, -1))
        if k < 0 or best < threshold:
            k = len(centroids)
            centroids.append({})
        for term, weight in vectors[i].items():
            centroids[k][term] = centroids[k].get(term, 0.0) + weight
        found[articles[i].id] = k
    return found


def _unit(v: dict[str, float]) -> dict[str, float]:
    norm = sum(w * w for w in v.values()) ** 0.5 or 1.0
    return {t: w / norm for t, w in v.items()}


def _day(article: Article) -> str:
    return article.published.date().isoformat() if article.published else ""


def average_link(articles: Sequence[Article], threshold: float) -> Labels:
    """Batch agglomerative clustering: merge the two groups with the highest mean pairwise cosine
    while it reaches `threshold` (Lance-Williams update of the group similarities); no time."""
    vectors = _vectors(articles)
    n = len(articles)
    sim = np.array([[summarize.cosine(vectors[a], vectors[b]) for b in range(n)] for a in range(n)])
    np.fill_diagonal(sim, -np.inf)
    size = np.ones(n)
    alive = np.ones(n, dtype=bool)
    members = {i: [i] for i in range(n)}
    while alive.sum() > 1:
        masked = np.where(alive[:, None] & alive[None, :], sim, -np.inf)
        a, b = np.unravel_index(np.argmax(masked), masked.shape)
        if masked[a, b] < threshold:
            break
        merged = (size[a] * sim[a] + size[b] * sim[b]) / (size[a] + size[b])
        sim[a], sim[:, a] = merged, merged
        sim[a, a] = -np.inf
        size[a] += size[b]
        alive[b] = False
        members[a] += members.pop(b)
    return {articles[i].id: g for g, group in enumerate(members.values()) for i in group}


def ours(time_scale: float) -> Callable[[Sequence[Article], float], Labels]:
    def run(articles: Sequence[Article], threshold: float) -> Labels:
        return stories.cluster(articles, stories.Params(threshold, time_scale))

    return run


# --- the run ------------------------------------------------------------------------------------


def halves(gold: dict[str, str]) -> dict[str, set[str]]:
    """The articles of each half of the clusters (even and odd positions in sorted order)."""
    clusters = sorted(set(gold.values()))
    part = {c: i % 2 for i, c in enumerate(clusters)}
    return {
        "half 0 (tuning)": {i for i, c in gold.items() if part[c] == 0},
        "half 1 (held out)": {i for i, c in gold.items() if part[c] == 1},
        "all": set(gold),
    }


THRESHOLDS = [round(0.02 * k, 2) for k in range(2, 16)]


def tune(system: Callable[[Sequence[Article], float], Labels], items, gold, only) -> tuple[float, float]:
    """The threshold with the best B-cubed F1 on the articles `only` (the tuning half), the
    whole pile clustered; and that F1."""
    scored = [(bcubed(system(items, t), gold, only)[2], t) for t in THRESHOLDS]
    f1, threshold = max(scored)
    return threshold, f1


def per_item(
    pred: Labels, gold: dict[str, str], only: set[str] | None = None
) -> dict[str, tuple[float, float]]:
    """Each article's B-cubed precision and recall; `only`: just these articles' (their stories
    still hold the others: a story mixing in an article of the other half costs precision)."""
    by_pred: dict[int, set[str]] = defaultdict(set)
    by_gold: dict[str, set[str]] = defaultdict(set)
    for item, label in pred.items():
        by_pred[label].add(item)
        by_gold[gold[item]].add(item)
    found = {}
    for item in only if only is not None else pred:
        same = len(by_pred[pred[item]] & by_gold[gold[item]])
        found[item] = (same / len(by_pred[pred[item]]), same / len(by_gold[gold[item]]))
    return found


def bcubed(pred: Labels, gold: dict[str, str], only: set[str] | None = None) -> tuple[float, float, float]:
    scores = per_item(pred, gold, only).values()
    p = sum(s[0] for s in scores) / len(scores)
    r = sum(s[1] for s in scores) / len(scores)
    return p, r, 2 * p * r / (p + r) if p + r else 0.0


def bootstrap(pred: Labels, gold: dict[str, str], only: set[str], rounds: int = 2000) -> tuple[float, float]:
    """95% interval of B-cubed F1 over gold clusters drawn with replacement (each article keeping
    the precision and recall the whole run gave it)."""
    scores = per_item(pred, gold, only)
    by_cluster: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for item, score in scores.items():
        by_cluster[gold[item]].append(score)
    clusters = list(by_cluster.values())
    rng = random.Random(13)
    found = []
    for _ in range(rounds):
        drawn = [s for _ in clusters for s in rng.choice(clusters)]
        p = sum(s[0] for s in drawn) / len(drawn)
        r = sum(s[1] for s in drawn) / len(drawn)
        found.append(2 * p * r / (p + r))
    found.sort()
    return found[int(0.025 * rounds)], found[int(0.975 * rounds)]


TIME_SCALES = (3.0, 10.0, 30.0, 100.0, float("inf"))


def main() -> None:
    items, gold = corpus(Path(sys.argv[1]) if len(sys.argv) > 1 else mds.CLUSTERS)
    parts = halves(gold)
    tuning = parts["half 0 (tuning)"]
    print("ours on half 0, B-cubed F1 by time scale (days) and threshold:")
    results = []
    for time_scale in TIME_SCALES:
        threshold, f1 = tune(ours(time_scale), items, gold, tuning)
        results.append((f1, -time_scale, threshold))
        print(f"  time scale {time_scale:>5}: best threshold {threshold:.2f}, F1 {f1:.4f}")
    # a tie goes to the longest time scale: the simpler model, and stories may run over years
    best_f1 = max(f1 for f1, _, _ in results)
    f1, time_scale, our_threshold = min(r for r in results if r[0] == best_f1)
    time_scale = -time_scale
    print(f"chosen: time scale {time_scale} days, threshold {our_threshold} (the module's constants: "
          f"{stories.TIME_SCALE}, {stories.THRESHOLD})")  # fmt: skip
    systems = {
        "singletons": (singletons, 0.0),
        "all-in-one": (all_in_one, 0.0),
        "single-pass TF-IDF": (single_pass, tune(single_pass, items, gold, tuning)[0]),
        "average-link": (average_link, tune(average_link, items, gold, tuning)[0]),
        "ours": (ours(time_scale), our_threshold),
    }
    predictions = {name: system(items, threshold) for name, (system, threshold) in systems.items()}
    print(f"\none pile of {len(items)} articles, {len(set(gold.values()))} clusters; scores over those of")
    for label, only in parts.items():
        print(f"\n{label}: {len(only)} articles, {len({gold[i] for i in only})} clusters")
        print(f"{'system':20s} threshold  B3-P    B3-R    B3-F1  (95% CI)         ARI     stories")
        for name, pred in predictions.items():
            p, r, f = bcubed(pred, gold, only)
            low, high = bootstrap(pred, gold, only)
            print(f"{name:20s} {systems[name][1]:9.2f}  {p:.4f}  {r:.4f}  {f:.4f} ({low:.3f}–{high:.3f})  "
                  f"{adjusted_rand(pred, gold, only):.4f}  {len({pred[i] for i in only})}")  # fmt: skip
    held_out = parts["half 1 (held out)"]
    ours_f1 = per_item(predictions["ours"], gold, held_out)
    for base in ("single-pass TF-IDF", "average-link"):
        theirs = per_item(predictions[base], gold, held_out)
        wins = sum(sum(ours_f1[i]) > sum(theirs[i]) for i in held_out)
        losses = sum(sum(ours_f1[i]) < sum(theirs[i]) for i in held_out)
        print(f"held out, per article (B-cubed P + R), ours vs {base}: better {wins}, worse {losses}")


if __name__ == "__main__":
    main()
