"""Near-duplicate articles (syndicated copies, a story re-run under a new headline) by MinHash
and locality-sensitive hashing.

An article is the set of its 3-syllable shingles (lower case, diacritics kept). MinHash
estimates the Jaccard similarity of two sets from 128 hash minima; LSH puts signatures in 64
bands of 2 rows, so pairs similar enough to matter share a bucket and only those pairs are
compared: cost grows with the corpus, not with its square. Pairs whose estimated similarity
reaches THRESHOLD are duplicates; connected duplicates form a group whose earliest article is
the canonical one. THRESHOLD was chosen on a labelled set built from the MDS articles
(bench/bench_dedup.py): edited copies against different articles about the same event.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from nienbieu.models import Article

SHINGLE = 3  # syllables; 4 and 5 lost more edited copies at every precision (bench_dedup)
PERMUTATIONS = 128
BANDS = 64  # of 2 rows: a pair at Jaccard 0.3 meets in some band with probability 0.998
# Estimated Jaccard from which two articles are one text. 0.2 had the best F1 on the dev half
# of bench_dedup, but there articles written separately about one event (0.20–0.27) merge.
THRESHOLD = 0.3
_PRIME = (1 << 61) - 1
_RNG = np.random.default_rng(20261123)  # fixed: signatures must be comparable across runs
_A = _RNG.integers(1, 1 << 32, PERMUTATIONS, dtype=np.uint64)
_B = _RNG.integers(0, 1 << 32, PERMUTATIONS, dtype=np.uint64)
_SYLLABLE = re.compile(r"\w+")


def shingles(text: str, k: int = SHINGLE) -> set[int]:
    """32-bit hashes of the text's k-syllable runs (stable across processes, unlike hash())."""
    words = _SYLLABLE.findall(unicodedata.normalize("NFC", text).lower())
    runs = [" ".join(words[i : i + k]) for i in range(max(1, len(words) - k + 1))] if words else []
    return {zlib.crc32(run.encode("utf-8")) for run in runs}


def signature(hashes: set[int]) -> np.ndarray:
    """MinHash: for each of PERMUTATIONS hash functions, the least value over the set."""
    if not hashes:
        return np.full(PERMUTATIONS, _PRIME, dtype=np.uint64)
    x = np.fromiter(hashes, dtype=np.uint64, count=len(hashes))
    # (a·x + b) mod p stays below 2^64 because a, b and x are below 2^32
    values = (np.outer(_A, x) + _B[:, None]) % np.uint64(_PRIME)
    return values.min(axis=1)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of the two sets behind the signatures."""
    return float(np.mean(a == b))


def candidate_pairs(signatures: Sequence[np.ndarray]) -> set[tuple[int, int]]:
    """Pairs of indices sharing a bucket in at least one band."""
    rows = PERMUTATIONS // BANDS
    pairs: set[tuple[int, int]] = set()
    for band in range(BANDS):
        buckets: dict[bytes, list[int]] = defaultdict(list)
        for i, sig in enumerate(signatures):
            buckets[sig[band * rows : (band + 1) * rows].tobytes()].append(i)
        for members in buckets.values():
            pairs.update((a, b) for k, a in enumerate(members) for b in members[k + 1 :])
    return pairs


@dataclass(frozen=True, slots=True)
class Duplicate:
    article: str  # id of the copy
    canonical: str  # id of the earliest article of its group
    similarity: float  # estimated Jaccard with the canonical article


def article_text(article: Article) -> str:
    """What two copies of an article share: its title and body (not where it was found)."""
    return "\n".join([article.title or "", *(p.text for p in article.body)])


def from_bytes(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype=np.uint64)


def groups(items: Iterable[tuple[str, str, str]], threshold: float = THRESHOLD) -> list[Duplicate]:
    """Near-duplicate groups among (id, sort key, text) items — the sort key (e.g. the
    publication date) decides which article of a group is canonical: the smallest."""
    return group_signatures(
        [(key, order, signature(shingles(text))) for key, order, text in items], threshold
    )


def group_signatures(
    items: Sequence[tuple[str, str, np.ndarray]], threshold: float = THRESHOLD
) -> list[Duplicate]:
    """`groups` over precomputed signatures."""
    sigs = [sig for _, _, sig in items]
    parent = list(range(len(items)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in candidate_pairs(sigs):
        if similarity(sigs[a], sigs[b]) >= threshold:
            parent[root(a)] = root(b)
    members: dict[int, list[int]] = defaultdict(list)
    for i in range(len(items)):
        members[root(i)].append(i)
    found = []
    for group in members.values():
        if len(group) < 2:
            continue
        first = min(group, key=lambda i: (items[i][1], items[i][0]))
        found += [
            Duplicate(items[i][0], items[first][0], round(similarity(sigs[i], sigs[first]), 3))
            for i in sorted(group)
            if i != first
        ]
    return found
