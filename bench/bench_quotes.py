"""Quotations found and attributed on the MDS articles, against eval/quotes/gold.jsonl (issue 18).

Every article of the part's clusters goes through the product as `nienbieu eval quotes` runs it
(`clean.clean` with the TITLE and TIME of its `.info.txt`, `pipeline.analyze`, names linked
across the cluster); its quotes are located back in the body file and scored on body offsets
(`evaluation.score_quotes`). Beside it, in the same run, the baseline "nearest preceding person":
every quotation-mark span of at least 8 characters is a quote, said by the last PER mention (the
product's own NER on the same sentences) that ends before it in its own or the previous sentence.

Systems: "ours" (speakers shown from the attribution threshold on), "ours, best guess" (the
candidate speaker whatever its confidence), the baseline; on dev the attribution scorer is
cross-validated (each cluster scored by weights fitted on the other folds, bench/train_quotes.py)
and the shipped model, fitted on all of dev, is shown beside it as in-sample.

Printed: the scores of each, with a bootstrap 95% interval (10,000 resamples of the articles,
percentile), the paired differences ours − baseline with their intervals, how many shown speakers
are right, the table per gold pattern, and a few errors of ours per kind and pattern.

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
import train_quotes

from nienbieu import attribution, evaluation
from nienbieu.attribution import FEATURES, QuoteModel
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
    """Each metric of each system with its interval, then each of ours − baseline, paired: one
    set of resampled articles serves every system."""
    n = len(next(iter(systems.values())))
    picks = np.random.default_rng(seed).integers(0, n, size=(RESAMPLES, n))
    names = list(systems)
    paired = [name for name in ("ours", "ours, best guess") if name in systems]
    heads = [*names, *(f"{name} − baseline" for name in paired)]
    print(f"\n{'':18s}" + "".join(f"{head:>28s}" for head in heads))
    for label, metric in METRICS.items():
        cells, samples = [], {}
        for name in names:
            whole = float(metric(systems[name].sum(axis=0)))
            samples[name] = metric(systems[name][picks].sum(axis=1))
            low, high = np.percentile(samples[name], [2.5, 97.5])
            cells.append(f"{whole:.3f} [{low:.3f}, {high:.3f}]")
        for name in paired:
            diff = samples[name] - samples["baseline"]
            whole = float(metric(systems[name].sum(axis=0)) - metric(systems["baseline"].sum(axis=0)))
            low, high = np.percentile(diff, [2.5, 97.5])
            cells.append(f"{whole:+.3f} [{low:+.3f}, {high:+.3f}]")
        print(f"{label:18s}" + "".join(f"{c:>28s}" for c in cells))


def pattern_table(results: dict[str, QuoteScores]) -> None:
    """Per gold pattern: the quotations each system detects / detects with the right speaker."""
    print(
        "\n| pattern | gold | " + " | ".join(f"{name}: detected / right speaker" for name in results) + " |"
    )
    print("|---|---|" + "---|" * len(results))
    for pattern in evaluation.QUOTE_PATTERNS:
        counts = [s.by_pattern[pattern] for s in results.values()]
        cells = [str(counts[0].gold), *(f"{c.detected} / {c.correct}" for c in counts)]
        print(f"| {pattern} | " + " | ".join(cells) + " |")


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


def cross_validated() -> dict[str, QuoteModel]:
    """Per dev cluster, the attribution model fitted on the other folds (train_quotes), with
    the shipped calibration and threshold (themselves from out-of-fold choices)."""
    shipped = attribution.model()
    weights = train_quotes.fold_weights(train_quotes.examples(), train_quotes.L2)
    models = [
        QuoteModel(dict(zip(FEATURES, w, strict=True)), shipped.calibration, shipped.threshold)
        for w in weights
    ]
    return {cluster: models[k] for cluster, k in train_quotes.folds().items()}


def shown(systems: dict[str, list[QuoteArticle]]) -> None:
    """Of the quotations detected with a speaker shown, how many have the gold speaker: what a
    reader copying a quote with its speaker gets."""
    print("\nspeakers shown on detected quotations: right / shown")
    for name, articles in systems.items():
        right = total = 0
        for a in articles:
            for i, j in evaluation.match_quotes(a.found, a.gold).items():
                g, f = a.gold[j], a.found[i]
                if g.kind in evaluation.ATTRIBUTABLE and f.speaker is not None:
                    total += 1
                    right += evaluation.same_speaker(g.speaker, f.speaker)
        print(f"  {name:28s} {right} / {total} = {right / total if total else 0:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clusters", nargs="?", type=Path, default=mds.CLUSTERS)
    parser.add_argument("--part", default="dev", choices=("dev", "test", "all"))
    parser.add_argument("--examples", type=int, default=2, help="errors shown per kind and pattern")
    args = parser.parse_args()
    names = evaluation.read_split(SPLIT, args.part)
    gold = evaluation.quote_articles(evaluation.read_quote_gold(GOLD), args.clusters, names)
    systems = evaluation.analyse_quotes(gold, args.clusters)
    if args.part == "dev":
        # the shipped model was fitted on all of dev: in sample; each cluster's quotations are
        # scored by a model fitted without its fold instead
        shipped = systems["ours"]
        systems = evaluation.analyse_quotes(gold, args.clusters, models=cross_validated())
        systems["ours (shipped, in sample)"] = shipped
    results = {name: evaluation.score_quotes(articles) for name, articles in systems.items()}
    print(f"part {args.part}: {len(names)} clusters ({SPLIT.relative_to(ROOT)})")
    print(evaluation.quotes_report(results))
    print(f"\nbootstrap 95% intervals, {RESAMPLES:,} resamples of the {len(gold)} articles (percentile)")
    intervals({name: counts(articles) for name, articles in systems.items()})
    shown(systems)
    pattern_table(results)
    examples(results["ours"], args.examples)


if __name__ == "__main__":
    main()
