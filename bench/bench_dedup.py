"""Precision/recall of near-duplicate detection (`nienbieu.dedup`) on a labelled set built from
the MDS articles (../shared/eval/vietnamese-mds).

Positives: each article against an edited copy of itself, as syndication and re-runs make them:
a new headline, a signature line added, then one of three edit strengths — light (3% of the
words replaced, one sentence dropped), medium (10%, two sentences dropped, one paragraph moved)
and heavy (20%, three sentences dropped).
Negatives: every pair of different articles of the same cluster (the same event, written
separately — the hard case: these must stay apart) and as many random pairs across clusters.

A pair is predicted duplicate when LSH proposes it and its estimated Jaccard reaches the
threshold. Thresholds are compared on the clusters at even positions (dev); the chosen one is
reported on the odd ones (test).

    .venv/bin/python bench/bench_dedup.py
"""

from __future__ import annotations

import random
import re

import mds

from nienbieu import dedup

STRENGTHS = {"light": (0.03, 1, False), "medium": (0.10, 2, True), "heavy": (0.20, 3, False)}


def edited(text: str, title: str, strength: str, rng: random.Random) -> str:
    share, dropped, move = STRENGTHS[strength]
    paragraphs = [p for p in text.split("\n") if p.strip()]
    sentences = [s for p in paragraphs for s in re.split(r"(?<=[.!?])\s+", p)]
    for _ in range(min(dropped, len(sentences) - 1)):
        del sentences[rng.randrange(len(sentences))]
    words = " ".join(sentences).split()
    vocabulary = words or ["tin"]
    for _ in range(int(share * len(words))):
        words[rng.randrange(len(words))] = rng.choice(vocabulary)
    body = " ".join(words)
    if move:
        cut = rng.randrange(len(body) // 2 + 1)
        body = body[cut:] + " " + body[:cut]
    return f"{title} (cập nhật)\n(Theo báo điện tử) {body}"


def corpus() -> list[tuple[int, str]]:
    """(cluster position, title and text) per article."""
    docs = []
    for position, folder in enumerate(sorted(p for p in mds.CLUSTERS.iterdir() if p.is_dir())):
        for body in sorted(folder.glob("*.body.txt")):
            docs.append((position, mds.title(mds.info(body)) + "\n" + body.read_text("utf-8")))
    return docs


def main() -> None:
    rng = random.Random(3)
    docs = corpus()
    texts = [text for _, text in docs]
    pairs: list[tuple[int, int, bool, int, str]] = []  # (i, j, duplicate?, cluster, kind)
    for i, (cluster, text) in enumerate(docs):
        strength = list(STRENGTHS)[i % 3]
        title, _, body = text.partition("\n")
        texts.append(edited(body, title, strength, rng))
        pairs.append((i, len(texts) - 1, True, cluster, strength))
    for i, (ci, _) in enumerate(docs):
        for j in range(i + 1, len(docs)):
            if docs[j][0] == ci:
                pairs.append((i, j, False, ci, "same event"))
    for _ in range(sum(1 for p in pairs if p[4] == "same event")):
        i, j = rng.sample(range(len(docs)), 2)
        if docs[i][0] != docs[j][0]:
            pairs.append((i, j, False, docs[i][0], "random"))
    sigs = [dedup.signature(dedup.shingles(t)) for t in texts]
    proposed = dedup.candidate_pairs(sigs)
    sims = {(i, j): dedup.similarity(sigs[i], sigs[j]) for i, j, *_ in pairs}

    def scores(threshold: float, half: int) -> tuple[float, float, int, int]:
        chosen = [p for p in pairs if p[3] % 2 == half]
        predicted = [
            p for p in chosen if (min(p[:2]), max(p[:2])) in proposed and sims[(p[0], p[1])] >= threshold
        ]
        tp = sum(p[2] for p in predicted)
        gold = sum(p[2] for p in chosen)
        return tp / max(1, len(predicted)), tp / max(1, gold), gold, len(chosen) - gold

    print(f"articles {len(docs)}, labelled pairs {len(pairs)}; LSH proposes {len(proposed)} pairs")
    print("dev half: threshold  precision  recall")
    for threshold in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
        p, r, *_ = scores(threshold, 0)
        print(f"          {threshold:.1f}        {p:.3f}      {r:.3f}")
    p, r, *_ = scores(dedup.THRESHOLD, 0)
    print(f"dev half at THRESHOLD {dedup.THRESHOLD}: precision {p:.3f}  recall {r:.3f}")
    p, r, positives, negatives = scores(dedup.THRESHOLD, 1)
    print(f"test half at THRESHOLD {dedup.THRESHOLD}: precision {p:.3f}  recall {r:.3f}"
          f"  ({positives} duplicate pairs, {negatives} non-duplicate pairs)")  # fmt: skip
    for kind in ("light", "medium", "heavy", "same event", "random"):
        group = [q for q in pairs if q[4] == kind and q[3] % 2 == 1]
        hit = sum(
            (min(q[:2]), max(q[:2])) in proposed and sims[(q[0], q[1])] >= dedup.THRESHOLD for q in group
        )
        print(f"  {kind:10s} pairs {len(group):4d}  judged duplicate {hit:4d}")


if __name__ == "__main__":
    main()
