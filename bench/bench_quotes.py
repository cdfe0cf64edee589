"""Quotations found and attributed on the MDS articles, against eval/quotes/gold.jsonl (issue 18).

Every article of the part's clusters goes through the product as `nienbieu eval quotes` runs it
(`clean.clean` with the TITLE and TIME of its `.info.txt`, `pipeline.analyze`, names linked
across the cluster); its quotes are located back in the body file and scored on body offsets
(`evaluation.score_quotes`). Beside it, in the same run, the baseline "nearest preceding person":
every quotation-mark span of at least 8 characters is a quote, said by the last PER mention (the
product's own NER on the same sentences) that ends before it in its own or the previous sentence.

Printed: the scores of both, each with a bootstrap 95% interval (10,000 resamples of the
articles, percentile), the paired difference ours − baseline with its interval, the table per
gold pattern, and a few errors of ours per kind and pattern.

    .venv/bin/python bench/bench_quotes.py [--part dev] [--examples N] [CLUSTERS]

`--part test` exists for the one final scoring of issue 18 and is not to be run before it.
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import mds
import numpy as np

from nienbieu import evaluation
from nienbieu.evaluation import QuoteArticle, QuoteScores

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "eval" / "quotes" / "gold.jsonl"
SPLIT = ROOT / "eval" / "quotes" / "split.toml"
RESAMPLES = 10_000

# Per-article counts, summed over a resample: detection tp, reported, gold, attribution tp.
Counts = np.ndarray
Metric = Callable[[Counts], np.ndarray]


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    return np.divide(num, den, out=np.zeros_like(num, dtype=float), where=den > 0)


def _f1(p: np.ndarray, r: np.ndarray) -> np.ndarray:
    return _ratio(2 * p * r, p + r)


METRICS: dict[str, Metric] = {
    "detection P": lambda c: _ratio(c[..., 0], c[..., 1]),
    "detection R": lambda c: _ratio(c[..., 0], c[..., 2]),
    "detection F1": lambda c: _f1(_ratio(c[..., 0], c[..., 1]), _ratio(c[..., 0], c[..., 2])),
    "speaker accuracy": lambda c: _ratio(c[..., 3], c[..., 0]),
    "attribution P": lambda c: _ratio(c[..., 3], c[..., 1]),
    "attribution R": lambda c: _ratio(c[..., 3], c[..., 2]),
    "attribution F1": lambda c: _f1(_ratio(c[..., 3], c[..., 1]), _ratio(c[..., 3], c[..., 2])),
}


def counts(articles: list[QuoteArticle]) -> np.ndarray:
    rows = []
    for article in articles:
        s = evaluation.score_quote_article(article)
        rows.append([s.detection.tp, s.detection.predicted, s.detection.gold, s.attribution.tp])
    return np.array(rows, dtype=float)


def intervals(systems: dict[str, np.ndarray], seed: int = 18) -> None:
    """Each metric of each system with its interval, then ours − baseline, paired: one set of
    resampled articles serves every system."""
    n = len(next(iter(systems.values())))
    picks = np.random.default_rng(seed).integers(0, n, size=(RESAMPLES, n))
    names = list(systems)
    print(f"\n{'':18s}" + "".join(f"{name:>28s}" for name in names) + f"{'ours − baseline':>28s}")
    for label, metric in METRICS.items():
        cells, samples = [], {}
        for name in names:
            whole = float(metric(systems[name].sum(axis=0)))
            samples[name] = metric(systems[name][picks].sum(axis=1))
            low, high = np.percentile(samples[name], [2.5, 97.5])
            cells.append(f"{whole:.3f} [{low:.3f}, {high:.3f}]")
        diff = samples["ours"] - samples["baseline"]
        whole = float(metric(systems["ours"].sum(axis=0)) - metric(systems["baseline"].sum(axis=0)))
        low, high = np.percentile(diff, [2.5, 97.5])
        cells.append(f"{whole:+.3f} [{low:+.3f}, {high:+.3f}]")
        print(f"{label:18s}" + "".join(f"{c:>28s}" for c in cells))


def pattern_table(results: dict[str, QuoteScores]) -> None:
    print("\n| pattern | gold | ours: detected | right speaker | baseline: detected | right speaker |")
    print("|---|---|---|---|---|---|")
    for pattern in evaluation.QUOTE_PATTERNS:
        ours, base = results["ours"].by_pattern[pattern], results["baseline"].by_pattern[pattern]
        cells = [ours.gold, ours.detected, ours.correct, base.detected, base.correct]
        print(f"| {pattern} | " + " | ".join(map(str, cells)) + " |")


def examples(scores: QuoteScores, per_group: int) -> None:
    groups = Counter((e["kind"], e.get("pattern", "")) for e in scores.errors)
    print(
        "\nerrors of ours by kind and pattern: "
        + ", ".join(f"{k} {p} {n}".replace("  ", " ") for (k, p), n in sorted(groups.items()))
    )
    shown: Counter[tuple[str, str]] = Counter()
    for e in scores.errors:
        key = (e["kind"], e.get("pattern", ""))
        if shown[key] >= per_group:
            continue
        shown[key] += 1
        print(
            f"- {e['kind']} {key[1]} [{e['article']}] gold: {e.get('gold', '-')} | ours: {e.get('system')}"
            f"\n    …{e['context']}…"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clusters", nargs="?", type=Path, default=mds.CLUSTERS)
    parser.add_argument("--part", default="dev", choices=("dev", "test", "all"))
    parser.add_argument("--examples", type=int, default=2, help="errors shown per kind and pattern")
    args = parser.parse_args()
    names = evaluation.read_split(SPLIT, args.part)
    gold = evaluation.quote_articles(evaluation.read_quote_gold(GOLD), args.clusters, names)
    systems = evaluation.analyse_quotes(gold, args.clusters)
    results = {name: evaluation.score_quotes(articles) for name, articles in systems.items()}
    print(f"part {args.part}: {len(names)} clusters ({SPLIT.relative_to(ROOT)})")
    print(evaluation.quotes_report(results))
    print(f"\nbootstrap 95% intervals, {RESAMPLES:,} resamples of the {len(gold)} articles (percentile)")
    intervals({name: counts(articles) for name, articles in systems.items()})
    pattern_table(results)
    examples(results["ours"], args.examples)


if __name__ == "__main__":
    main()
