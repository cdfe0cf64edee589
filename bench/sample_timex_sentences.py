"""Draw sentences from the Vietnamese MDS clusters for time-expression annotation.

Writes JSONL rows {id, text, dct} without annotations; a person annotates them following
docs/timex-annotation.md. Deterministic (seeded) so the draw can be reproduced.
"""

from __future__ import annotations

import json
import random
import re
import sys
from pathlib import Path

from nienbieu.nlp import normalize_text, split_sentences

CUE = re.compile(r"\d|hôm|ngày|tháng|năm|tuần|thứ|quý|sáng|chiều|tối|đêm|qua|tới|nay|mai|trước|sau", re.I)


def dct_of(info: Path) -> str | None:
    m = re.search(r"TIME:\s*(\d{1,2})/(\d{1,2})/(\d{4})", info.read_text(encoding="utf-8"))
    return f"{m.group(3)}-{int(m.group(2)):02d}-{int(m.group(1)):02d}" if m else None


def main(root: str, out: str, with_cue: int = 170, without_cue: int = 40, seed: int = 7) -> None:
    rng = random.Random(seed)
    cued, plain = [], []
    for body in sorted(Path(root).glob("cluster_*/*.body.txt")):
        if body.name.endswith(".tok.txt"):
            continue
        dct = dct_of(body.with_name(body.name.replace(".body.txt", ".info.txt")))
        text = normalize_text(body.read_text(encoding="utf-8"))
        for i, sentence in enumerate(s for p in text.split("\n") for s in split_sentences(p)):
            if not 6 <= len(sentence.split()) <= 60:
                continue
            row = {"id": f"{body.parent.name}/{body.name.split('.')[0]}/{i}", "text": sentence, "dct": dct}
            (cued if CUE.search(sentence) else plain).append(row)
    rows = rng.sample(cued, with_cue) + rng.sample(plain, min(without_cue, len(plain)))
    rng.shuffle(rows)
    with open(out, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
