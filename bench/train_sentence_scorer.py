"""Trains `timeline`'s sentence scorer (a ridge regression over `timeline.SENTENCE_FEATURES`) on
Timeline17 and writes src/nienbieu/data/sentence_scorer.toml.

Rows: for each of the 19 gold timelines, each gold date `timeline.assign` finds in its input (the
articles bench_t17 gives `timeline.build`), the date's first set of candidate lines
(`timeline.candidate_lines`) that the topic's keyword filter and `summarize.is_summary_material`
let through; the target is the line's ROUGE-1 F against the gold summary of that date
(ROUGE-1.5.5 -m -s units), less the mean of its date's lines: a date's lines compete with each
other only. Each timeline weighs the same in the loss, and each of its dates the same.

`held_out(topic)` is the model trained without that topic: bench_t17 scores each topic with it
(leave-one-topic-out). The shipped model is trained on all nine topics; the Vietnamese benches use
it (no Vietnamese data is trained on).

    .venv/bin/python bench/train_sentence_scorer.py      # prints LOTO line choice, writes the model
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import bench_t17
import numpy as np

from nienbieu import rouge, summarize, timeline

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "src" / "nienbieu" / "data" / "sentence_scorer.toml"
L2 = 1.0

Date = tuple[np.ndarray, np.ndarray, int]  # features, target, k
Rows = list[tuple[str, list[Date]]]  # (topic, its dates) per gold timeline


@cache
def rows() -> Rows:
    articles = bench_t17.load_articles()
    english = rouge.english()
    out: Rows = []
    for gold in bench_t17.load_golds():
        start, end = gold.span
        pool = [a for a in articles[gold.topic] if a.published and start <= a.published.date() <= end]
        buckets, leads = timeline.assign(pool), timeline._leads(pool)
        idf = timeline._Idf([s.text for a in pool for s in a.sentences])
        keep = bench_t17.has_keyword(gold.keywords)
        k = round(sum(map(len, gold.reference.values())) / len(gold.reference))
        dates = []
        for key, summary in gold.reference.items():
            if key not in buckets:
                continue
            lines = [
                d
                for d in timeline.candidate_lines(key, buckets[key], leads)[0]
                if keep(d.sentence) and summarize.is_summary_material(d.sentence)
            ]
            if len(lines) < 2:
                continue
            found = timeline.pool(key, lines, idf)
            reference = " ".join(summary)
            target = np.array([rouge.rouge_n(d.sentence.text, reference, 1, english).f1 for d in lines])
            dates.append((found.features, target - target.mean(), k))
        out.append((gold.topic, dates))
    return out


def fit(data: Rows) -> timeline.Linear:
    # features centred per date too: a within-date regression, as only a date's lines compete
    x = np.vstack([features - features.mean(axis=0) for _, dates in data for features, _, _ in dates])
    y = np.concatenate([target for _, dates in data for _, target, _ in dates])
    weight = np.concatenate(
        [np.full(len(t), 1 / (len(t) * len(dates))) for _, dates in data if dates for _, t, _ in dates]
    )
    # the target is centred per date, so a bias would only say which pools are large: none
    gram = (x * weight[:, None]).T @ x + L2 * np.eye(x.shape[1]) / len(data)
    w = np.linalg.solve(gram, (x * weight[:, None]).T @ y)
    return timeline.Linear(tuple(float(v) for v in w), 0.0)


@cache
def held_out(topic: str) -> timeline.Linear:
    return fit([r for r in rows() if r[0] != topic])


def main() -> None:
    centroid = timeline.Linear(tuple(float(f == "centroid_similarity") for f in timeline.SENTENCE_FEATURES))
    gains: dict[str, list[float]] = {"learned (LOTO)": [], "centroid similarity": []}
    for topic, dates in rows():
        for name, scorer in (("learned (LOTO)", held_out(topic)), ("centroid similarity", centroid)):
            for features, target, k in dates:
                best = np.argsort(-scorer.scores(features), kind="stable")[:k]
                gains[name].append(float(target[best].mean()))
    for name, values in gains.items():
        print(f"{name}: chosen lines' ROUGE-1 F above their date's mean {np.mean(values):+.4f}")
    model = fit(rows())
    names = ", ".join(f'"{n}"' for n in timeline.SENTENCE_FEATURES)
    weights = ", ".join(f"{w:.4f}" for w in model.weights)
    MODEL.write_text(
        "# timeline's sentence scorer: a ridge regression over these features (timeline.SENTENCE_FEATURES),\n"
        "# trained on all of Timeline17 by bench/train_sentence_scorer.py. Do not edit by hand.\n"
        f"features = [{names}]\nweights = [{weights}]\nbias = {model.bias:.4f}\n",
        encoding="utf-8",
    )
    weighed = dict(zip(timeline.SENTENCE_FEATURES, model.weights, strict=True))
    print(f"wrote {MODEL.relative_to(ROOT)}: {weighed}")


if __name__ == "__main__":
    main()
