"""Fit the briefing's sentence scorer (src/nienbieu/data/brief_model.toml) on the MDS train clusters.

Labels come from the two human references of each cluster; features are `summarize.BRIEF_FEATURES`
of the same candidate pool `summarize.rank` sees. The model is a linear score over standardised
features fitted as a per-cluster softmax (conditional logit: the label mass of a cluster spread over
its sentences, only the order within a cluster matters) by Newton steps in numpy, with an L2
penalty on every weight but the one of the hand-set score ("prior"): the stronger the penalty, the
closer the ranking stays to the hand-set one. Its few choices — the label, the penalty, the
redundancy threshold of the MMR step, when packing stops — are made on the dev clusters by the mean
ROUGE-2 F1 of the briefing as users get it (`summarize.brief`'s whole sentences in the budget);
scores within `TIE` of the best count as equal and the most regularised of them is taken (an
infinite penalty is the hand-set ranking alone). The test clusters of bench/mds_split.toml are
never read here.

Labels:
- precision: the share of a sentence's syllable bigrams found in a reference (mean of the two);
- copied: precision at least 0.5 (the references copy or lightly edit some article sentences);
- oracle: membership of a greedy oracle summary: sentences added while they raise the ROUGE-2 F1
  of the selection cut to the budget (mean of the two references).

    .venv/bin/python bench/train_brief.py [../shared/eval/vietnamese-mds/clusters]

writes src/nienbieu/data/brief_model.toml and prints the dev table it chose from.
"""

from __future__ import annotations

import itertools
import math
import sys
import tomllib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from statistics import mean

import mds
import numpy as np
from bench_mds import cluster_articles

from nienbieu import rouge, summarize

SPLIT = Path(__file__).resolve().with_name("mds_split.toml")
MODEL = Path(summarize.__file__).resolve().with_name("data") / "brief_model.toml"

LABELS = ("precision", "copied", "oracle")
# L2 penalty on the standardised weights but the prior's; infinity: the prior alone
STRENGTHS = (1.0, 10.0, 100.0, 1000.0, 10000.0, math.inf)
# Dev ROUGE-2 within this of the best counts as a tie, broken for the stronger penalty: 25 clusters
# cannot tell such differences apart, and the simpler model generalises better (issue 15).
TIE = 0.002
REDUNDANCIES = (0.2, 0.3, 0.5)
FILLS = (0.8, 1.0)  # `summarize.pack`: 1.0 scans every sentence for one that still fits


def split() -> dict[str, list[str]]:
    return tomllib.loads(SPLIT.read_text(encoding="utf-8"))


@dataclass
class Cluster:
    name: str
    refs: list[str]
    budget: int
    lengths: list[int]  # words of each pool sentence, as `summarize.brief` counts them
    texts: list[str]
    features: np.ndarray
    matrix: np.ndarray
    labels: dict[str, np.ndarray]


def bigrams(text: str) -> Counter[tuple[str, str]]:
    return Counter(itertools.pairwise(rouge.tokens(text)))


def precision_labels(texts: Sequence[str], refs: Sequence[str]) -> np.ndarray:
    ref_grams = [bigrams(r) for r in refs]
    out = []
    for text in texts:
        grams = bigrams(text)
        total = sum(grams.values())
        hits = [sum(min(c, ref[g]) for g, c in grams.items()) for ref in ref_grams]
        out.append(mean(h / total for h in hits) if total else 0.0)
    return np.array(out)


def rouge2(text: str, refs: Sequence[str], budget: int) -> float:
    return rouge.rouge_n(rouge.truncate(text, budget), refs, 2).f1


def oracle_labels(texts: Sequence[str], refs: Sequence[str], budget: int) -> np.ndarray:
    chosen: list[int] = []
    best = 0.0
    while True:
        current = " ".join(texts[i] for i in chosen)
        gains = [(rouge2(f"{current} {t}", refs, budget), i) for i, t in enumerate(texts) if i not in chosen]
        if not gains:
            break
        score, i = max(gains)
        if score <= best:
            break
        chosen.append(i)
        best = score
    labels = np.zeros(len(texts))
    labels[chosen] = 1.0
    return labels


def load(root: Path, names: Sequence[str]) -> list[Cluster]:
    clusters = []
    for name in names:
        folder = root / name
        refs = [r.read_text(encoding="utf-8") for r in sorted(folder.glob("*.ref[12].txt"))]
        budget = round(mean(len(rouge.tokens(r)) for r in refs))
        pool = summarize.candidate_pool(cluster_articles(folder))
        features, matrix = summarize.pool_features(pool)
        texts = [s.text for _, s in pool]
        precision = precision_labels(texts, refs)
        labels = {
            "precision": precision,
            "copied": (precision >= 0.5).astype(np.float64),
            "oracle": oracle_labels(texts, refs, budget),
        }
        lengths = [len(t.split()) for t in texts]
        clusters.append(Cluster(name, refs, budget, lengths, texts, features, matrix, labels))
    return clusters


