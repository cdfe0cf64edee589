"""ROUGE of the briefing on the Vietnamese MDS clusters, next to baselines computed in the same run.

Each article goes through the product's own cleaning and analysis (`clean.clean` with the title
and time of its `.info.txt`, then `pipeline.analyze`); every system sees the same sentences.
The word budget of a cluster is the mean length (syllables) of its two human references.

Systems:
- ours (ranked): `summarize.rank` order, sentences taken until the budget is filled, then cut
  to the budget — the same packing as every baseline below, so only the ranking differs;
- ours (brief): `summarize.brief` as users get it: whole sentences within the budget;
- hand-set (brief): the briefing before issue 15 (LexRank × exp(−index) × shape, MMR at 0.3,
  whole sentences, the scan stopped at 80% of the budget), for comparison;
- authors' system: the original authors' machine summary (`*.sum.txt`);
- lead: first sentences of the documents, taken in turn;
- LexRank (Erkan & Radev 2004): TF-IDF cosine graph, threshold 0.1, PageRank, redundant
  sentences (cosine > 0.5 to a chosen one) skipped;
- TextRank (Mihalcea & Tarau 2004): PageRank over the word-overlap similarity
  |A∩B| / (log|A| + log|B|).

Scores: ROUGE-1/2/L F1 (syllables, diacritics kept) averaged over the two references, then over
clusters, for each part of bench/mds_split.toml (train: the briefing scorer is fitted on it; dev:
its few choices are made on it; test: looked at once) and for all of them. For each of ours and
the hand-set briefing: the mean ROUGE-2 gain over lead with a paired bootstrap 95% interval
(10,000 resamples of the clusters, percentile), and the clusters where it is better and worse.

    .venv/bin/python bench/bench_mds.py [--parts=train,dev] [../shared/eval/vietnamese-mds/clusters]
"""

from __future__ import annotations

import math
import sys
import tomllib
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from statistics import mean

import mds
import numpy as np

from nienbieu import clean, pipeline, rouge, summarize
from nienbieu.models import Article, RawDocument

System = Callable[[list[Article], int], str]
SPLIT = Path(__file__).resolve().with_name("mds_split.toml")


def cluster_articles(folder: Path) -> list[Article]:
    articles = []
    for body in sorted(folder.glob("*.body.txt")):
        fields = mds.info(body)
        when = mds.published(fields)
        raw = RawDocument(
            source=str(body),
            text=body.read_text(encoding="utf-8"),
            title=mds.title(fields) or None,
            published=when.isoformat() if when else None,
        )
        article, _ = clean.clean(raw)
        articles.append(pipeline.analyze(article))
    return articles


def _sentences(articles: Iterable[Article]) -> list[str]:
    return [s.text for a in articles for s in a.sentences]


def fill(texts: Sequence[str], order: Iterable[int], budget: int) -> str:
    """Sentences in `order` until the budget is reached (the last one is cut by the scorer)."""
    picked, used = [], 0
    for i in order:
        if used >= budget:
            break
        picked.append(texts[i])
        used += len(rouge.tokens(texts[i]))
    return " ".join(picked)


def lead(articles: list[Article], budget: int) -> str:
    queues = [[s.text for s in a.sentences] for a in articles]
    order = [q[depth] for depth in range(max(map(len, queues), default=0)) for q in queues if depth < len(q)]
    return fill(order, range(len(order)), budget)


def lexrank(articles: list[Article], budget: int) -> str:
    texts = _sentences(articles)
    matrix = summarize.vectorize(texts)
    order = summarize.mmr(summarize.lexrank(matrix), matrix, len(texts), lam=1.0, max_similarity=0.5)
    return fill(texts, order, budget)


def textrank(articles: list[Article], budget: int) -> str:
    texts = _sentences(articles)
    words = [set(rouge.tokens(t)) for t in texts]
    n = len(texts)
    weights = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            if len(words[i]) > 1 and len(words[j]) > 1:
                overlap = len(words[i] & words[j]) / (math.log(len(words[i])) + math.log(len(words[j])))
                weights[i, j] = weights[j, i] = overlap
    totals = weights.sum(axis=1, keepdims=True)
    transition = weights / np.where(totals == 0, 1, totals)
    scores = np.full(n, 1 / n)
    for _ in range(100):
        updated = 0.15 / n + 0.85 * transition.T @ scores
        if np.abs(updated - scores).sum() < 1e-8:
            break
        scores = updated
    return fill(texts, np.argsort(-scores, kind="stable"), budget)


