"""Fit quotation attribution's candidate scorer (src/nienbieu/data/quote_model.toml) on the dev part.

Every dev article goes through the product (`evaluation.analysed_clusters`); each quotation it
finds that matches a direct or partial gold quotation (`evaluation.match_quotes`) is one
example: its candidates (`attribution.candidate_sets`), labelled right when they name the gold
speaker (`evaluation.same_speaker`; "nobody" is right for an unnamed or unknown source). The
model is a linear score over `attribution.FEATURES` fitted as a softmax over each quotation's
candidates (conditional logit; several right candidates share the label) by Newton steps with
an L2 penalty `--l2`.

Cross-validation over dev clusters (`FOLDS` folds, clusters dealt in sorted order): each fold's
quotations are scored by a model fitted on the other folds. On those out-of-fold choices the
confidence is calibrated (a logistic of the margin between the best and the second candidate)
and the threshold chosen: the lowest confidence at which the speakers shown are right at least
`TARGET` of the time. The model written is fitted on all of dev, with that calibration and
threshold. The test part of eval/quotes/split.toml is never read here.

    .venv/bin/python bench/train_quotes.py [--l2 1.0] [--write]
"""

from __future__ import annotations

import argparse
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import mds
import numpy as np

from nienbieu import attribution, entities, evaluation
from nienbieu.attribution import FEATURES, Candidate
from nienbieu.evaluation import QuoteArticle

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "eval" / "quotes" / "gold.jsonl"
SPLIT = ROOT / "eval" / "quotes" / "split.toml"
MODEL = ROOT / "src" / "nienbieu" / "data" / "quote_model.toml"
FOLDS = 5
L2 = 1.0  # set before any fit, not chosen on the folds
TARGET = 0.9  # share of shown speakers that must be right (out of fold)
BINS = (0.0, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 1.0001)


@dataclass(slots=True)
class Example:
    cluster: str
    names: list[str | None]
    x: np.ndarray  # candidates × features
    right: np.ndarray  # candidates, bool


def vectors(found: Sequence[Candidate]) -> np.ndarray:
    return np.array([[c.features.get(f, 0.0) for f in FEATURES] for c in found], dtype=float)


def examples(part: str = "dev") -> list[Example]:
    names = evaluation.read_split(SPLIT, part)
    gold = evaluation.quote_articles(evaluation.read_quote_gold(GOLD), mds.CLUSTERS, names)
    out = []
    for a, article in evaluation.analysed_clusters(gold, mds.CLUSTERS):
        out.extend(article_examples(a, article.sentences))
    return out


def article_examples(a: QuoteArticle, sentences: list) -> list[Example]:
    quotes = entities.attribute_quotes(sentences)
    sets = list(attribution.candidate_sets(sentences, quotes))
    body = evaluation._Body(a.body)
    located = evaluation.locate_quotes(body, sentences, evaluation._place(body, sentences), quotes)
    kept = [(f, found) for f, (_, found) in zip(located, sets, strict=True) if f is not None and found]
    matched = evaluation.match_quotes([f for f, _ in kept], a.gold)
    out = []
    for i, (_, found) in enumerate(kept):
        if i not in matched or a.gold[matched[i]].kind not in evaluation.ATTRIBUTABLE:
            continue
        speaker = a.gold[matched[i]].speaker
        right = np.array([evaluation.same_speaker(speaker, c.name) for c in found])
        out.append(Example(a.id.split("/")[0], [c.name for c in found], vectors(found), right))
    return out


def fit(data: Sequence[Example], l2: float, steps: int = 100) -> np.ndarray:
    """Weights maximising Σ log P(a right candidate) − l2/2 |w|², softmax per quotation, by
    Newton steps. Quotations none of whose candidates is right teach nothing and are skipped."""
    usable = [e for e in data if e.right.any()]
    w = np.zeros(len(FEATURES))
    for _ in range(steps):
        grad, hess = -l2 * w, -l2 * np.eye(len(w))
        for e in usable:
            s = e.x @ w
            p = np.exp(s - s.max())
            p /= p.sum()
            q = p * e.right
            q /= q.sum()
            mean_p, mean_q = p @ e.x, q @ e.x
            grad += mean_q - mean_p
            # the curvature of the softmax alone: negative definite, so every step is uphill
            # (the log of a sum over several right candidates is not concave)
            hess -= (e.x * p[:, None]).T @ e.x - np.outer(mean_p, mean_p)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-6:
            break
    return w


def choose(e: Example, w: np.ndarray) -> tuple[int, float]:
    s = e.x @ w
    order = np.argsort(-s)
    margin = float(s[order[0]] - s[order[1]]) if len(s) > 1 else 10.0
    return int(order[0]), margin


def folds(part: str = "dev") -> dict[str, int]:
    """Each cluster of the part in one of FOLDS folds, dealt in sorted order."""
    return {c: i % FOLDS for i, c in enumerate(sorted(evaluation.read_split(SPLIT, part)))}


