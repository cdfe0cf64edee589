"""Publication-date inference on real articles whose date we hide.

Uses ../shared/eval/vietnamese-mds: each article's TIME field is the truth; the body
is ingested without it. Reports how often the 90% window holds the true date, the
error of the most probable day, window width and calibration of the confidence.

    .venv/bin/python bench/bench_dating.py [CLUSTERS_DIR] [--corpus] [--half fit|check]

The likelihood parameters in nienbieu.dating were fitted on the clusters whose number is
a multiple of 4 (`--half fit`); `--half check` reports on the others only.
"""

from __future__ import annotations

import re
import statistics
import sys
import time
from datetime import date, datetime
from pathlib import Path

from nienbieu import clean, dating, pipeline
from nienbieu.models import RawDocument
from nienbieu.nlp import normalize_text


def load(root: Path) -> list[tuple[str, date, object]]:
    rows = []
    for body in sorted(root.glob("cluster_*/*.body.txt")):
        if body.name.endswith(".tok.txt"):
            continue
        info = body.with_name(body.name.replace(".body.txt", ".info.txt")).read_text(encoding="utf-8")
        m = re.search(r"TIME:\s*(\d{1,2})/(\d{1,2})/(\d{4})", info)
        if not m:
            continue
        truth = date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        article, _ = clean.clean(RawDocument(str(body), normalize_text(body.read_text(encoding="utf-8"))))
        rows.append((body.parent.name, truth, pipeline.analyze(article)))
    return rows


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--") and a not in ("fit", "check")]
    root = Path(args[0] if args else "../shared/eval/vietnamese-mds/clusters")
    use_corpus = "--corpus" in sys.argv
    rows = load(root)
    if "--half" in sys.argv:
        fit = sys.argv[sys.argv.index("--half") + 1] == "fit"
        rows = [r for r in rows if (int(r[0].split("_")[1]) % 4 == 0) == fit]
    started = time.perf_counter()
    errors, widths, covered, within3, confidences, none = [], [], 0, 0, [], 0
    for cluster, truth, article in rows:
        corpus = []
        if use_corpus:  # the other articles of the cluster keep their stated dates
            for c2, t2, other in rows:
                if c2 == cluster and other is not article:
                    other.published = datetime(t2.year, t2.month, t2.day)
                    other.published_provenance = "stated"
                    corpus.append(other)
        estimate = dating.infer_dct(article, corpus)
        if estimate is None:
            none += 1
            continue
        error = abs((estimate.date - truth).days)
        errors.append(error)
        widths.append(estimate.width_days)
        covered += estimate.start <= truth <= estimate.end
        within3 += error <= 3
        confidences.append(estimate.confidence)
    elapsed = time.perf_counter() - started
    n = len(errors)
    print(f"articles: {len(rows)}   with an estimate: {n}   no evidence: {none}")
    print(f"corpus neighbours: {use_corpus}")
    print(f"90% window holds the truth: {covered / n:.3f}")
    mean_conf = statistics.mean(confidences)
    print(f"most probable day within 3 days: {within3 / n:.3f}   (mean stated confidence {mean_conf:.3f})")
    print(f"median |error| days: {statistics.median(errors):.0f}   mean: {statistics.mean(errors):.1f}")
    print(f"median window width days: {statistics.median(widths):.0f}")
    high = [(c, e) for c, e in zip(confidences, errors, strict=True) if c >= 0.6]
    if high:
        right = sum(e <= 3 for _, e in high) / len(high)
        print(f"confidence >= 0.6: {len(high)} articles, within 3 days: {right:.3f}")
    print(f"time: {elapsed:.2f}s ({elapsed / max(1, len(rows)) * 1000:.1f} ms/article)")


if __name__ == "__main__":
    main()
