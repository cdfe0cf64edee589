"""Trains `timeline`'s date ranker (a logistic regression over `timeline.DATE_FEATURES`) on
Timeline17 and writes src/nienbieu/data/date_ranker.toml.

Rows: for each of the 19 gold timelines, every date `timeline.assign` finds in its input (the
articles as bench_t17 gives them to `timeline.build`: published within the timeline's span, all
their sentences); label 1 when the gold timeline has the date. Dates outside the span (years,
months, earlier events: never gold) are rows too: they teach the ranker what the span filter hides
from it, and what it meets on input without a span. Each timeline weighs
the same in the loss (its rows share a weight of 1), so iraq's 155 dates do not drown haiti's 11.
L2-regularised, fitted by Newton's method (numpy only).

`held_out(topic)` is the model trained without that topic: bench_t17 scores each topic with it
(leave-one-topic-out). The shipped model is trained on all nine topics; the Vietnamese benches use
it (no Vietnamese data is trained on).

    .venv/bin/python bench/train_date_ranker.py            # prints LOTO date F1, writes the model
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import bench_t17
import numpy as np

from nienbieu import rouge, timeline

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "src" / "nienbieu" / "data" / "date_ranker.toml"
L2 = 0.1
OUTSIDE = 0.1  # weight of a row outside the span against one inside


@cache
def rows() -> list[tuple[str, list[str], np.ndarray, np.ndarray, np.ndarray, int]]:
    """(topic, dates, features, labels, within the span, l) per gold timeline."""
    articles = bench_t17.load_articles()
    out = []
    for gold in bench_t17.load_golds():
        start, end = gold.span
        pool = [a for a in articles[gold.topic] if a.published and start <= a.published.date() <= end]
        buckets = timeline.assign(pool)
        features = timeline.date_features(buckets, pool)
        labels = np.array([float(k in gold.reference) for k in buckets])
        inside = np.array([timeline._within(k, start, end) for k in buckets])
        out.append((gold.topic, list(buckets), features, labels, inside, len(gold.reference)))
    return out


def fit(data: list[tuple[str, list[str], np.ndarray, np.ndarray, np.ndarray, int]]) -> timeline.DateRanker:
    x = np.vstack([np.hstack([f, np.ones((len(f), 1))]) for _, _, f, _, _, _ in data])
    y = np.concatenate([labels for _, _, _, labels, _, _ in data])
    weight = np.concatenate([np.where(inside, 1.0, OUTSIDE) / inside.sum() for _, _, _, _, inside, _ in data])
    w = np.zeros(x.shape[1])
    penalty = L2 * np.eye(x.shape[1])
    penalty[-1, -1] = 0.0  # the bias is not shrunk
    for _ in range(50):
        p = 1 / (1 + np.exp(-(x @ w)))
        gradient = x.T @ (weight * (p - y)) + penalty @ w
        hessian = (x * (weight * p * (1 - p))[:, None]).T @ x + penalty
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-9:
            break
    return timeline.DateRanker(tuple(float(v) for v in w[:-1]), float(w[-1]))


@cache
def held_out(topic: str) -> timeline.DateRanker:
    return fit([r for r in rows() if r[0] != topic])


def main() -> None:
    scores = []
    for topic, dates, features, labels, inside, size in rows():
        ranker = held_out(topic)
        ranked = [i for i in np.argsort(-ranker.scores(features), kind="stable") if inside[i]][:size]
        chosen = {dates[i] for i in ranked}
        gold = {d for d, label in zip(dates, labels, strict=True) if label}
        scores.append(rouge.Score(len(chosen & gold) / max(1, len(chosen)), len(chosen & gold) / size))
    print(f"leave-one-topic-out date F1 of the ranker alone (top l dates): {rouge.average(scores).f1:.3f}")
    model = fit(rows())
    names = ", ".join(f'"{n}"' for n in timeline.DATE_FEATURES)
    weights = ", ".join(f"{w:.4f}" for w in model.weights)
    MODEL.write_text(
        "# timeline's date ranker: a logistic regression over these features (see timeline.DATE_FEATURES),\n"
        "# trained on all of Timeline17 by bench/train_date_ranker.py. Do not edit by hand.\n"
        f"features = [{names}]\nweights = [{weights}]\nbias = {model.bias:.4f}\n",
        encoding="utf-8",
    )
    print(f"wrote {MODEL.relative_to(ROOT)}: {dict(zip(timeline.DATE_FEATURES, model.weights, strict=True))}")


if __name__ == "__main__":
    main()
