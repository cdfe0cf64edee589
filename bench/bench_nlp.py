"""Word segmenters compared: speed on one core, word F1 against treebank gold, entity F1 downstream,
and what the per-sentence cache of `nlp.segment` saves.

    .venv/bin/python bench/bench_nlp.py speed [--clusters DIR] [-n 2000] [--rounds 3]
    .venv/bin/python bench/bench_nlp.py words ../shared/eval/ud-vietnamese-vtb/vi_vtb-ud-dev.conllu
    .venv/bin/python bench/bench_nlp.py ner eval/ner/ner-dev.jsonl eval/ner/ner-dev2.jsonl
    .venv/bin/python bench/bench_nlp.py cache [--articles 2500]

`speed`: sentences/s of each installed segmenter alone (uncached) and of `entities.recognise`
with it, on MDS sentences, in interleaved rounds with a baseline in every round (the syllable
tokeniser), so that ratios to it can be compared across runs on a shared machine; medians.
`words`: word P/R/F1 per segmenter, input the gold syllables joined by spaces (see
`evaluation.read_conllu_words`), with a bootstrap 95% interval over sentences and the paired
difference to `--versus` (default underthesea, the default segmenter before pyvi); the missed
gold words by kind (punctuation, numbers, proper names), where the treebank's conventions may
differ from a segmenter's.
`ner`: PER+ORG+LOC F1 of the entity rules over each segmenter's words, same intervals.
`cache`: hit rate of a cache of SEGMENT_CACHE_SIZE sentences over the sentences of the MDS
articles and of `bench_scale`'s synthetic corpus in reading order, and the time to segment the
synthetic stream with underthesea with and without the cache (paired rounds).
"""

from __future__ import annotations

import argparse
import functools
import statistics
import time
from collections import Counter
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path

import mds
import numpy as np
from bench_scale import synthesise
from bench_timex import sentences

from nienbieu import entities, evaluation, nlp

RESAMPLES = 10_000
PER_ORG_LOC = ("PER", "ORG", "LOC")


def installed() -> list[str]:
    """The segmenters whose toolkit is installed here, their models loaded outside any timing."""
    names = [name for name in nlp.SEGMENTERS if nlp.available(name)]
    for name in names:
        nlp.SEGMENTERS[name]("Hà Nội")
    return names


def seconds(fn: Callable[[str], object], items: Sequence[str]) -> float:
    started = time.perf_counter()
    for item in items:
        fn(item)
    return time.perf_counter() - started


def speed(items: list[str], rounds: int) -> None:
    names = installed()
    measures: dict[str, Callable[[str], object]] = {"baseline: syllable tokeniser": nlp.segment_syllables}
    for name in names:
        measures[f"segment {name} (uncached)"] = nlp.SEGMENTERS[name]
    for name in names:
        measures[f"recognise, {name} words"] = lambda s, name=name: entities.recognise(s, backend=name)
    rates: dict[str, list[float]] = {label: [] for label in measures}
    ratios: dict[str, list[float]] = {label: [] for label in measures}
    for _ in range(rounds):
        base = len(items) / seconds(nlp.segment_syllables, items)
        for label, fn in measures.items():
            nlp._segmented.cache_clear()  # the pipeline's cache starts empty in every worker
            rate = len(items) / seconds(fn, items)
            rates[label].append(rate)
            ratios[label].append(rate / base)
    print(f"{len(items)} sentences ({len(set(items))} distinct), {rounds} rounds, medians")
    for label in measures:
        print(
            f"{label:34s} {statistics.median(rates[label]):8,.0f} sentences/s"
            f"  (ratio to baseline {statistics.median(ratios[label]):.4f}; rounds "
            + ", ".join(f"{r:,.0f}" for r in rates[label])
            + ")"
        )


def f1_interval(counts: np.ndarray, other: np.ndarray | None = None, seed: int = 17) -> tuple[float, float]:
    """Bootstrap 95% percentile interval of micro F1 (or of its difference to `other`'s, paired)
    over rows of (tp, predicted, gold) counts, resampling sentences."""
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(counts), size=(RESAMPLES, len(counts)))

    def f1(rows: np.ndarray) -> np.ndarray:
        sums = rows[picks].sum(axis=1)
        return 2 * sums[:, 0] / np.maximum(sums[:, 1] + sums[:, 2], 1)

    values = f1(counts) - (f1(other) if other is not None else 0)
    low, high = np.percentile(values, [2.5, 97.5])
    return float(low), float(high)


def compare(results: dict[str, np.ndarray], rates: dict[str, float], unit: str, default: str) -> None:
    """One line per segmenter: P/R/F1 with intervals, and the difference to `default`'s."""
    for name, counts in results.items():
        tp, predicted, gold = counts.sum(axis=0)
        p, r = tp / predicted, tp / gold
        f1 = 2 * tp / (predicted + gold)
        low, high = f1_interval(counts)
        line = f"{name:12s} P {p:.3f}  R {r:.3f}  F1 {f1:.3f} (95% {low:.3f} … {high:.3f})"
        if name != default and default in results:
            base = results[default]
            diff = f1 - 2 * base[:, 0].sum() / (base[:, 1].sum() + base[:, 2].sum())
            dlow, dhigh = f1_interval(counts, base)
            line += f"  − {default}: {diff:+.3f} ({dlow:+.3f} … {dhigh:+.3f})"
        print(f"{line}  {rates[name]:,.0f} {unit}")


def kind(word: str) -> str:
    if not any(c.isalnum() for c in word):
        return "punctuation"
    if any(c.isdigit() for c in word):
        return "number"
    if " " in word and all(s[:1].isupper() for s in word.split()):
        return "proper name"
    return "other multi-syllable" if " " in word else "other one-syllable"