def ours_ranked(articles: list[Article], budget: int) -> str:
    ranked = [s.text for _, s in summarize.rank(articles)]
    return fill(ranked, range(len(ranked)), budget)


def ours_brief(articles: list[Article], budget: int) -> str:
    return " ".join(s.text for s in summarize.brief(articles, words=budget).sentences)


def handset_brief(articles: list[Article], budget: int) -> str:
    """The briefing before issue 15: LexRank × exp(−index) × shape, MMR at 0.3, whole sentences
    taken while they fit and the scan stopped once 80% of the budget is used."""
    pool = [s for a in articles for s in a.sentences if summarize.is_summary_material(s)]
    if not pool:
        return ""
    position = summarize.position_factor(np.array([s.index for s in pool]))
    shape = np.array([summarize.length_factor(s.text) * summarize.context_factor(s) for s in pool])
    matrix = summarize.vectorize([s.text for s in pool])
    scores = summarize.lexrank(matrix) * position * shape
    order = summarize.mmr(scores, matrix, k=len(pool), lam=1.0, max_similarity=0.3)
    picked, used = [], 0
    for i in order:
        n = len(pool[i].text.split())
        if used + n > budget:
            if used >= 0.8 * budget:
                break
            continue
        picked.append(pool[i].text)
        used += n
    return " ".join(picked)


SYSTEMS: dict[str, System] = {
    "ours (ranked)": ours_ranked,
    "ours (brief)": ours_brief,
    "hand-set (brief)": handset_brief,
    "lead": lead,
    "LexRank": lexrank,
    "TextRank": textrank,
}

METRICS = ("rouge-1", "rouge-2", "rouge-l")
RESAMPLES = 10_000


def gain_interval(ours: Sequence[float], base: Sequence[float], seed: int = 15) -> tuple[float, float, float]:
    """Mean paired gain and its bootstrap 95% interval (percentile), resampling clusters."""
    diff = np.array(ours) - np.array(base)
    rng = np.random.default_rng(seed)
    means = diff[rng.integers(0, len(diff), size=(RESAMPLES, len(diff)))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(diff.mean()), float(low), float(high)


def report(label: str, scores: dict[str, dict[str, list[float]]], members: list[int]) -> None:
    print(f"\n{label}: {len(members)} clusters — ROUGE F1, mean over clusters")
    print(f"{'system':18s} ROUGE-1  ROUGE-2  ROUGE-L")
    for name, row in scores.items():
        cells = "   ".join(f"{mean(row[m][i] for i in members):.4f}" for m in METRICS)
        print(f"{name:18s} {cells}")
    base = [scores["lead"]["rouge-2"][i] for i in members]
    for name in ("ours (ranked)", "ours (brief)", "hand-set (brief)"):
        ours = [scores[name]["rouge-2"][i] for i in members]
        gain, low, high = gain_interval(ours, base)
        wins = sum(a > b for a, b in zip(ours, base, strict=True))
        losses = sum(a < b for a, b in zip(ours, base, strict=True))
        print(
            f"  ROUGE-2 {name} − lead: {gain:+.4f} (95% CI {low:+.4f} … {high:+.4f}),"
            f" better on {wins}, worse on {losses}"
        )


def main() -> None:
    args = sys.argv[1:]
    parts = ("train", "dev", "test")
    if args and args[0].startswith("--parts="):
        parts = tuple(args.pop(0).removeprefix("--parts=").split(","))
    root = Path(args[0] if args else mds.CLUSTERS)
    split = tomllib.loads(SPLIT.read_text(encoding="utf-8"))
    names = sorted(n for part in parts for n in split[part])
    folders = [root / n for n in names]
    # scores[system][metric] -> one F1 per cluster, in folder order
    scores: dict[str, dict[str, list[float]]] = {}
    for folder in folders:
        refs = [r.read_text(encoding="utf-8") for r in sorted(folder.glob("*.ref[12].txt"))]
        budget = round(mean(len(rouge.tokens(r)) for r in refs))
        articles = cluster_articles(folder)
        outputs = {name: system(articles, budget) for name, system in SYSTEMS.items()}
        outputs["authors' system"] = next(folder.glob("*.sum.txt")).read_text(encoding="utf-8")
        for name, text in outputs.items():
            for metric, score in rouge.rouge(rouge.truncate(text, budget), refs).items():
                scores.setdefault(name, {}).setdefault(metric, []).append(score.f1)
    for part in parts:
        report(f"{part} ({SPLIT.name})", scores, [i for i, n in enumerate(names) if n in split[part]])
    if len(parts) > 1:
        report("all listed", scores, list(range(len(names))))


if __name__ == "__main__":
    main()