def fold_weights(data: Sequence[Example], l2: float) -> list[np.ndarray]:
    """For each fold, the weights fitted without its clusters."""
    fold = folds()
    return [fit([e for e in data if fold[e.cluster] != k], l2) for k in range(FOLDS)]


def out_of_fold(data: Sequence[Example], l2: float) -> list[tuple[bool, bool, float]]:
    """(right, named, margin) of each quotation's choice by a model fitted without its fold."""
    fold = folds()
    rows = []
    for k, w in enumerate(fold_weights(data, l2)):
        for e in data:
            if fold[e.cluster] == k:
                best, margin = choose(e, w)
                rows.append((bool(e.right[best]), e.names[best] is not None, margin))
    return rows


def calibrate(rows: Sequence[tuple[bool, bool, float]]) -> tuple[float, float]:
    """a, b of P(right) = logistic(a · margin + b), fitted on out-of-fold choices."""
    x = np.array([[r[2], 1.0] for r in rows])
    y = np.array([float(r[0]) for r in rows])
    theta = np.zeros(2)
    for _ in range(50):
        p = 1 / (1 + np.exp(-(x @ theta)))
        grad = x.T @ (y - p) - 1e-3 * theta
        hess = -(x * (p * (1 - p))[:, None]).T @ x - 1e-3 * np.eye(2)
        theta -= np.linalg.solve(hess, grad)
    return float(theta[0]), float(theta[1])


def threshold(confidences: np.ndarray, right: np.ndarray, named: np.ndarray) -> float:
    """The lowest confidence at which the named choices shown are right at least TARGET of the time."""
    for t in np.arange(0.0, 1.0, 0.01):
        shown = named & (confidences >= t)
        if shown.any() and right[shown].mean() >= TARGET:
            return round(float(t), 2)
    return 1.0


def reliability(confidences: np.ndarray, right: np.ndarray) -> None:
    print("\n| confidence | quotations | right | mean confidence |")
    print("|---|---|---|---|")
    for low, high in itertools.pairwise(BINS):
        inside = (confidences >= low) & (confidences < high)
        if inside.any():
            print(f"| {low:.2f}–{min(high, 1):.2f} | {inside.sum()} | {right[inside].mean():.3f} | "
                  f"{confidences[inside].mean():.3f} |")  # fmt: skip


def write(w: np.ndarray, calibration: tuple[float, float], cut: float, l2: float, n: int) -> None:
    def floats(values: Sequence[float]) -> str:
        return "[" + ", ".join(f"{v:.6g}" for v in values) + "]"

    MODEL.write_text(
        "# Quotation attribution's candidate scorer (nienbieu.attribution). Written by\n"
        "#     .venv/bin/python bench/train_quotes.py --write\n"
        f"# from {n} quotations of the dev part of eval/quotes (conditional logit, L2 {l2}); the\n"
        f"# calibration (confidence = logistic(a · margin + b)) and the threshold (shown speakers\n"
        f"# right ≥ {TARGET:.0%} of the time) from {FOLDS}-fold cross-validation over dev clusters.\n"
        "# Do not edit by hand: re-run the script.\n\n"
        "[model]\n"
        "features = [" + ", ".join(f'"{f}"' for f in FEATURES) + "]\n"
        f"weights = {floats(w)}\n"
        f"calibration = {floats(calibration)}\n"
        f"threshold = {cut}\n",
        encoding="utf-8",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--l2", type=float, default=L2)
    parser.add_argument("--write", action="store_true", help=f"write {MODEL.relative_to(ROOT)}")
    args = parser.parse_args()
    data = examples()
    reachable = sum(e.right.any() for e in data)
    print(f"dev: {len(data)} detected quotations, {reachable} with the gold speaker among the candidates")
    rows = out_of_fold(data, args.l2)
    right = np.array([r[0] for r in rows])
    named = np.array([r[1] for r in rows])
    margins = np.array([r[2] for r in rows])
    print(f"out of fold: speaker right {right.mean():.3f} ({right.sum()}/{len(right)})")
    a, b = calibrate(rows)
    confidences = 1 / (1 + np.exp(-(a * margins + b)))
    cut = threshold(confidences, right, named)
    shown = named & (confidences >= cut)
    print(f"calibration a={a:.4f} b={b:.4f}; threshold {cut}: {shown.sum()} of {named.sum()} named "
          f"choices shown, {right[shown].mean():.3f} of them right")  # fmt: skip
    reliability(confidences, right)
    w = fit(data, args.l2)
    print("\n| feature | weight |\n|---|---|")
    for f, v in zip(FEATURES, w, strict=True):
        print(f"| {f} | {v:+.3f} |")
    if args.write:
        write(w, (a, b), cut, args.l2, len(data))
        print(f"\nwrote {MODEL.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
