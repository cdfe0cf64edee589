"""ROUGE of the briefing on the Vietnamese MDS clusters, next to baselines computed in the same run.

Each article goes through the product's own cleaning and analysis (`clean.clean` with the title
and time of its `.info.txt`, then `pipeline.analyze`); every system sees the same sentences.
The word budget of a cluster is the mean length (syllables) of its two human references.

Systems:
- ours (ranked): `summarize.rank` order, sentences taken until the budget is filled, then cut
  to the budget — the same packing as every baseline below, so only the ranking differs;
- ours (brief): `summarize.brief` as users get it: whole sentences within the budget;
- authors' system: the original authors' machine summary (`*.sum.txt`);
- lead: first sentences of the documents, taken in turn;
- LexRank (Erkan & Radev 2004): TF-IDF cosine graph, threshold 0.1, PageRank, redundant
  sentences (cosine > 0.5 to a chosen one) skipped;
- TextRank (Mihalcea & Tarau 2004): PageRank over the word-overlap similarity
  |A∩B| / (log|A| + log|B|).

Scores: ROUGE-1/2/L F1 (syllables, diacritics kept) averaged over the two references, then over
clusters, for all clusters and for each half: the parameters of `summarize.rank` were chosen on
half 0 (clusters at even positions in sorted order), half 1 was not looked at while tuning.

    .venv/bin/python bench/bench_mds.py [../shared/eval/vietnamese-mds/clusters] [N clusters]
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from statistics import mean

import mds
import numpy as np

from nienbieu import clean, pipeline, rouge, summarize
from nienbieu.models import Article, RawDocument

System = Callable[[list[Article], int], str]


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


SYSTEMS: dict[str, System] = {
    "ours (ranked)": ours_ranked,
    "ours (brief)": ours_brief,
    "lead": lead,
    "LexRank": lexrank,
    "TextRank": textrank,
}


def main() -> None:
    args = sys.argv[1:]
    root = Path(args[0] if args else "../shared/eval/vietnamese-mds/clusters")
    folders = sorted(p for p in root.iterdir() if p.is_dir())[: int(args[1]) if len(args) > 1 else None]
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
    halves = {
        "all": slice(None),
        "half 0 (tuning)": slice(0, None, 2),
        "half 1 (held out)": slice(1, None, 2),
    }
    for label, part in halves.items():
        print(f"\n{label}: {len(folders[part])} clusters — ROUGE F1, mean over clusters")
        print(f"{'system':18s} ROUGE-1  ROUGE-2  ROUGE-L")
        for name, row in scores.items():
            cells = "   ".join(f"{mean(row[m][part]):.4f}" for m in ("rouge-1", "rouge-2", "rouge-l"))
            print(f"{name:18s} {cells}")
    ours, base = scores["ours (ranked)"]["rouge-2"], scores["lead"]["rouge-2"]
    wins = sum(a > b for a, b in zip(ours, base, strict=True))
    losses = sum(a < b for a, b in zip(ours, base, strict=True))
    print(f"\nROUGE-2, ours (ranked) vs lead: better on {wins}, worse on {losses} of {len(ours)} clusters")


if __name__ == "__main__":
    main()
