"""Near-duplicate articles (syndicated copies, a story re-run under a new headline) by MinHash
and locality-sensitive hashing.

An article is the set of its 3-syllable shingles (lower case, diacritics kept). MinHash
estimates the Jaccard similarity of two sets from 128 hash minima; LSH puts signatures in 64
bands of 2 rows, so pairs similar enough to matter share buckets and only pairs sharing two or
more are compared: cost grows with the corpus, not with its square. An article whose estimated
similarity to an earlier canonical article reaches THRESHOLD is a copy of it; the earliest
article of a group is its canonical one. THRESHOLD was chosen on a labelled set built from the MDS articles
(bench/bench_dedup.py): edited copies against different articles about the same event.
"""

from __future__ import annotations

import heapq
import itertools
import re
import unicodedata
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from nienbieu.models import Article

SHINGLE = 3  # syllables; 4 and 5 found fewer edited copies at every threshold (bench_dedup)
PERMUTATIONS = 128
BANDS = 64  # of 2 rows: a pair at Jaccard 0.3 meets in two bands or more with probability 0.982
# Estimated Jaccard from which an article is a copy: the best F1 on the dev half of bench_dedup
# among thresholds whose precision there is at least 0.95 (a false merge hides an article from
# the timeline; a missed copy only repeats it). 0.2 scored a higher F1 at precision 0.91.
THRESHOLD = 0.3
# Bands two articles must share to be compared. Sharing one is mostly chance: a shingle common to
# many texts (a phrase every article of an outlet uses) is the minimum of some hash function for
# all of them, so its buckets grow with the corpus and comparing their members made grouping
# grow with the square of it (1.1 million pairs at 10,000 synthetic articles, 0.19 million at
# 2,500). A pair at Jaccard 0.3 shares two bands or more with probability 0.982 (0.9998 at 0.4).
MIN_SHARED_BANDS = 2
_EMPTY = np.iinfo(np.uint64).max
# One seed per hash function, fixed: signatures must be comparable across runs and processes.
_SEEDS = np.random.default_rng(20261123).integers(0, _EMPTY, PERMUTATIONS, dtype=np.uint64, endpoint=True)
_BAND_SEEDS = np.random.default_rng(20261124).integers(0, _EMPTY, BANDS, dtype=np.uint64, endpoint=True)
_SYLLABLE = re.compile(r"\w+")


def shingles(text: str, k: int = SHINGLE) -> set[int]:
    """32-bit hashes of the text's k-syllable runs (stable across processes, unlike hash())."""
    words = _SYLLABLE.findall(unicodedata.normalize("NFC", text).lower())
    runs = [" ".join(words[i : i + k]) for i in range(max(1, len(words) - k + 1))] if words else []
    return {zlib.crc32(run.encode("utf-8")) for run in runs}