def words(path: Path, reference: str) -> None:
    gold = evaluation.read_conllu_words(path)
    texts = [nlp.normalize_tone_placement(g.text) for g in gold]
    assert all(len(t) == len(g.text) for t, g in zip(texts, gold, strict=True))  # offsets unchanged
    print(f"{path.name}: {len(gold)} sentences, {sum(len(g.words) for g in gold)} gold words")
    results, rates, missed = {}, {}, {}
    for name in installed():
        started = time.perf_counter()
        found = [nlp.SEGMENTERS[name](text) for text in texts]
        rates[name] = len(texts) / (time.perf_counter() - started)
        rows = []
        missed[name] = Counter[str]()
        for sentence, predicted in zip(gold, found, strict=True):
            spans = {(w.start, w.end) for w in predicted}
            rows.append(_counts(evaluation.score_words(sentence, spans)))
            for start, end in evaluation.word_spans(sentence.words) - spans:
                missed[name][kind(sentence.text[start:end])] += 1
        results[name] = np.array(rows)
    compare(results, rates, "sentences/s (one pass, uncached)", reference)
    kinds = sorted({k for counter in missed.values() for k in counter})
    totals = Counter(kind(w) for g in gold for w in g.words)
    print("missed gold words by kind: " + ", ".join(f"{k} (of {totals[k]})" for k in kinds))
    for name, counter in missed.items():
        print(f"  {name:12s} " + ", ".join(f"{counter[k]}" for k in kinds))


def _counts(prf: evaluation.PRF) -> tuple[int, int, int]:
    return prf.tp, prf.predicted, prf.gold


def ner(paths: list[Path], reference: str) -> None:
    gold = [s for path in paths for s in evaluation.read_ner_gold(path)]
    print(f"{', '.join(p.name for p in paths)}: {len(gold)} sentences; PER+ORG+LOC, exact span and type")
    results, rates = {}, {}
    for name in installed():
        nlp._segmented.cache_clear()
        started = time.perf_counter()
        recognise = functools.partial(entities.recognise, backend=name)
        scored = [evaluation.score_ner([s], recognise=recognise) for s in gold]
        rates[name] = len(gold) / (time.perf_counter() - started)
        results[name] = np.array([_counts(s.combined(PER_ORG_LOC)) for s in scored])
    compare(results, rates, "sentences/s (recognise)", reference)


def stream(docs: list[str]) -> list[str]:
    """The sentences of the texts in order, as ingest splits them."""
    return [s for doc in docs for p in nlp.normalize_text(doc).split("\n") for s in nlp.split_sentences(p)]


def hit_rate(items: list[str]) -> float:
    seen = lru_cache(maxsize=nlp.SEGMENT_CACHE_SIZE)(len)
    for item in items:
        seen(item)
    info = seen.cache_info()
    return info.hits / (info.hits + info.misses)


def cache(articles: int, rounds: int, sample: int) -> None:
    real = stream([body.read_text("utf-8") for body in sorted(mds.CLUSTERS.glob("*/*.body.txt"))])
    synthetic = stream([row["text"] for row in synthesise(articles)])
    for label, items in (("MDS articles", real), (f"synthetic corpus, {articles:,} articles", synthetic)):
        distinct = len(set(items))
        print(f"{label}: {len(items):,} sentences, {distinct:,} distinct, hit rate {hit_rate(items):.3f}")
    items = synthetic[-sample:]  # generated articles (the first 312 are the MDS ones)
    nlp.segment_underthesea(items[0])  # loads the model outside the timing
    raw, cached = [], []
    for k in range(rounds):
        nlp._segmented.cache_clear()
        for fn in [nlp.segment_underthesea, lambda s: nlp.segment(s, "underthesea")][:: 1 - 2 * (k % 2)]:
            (raw if fn is nlp.segment_underthesea else cached).append(seconds(fn, items))
    print(
        f"underthesea on the last {len(items):,} synthetic sentences (hit rate {hit_rate(items):.3f}),"
        f" {rounds} rounds: uncached {statistics.median(raw):.2f} s,"
        f" cached {statistics.median(cached):.2f} s,"
        f" ratio {statistics.median(c / r for c, r in zip(cached, raw, strict=True)):.3f}"
        f" (rounds: {', '.join(f'{c / r:.3f}' for c, r in zip(cached, raw, strict=True))})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    timed = commands.add_parser("speed")
    timed.add_argument("--clusters", type=Path, default=mds.CLUSTERS)
    timed.add_argument("-n", type=int, default=2000)
    timed.add_argument("--rounds", type=int, default=3)
    for command, argument in (("words", "conllu"), ("ner", "gold")):
        scored = commands.add_parser(command)
        scored.add_argument(argument, type=Path, nargs="+" if command == "ner" else None)
        # the default before pyvi: the choice of default was measured against it
        scored.add_argument("--versus", default="underthesea", help="segmenter the others are compared to")
    hits = commands.add_parser("cache")
    hits.add_argument("--articles", type=int, default=2500)
    hits.add_argument("--rounds", type=int, default=3)
    hits.add_argument("--sample", type=int, default=5000)
    args = parser.parse_args()
    if args.command == "speed":
        speed(sentences(args.clusters)[: args.n], args.rounds)
    elif args.command == "words":
        words(args.conllu, args.versus)
    elif args.command == "ner":
        ner(args.gold, args.versus)
    else:
        cache(args.articles, args.rounds, args.sample)


if __name__ == "__main__":
    main()