def fit(xs: Sequence[np.ndarray], ys: Sequence[np.ndarray], strength: float) -> np.ndarray:
    """Weights of a conditional logit: maximise, over clusters, Σ_i t_i log softmax(x w)_i with
    t the cluster's labels normalised to sum to one, minus strength/2 · |w|² over every weight but
    the first (the prior). Newton's method: the loss is convex and there are a dozen weights."""
    d = xs[0].shape[1]
    weights = np.zeros(d)
    if math.isinf(strength):
        weights[0] = 1.0  # the prior alone: its scale does not change the order
        return weights
    penalty = np.full(d, strength)
    penalty[0] = 0.0
    targets = [(x, y / y.sum()) for x, y in zip(xs, ys, strict=True) if y.sum() > 0]
    for _ in range(100):
        gradient = penalty * weights
        hessian = np.diag(penalty) + 1e-9 * np.eye(d)
        for x, t in targets:
            s = x @ weights
            p = np.exp(s - s.max())
            p /= p.sum()
            gradient -= x.T @ (t - p)
            mean_row = p @ x
            hessian += (x * p[:, None]).T @ x - np.outer(mean_row, mean_row)
        step = np.linalg.solve(hessian, gradient)
        weights -= step
        if np.abs(step).max() < 1e-8:
            break
    return weights


def brief_text(cluster: Cluster, scores: np.ndarray, redundancy: float, fill: float) -> str:
    """What `summarize.brief` prints for these scores (order aside: ROUGE-1/2 ignore it)."""
    order = summarize.mmr(scores, cluster.matrix, k=len(scores), lam=1.0, max_similarity=redundancy)
    picked = summarize.pack([cluster.lengths[i] for i in order], cluster.budget, fill)
    return " ".join(cluster.texts[order[i]] for i in picked)


def main() -> None:
    args = sys.argv[1:]
    root = Path(args[0]) if args else mds.CLUSTERS
    parts = split()
    train, dev = load(root, parts["train"]), load(root, parts["dev"])
    x = np.vstack([c.features for c in train])
    center, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    results = []
    print(f"dev ({len(dev)} clusters): mean ROUGE-2 F1 of the brief, by redundancy r and fill f")
    grid = list(itertools.product(REDUNDANCIES, FILLS))
    print(f"{'label':10s} {'λ':>6s} " + " ".join(f"r={r:.1f},f={f:.1f}" for r, f in grid))
    for label, strength in itertools.product(LABELS, STRENGTHS):
        rows = [(c.features - center) / scale for c in train]
        weights = fit(rows, [c.labels[label] for c in train], strength)
        scores = [((c.features - center) / scale) @ weights for c in dev]
        row = []
        for redundancy, fill in grid:
            texts = [brief_text(c, s, redundancy, fill) for c, s in zip(dev, scores, strict=True)]
            r2 = mean(rouge2(t, c.refs, c.budget) for t, c in zip(texts, dev, strict=True))
            row.append(r2)
            results.append((r2, label, strength, redundancy, fill, weights))
        print(f"{label:10s} {strength:6g} " + " ".join(f"{r:11.4f}" for r in row))
    best = max(r[0] for r in results)
    ties = [r for r in results if r[0] >= best - TIE]
    r2, label, strength, redundancy, fill, weights = max(ties, key=lambda r: (r[2], r[0]))
    print(f"\nchosen on dev: label={label} λ={strength:g} redundancy={redundancy} fill={fill}", end=" ")
    print(f"(dev ROUGE-2 {r2:.4f})")
    for name, w in zip(summarize.BRIEF_FEATURES, weights, strict=True):
        print(f"  {name:18s} {w:+.3f}")
    write(label, strength, redundancy, fill, center, scale, weights, len(train))


def _floats(values: np.ndarray) -> str:
    return "[" + ", ".join(f"{float(v):.6g}" for v in values) + "]"


def write(
    label: str,
    strength: float,
    redundancy: float,
    fill: float,
    center: np.ndarray,
    scale: np.ndarray,
    weights: np.ndarray,
    clusters: int,
) -> None:
    names = ", ".join(f'"{n}"' for n in summarize.BRIEF_FEATURES)
    MODEL.write_text(
        "# The briefing's sentence scorer (nienbieu.summarize.brief_model). Written by\n"
        "#     .venv/bin/python bench/train_brief.py\n"
        f"# from the {clusters} train clusters of bench/mds_split.toml (per-cluster softmax, label\n"
        f'# "{label}", L2 λ = {strength:g}); label, λ, redundancy and fill chosen on the dev clusters.\n'
        + (
            "# λ = inf: on dev the prior alone (the hand-set score) was as good as any fitted\n"
            "# correction, so every other weight is 0 and the label does not matter.\n"
            if math.isinf(strength)
            else ""
        )
        + "# Do not edit by hand: re-run the script.\n\n"
        + "[model]\n"
        f"features = [{names}]\n"
        f"mean = {_floats(center)}\n"
        f"scale = {_floats(scale)}\n"
        f"weights = {_floats(weights)}\n"
        f"redundancy = {redundancy}\n"
        f"fill = {fill}\n",
        encoding="utf-8",
    )
    print(f"wrote {MODEL}")


if __name__ == "__main__":
    main()
