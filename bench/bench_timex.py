"""Time-expression tagger throughput on real news sentences, one core.

Prints sentences/second for `timex.tag` with a DCT, and for a baseline measured in the
same run on the same sentences (one precompiled regular expression scan), so the ratio
can be compared across machines. Target: >= 20,000 sentences/s.

    .venv/bin/python bench/bench_timex.py [../shared/eval/vietnamese-mds/clusters]
"""

from __future__ import annotations

import re
import sys
import time
from datetime import date
from pathlib import Path

from nienbieu import timex
from nienbieu.nlp import normalize_text, split_sentences

DCT = date(2013, 10, 22)


def sentences(root: Path) -> list[str]:
    found = []
    for body in sorted(root.glob("cluster_*/*.body.txt")):
        if not body.name.endswith(".tok.txt"):
            text = normalize_text(body.read_text(encoding="utf-8"))
            found += [s for p in text.split("\n") for s in split_sentences(p)]
    return found


def rate(fn, items: list[str], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        for item in items:
            fn(item)
        best = min(best, time.perf_counter() - started)
    return len(items) / best


def main() -> None:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/eval/vietnamese-mds/clusters")
    items = sentences(root)
    timex.rules()  # compile outside the timing
    baseline = re.compile(r"\d+|tháng|năm|ngày")
    base = rate(baseline.findall, items)
    tagged = rate(lambda s: timex.tag(s, DCT), items)
    found = sum(len(timex.tag(s, DCT)) for s in items)
    mean_chars = sum(len(s) for s in items) / len(items)
    print(f"sentences: {len(items)}  (mean {mean_chars:.0f} chars)  expressions: {found}")
    print(f"baseline regex scan: {base:,.0f} sentences/s")
    print(f"timex.tag:           {tagged:,.0f} sentences/s   (ratio to baseline {tagged / base:.4f})")
    print(f"target 20,000 sentences/s: {'met' if tagged >= 20000 else 'NOT met'}")


if __name__ == "__main__":
    main()
