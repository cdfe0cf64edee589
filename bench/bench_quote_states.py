"""Which sentences start inside a quotation (`Sentence.in_quote`, `nlp.quote_states`), against
the quotation gold (eval/quotes/gold.jsonl): a sentence starts inside one when its first
character lies within a gold quotation of any kind (direct, partial, scare quote, name). What it
matters for: a sentence marked in a quotation is never a summary or timeline line
(`summarize.is_summary_material`), and an unmarked one inside a quotation reads as the writer's.

Articles analysed as `bench_quotes.py` does them (`evaluation.analysed_clusters`).

    .venv/bin/python bench/bench_quote_states.py [--part dev] [--list]

`--part test` is the quotation gold's held-out part (issue 18): not to be run for a choice.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

import mds

from nienbieu import evaluation

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "eval" / "quotes" / "gold.jsonl"
SPLIT = ROOT / "eval" / "quotes" / "split.toml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", default="dev", choices=("dev", "test", "all"))
    parser.add_argument("--list", action="store_true", help="print every wrongly marked sentence")
    args = parser.parse_args()
    names = evaluation.read_split(SPLIT, args.part)
    gold = evaluation.quote_articles(evaluation.read_quote_gold(GOLD), mds.CLUSTERS, names)
    total: Counter[str] = Counter()
    for article, analysed in evaluation.analysed_clusters(gold, mds.CLUSTERS):
        counts = evaluation.quote_states(article, analysed.sentences)
        total += counts
        if args.list and (counts["fp"] or counts["fn"]):
            print(f"{article.id}: {counts['fp']} marked outside, {counts['fn']} missed inside")
    sentences = sum(total.values())
    print(f"part {args.part}: {len(gold)} articles, {sentences:,} sentences")
    print(f"  starting inside a gold quotation: {total['tp'] + total['fn']}")
    print(f"  marked in_quote: {total['tp'] + total['fp']}")
    print(f"  marked but outside (narrative read as quoted): {total['fp']}")
    print(f"  inside but not marked: {total['fn']}")


if __name__ == "__main__":
    main()