def _mix(z: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser, elementwise (uint64 arithmetic wraps, as it should here). A linear
    (a·x + b) mod p without 128-bit products barely permutes: its minima follow the smallest x."""
    z = z + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def signature(hashes: set[int]) -> np.ndarray:
    """MinHash: for each of PERMUTATIONS hash functions, the least value over the set."""
    if not hashes:
        return np.full(PERMUTATIONS, _EMPTY, dtype=np.uint64)
    x = np.fromiter(hashes, dtype=np.uint64, count=len(hashes))
    return _mix(_SEEDS[:, None] ^ x[None, :]).min(axis=1)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of the two sets behind the signatures."""
    return float(np.mean(a == b))


def bucket_keys(sig: np.ndarray) -> np.ndarray:
    """The LSH bucket of each band as one signed 64-bit integer (what SQLite stores): the band's
    rows hashed together with the band's own seed, so equal rows in different bands differ."""
    rows = sig.reshape(BANDS, PERMUTATIONS // BANDS)
    key = _BAND_SEEDS
    for column in rows.T:
        key = _mix(key ^ column)
    return key.view(np.int64)


def candidate_pairs(signatures: Sequence[np.ndarray]) -> set[tuple[int, int]]:
    """Pairs of indices sharing a bucket in at least MIN_SHARED_BANDS bands (for inspection:
    grouping asks a Neighbourhood for one article's candidates at a time)."""
    buckets: dict[int, list[int]] = defaultdict(list)
    for i, sig in enumerate(signatures):
        for key in bucket_keys(sig).tolist():
            buckets[key].append(i)
    shared: Counter[tuple[int, int]] = Counter()
    for members in buckets.values():
        shared.update((a, b) for k, a in enumerate(members) for b in members[k + 1 :])
    return {pair for pair, bands in shared.items() if bands >= MIN_SHARED_BANDS}


@dataclass(frozen=True, slots=True)
class Duplicate:
    article: str  # id of the copy
    canonical: str  # id of the earliest article of its group
    similarity: float  # estimated Jaccard with the canonical article


def article_text(article: Article) -> str:
    """What two copies of an article share: its title and body (not where it was found)."""
    return shared_text(article.title, (p.text for p in article.body))


def shared_text(title: str | None, paragraphs: Iterable[str]) -> str:
    return "\n".join([title or "", *paragraphs])


def fingerprint(article: Article) -> bytes:
    """The article's stored signature (computed where the article is analysed, so that a
    multi-process ingest does it in parallel)."""
    return text_fingerprint(article_text(article))


def text_fingerprint(text: str) -> bytes:
    return signature(shingles(text)).tobytes()


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
    """`groups` over precomputed signatures, all at once."""
    hood = InMemory(items)
    changes = regroup([key for key, _, _ in items], hood, threshold)
    return sorted((d for d in changes.values() if d), key=lambda d: d.article)


class Neighbourhood(Protocol):
    """What regrouping needs to know of the stored articles, asked one article at a time."""

    def candidates(self, article: str) -> Iterable[str]: ...  # ids sharing an LSH bucket

    def order(self, article: str) -> tuple[str, str]: ...  # the earliest is canonical

    def signature(self, article: str) -> np.ndarray: ...

    def canonical_of(self, article: str) -> str | None: ...  # as it stands before regrouping


def regroup(
    new: Iterable[str], hood: Neighbourhood, threshold: float = THRESHOLD
) -> dict[str, Duplicate | None]:
    """Group articles after `new` ones joined the others: which articles became copies
    (-> Duplicate) or canonical again (-> None). Articles are taken oldest first; each joins the
    oldest canonical article it is similar to, or stands alone. Comparing with canonical articles,
    not with any member, keeps chains (A like B, B like C) from merging texts that share little.

    Only the new articles and what they could change are looked at: an article's standing
    depends on its earlier candidates and which of those are canonical, so when an article
    is new or changes between copy and canonical, its later candidates are looked at again.
    They are visited in order, so each is decided once, after everything before it is final."""
    heap = [(hood.order(a), a) for a in set(new)]
    fresh = {a for _, a in heap}
    heapq.heapify(heap)
    standing: dict[str, str | None] = {}  # decided in this regroup: article -> its canonical
    changes: dict[str, Duplicate | None] = {}
    done: set[str] = set()

    def canonical(article: str) -> str | None:
        return standing[article] if article in standing else hood.canonical_of(article)

    while heap:
        key, article = heapq.heappop(heap)
        if article in done:
            continue
        done.add(article)
        others = [(hood.order(c), c) for c in set(hood.candidates(article)) - {article}]
        found = _first_similar(
            article, sorted(o for o in others if o < (key, article)), canonical, hood, threshold
        )
        before, after = canonical(article), found.canonical if found else None
        standing[article] = after
        if after != before or article in fresh:
            changes[article] = found
        if (after is None) != (before is None) or article in fresh:
            for later in (o for o in others if o > (key, article)):
                heapq.heappush(heap, later)
    return changes


def _first_similar(
    article: str,
    earlier: list[tuple[tuple[str, str], str]],
    canonical: Callable[[str], str | None],
    hood: Neighbourhood,
    threshold: float,
) -> Duplicate | None:
    own = hood.signature(article)
    for _, other in earlier:
        if canonical(other) is None:
            score = similarity(own, hood.signature(other))
            if score >= threshold:
                return Duplicate(article, other, round(score, 3))
    return None


class InMemory:
    """A Neighbourhood over (id, order key, signature) items; `grouped`: copy -> canonical id
    of those grouped already."""

    def __init__(
        self, items: Sequence[tuple[str, str, np.ndarray]], grouped: dict[str, str] | None = None
    ) -> None:
        self._grouped = grouped or {}
        self._items = {key: (order, sig) for key, order, sig in items}
        # buckets, not pairs: an article's candidates are gathered when it is looked at, as
        # many articles sharing a bucket would make the set of pairs grow with its square
        self._buckets: dict[int, list[str]] = defaultdict(list)
        for key, _, sig in items:
            for bucket in bucket_keys(sig).tolist():
                self._buckets[bucket].append(key)

    def candidates(self, article: str) -> set[str]:
        keys = bucket_keys(self._items[article][1]).tolist()
        shared = Counter(itertools.chain.from_iterable(self._buckets[k] for k in keys))
        return {other for other, bands in shared.items() if bands >= MIN_SHARED_BANDS} - {article}

    def order(self, article: str) -> tuple[str, str]:
        return (self._items[article][0], article)

    def signature(self, article: str) -> np.ndarray:
        return self._items[article][1]

    def canonical_of(self, article: str) -> str | None:
        return self._grouped.get(article)
