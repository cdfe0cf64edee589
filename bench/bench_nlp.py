"""Throughput of the full per-sentence NLP (word segmentation + entity recognition) on one core.

Prints sentences/second for `entities.recognise` with the default segmenter (underthesea)
and with the syllable segmenter, and a baseline measured in the same run: the syllable
tokeniser alone, so the ratio can be compared across machines.

    .venv/bin/python bench/bench_nlp.py [../shared/eval/vietnamese-mds/clusters] [N]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from bench_timex import sentences

from nienbieu import entities, nlp


def rate(fn, items: list[str]) -> float:
    started = time.perf_counter()
    for item in items:
        fn(item)
    return len(items) / (time.perf_counter() - started)


def main() -> None:
    args = sys.argv[1:]
    root = Path(args[0] if args else "../shared/eval/vietnamese-mds/clusters")
    items = sentences(root)[: int(args[1]) if len(args) > 1 else 2000]
    entities.recognise(items[0])  # load models outside the timing
    base = rate(nlp.segment_syllables, items)
    full = rate(entities.recognise, items)
    light = rate(lambda s: entities.recognise(s, backend="syllable"), items)
    print(f"sentences: {len(items)}")
    print(f"baseline syllable tokeniser: {base:,.0f} sentences/s")
    print(f"recognise (underthesea words): {full:,.0f} sentences/s   (ratio {full / base:.4f})")
    print(f"recognise (syllables):         {light:,.0f} sentences/s   (ratio {light / base:.4f})")


if __name__ == "__main__":
    main()
