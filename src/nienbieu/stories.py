"""Group articles into stories: one developing event or topic, told by several articles.

Online and incremental, after the streaming news clustering of Miranda et al. (EMNLP 2018):
articles are taken in date order, and each joins the most similar story when that similarity
reaches `THRESHOLD`, or opens a story of its own. An article is compared with a story by

    similarity = mean cosine(article, member) · exp(-gap / TIME_SCALE)

over the story's `MEMBERS_COMPARED` members nearest in time (TF-IDF of content terms,
`summarize.terms`, weighed over the whole store): group-average linkage, which did better than
one summed centroid on the tuning half. `gap` is the number of days between the article and the
story's first-to-last span; the time factor is off by default (`TIME_SCALE` infinite), as no
time scale did better on the tuning half and a topic may be told over years. Candidate stories
are those of the articles sharing one of the article's `CANDIDATE_TERMS` heaviest terms, the
`CANDIDATES` sharing most of them (and, with a finite time scale, within the days where the
similarity can still reach the threshold): at most CANDIDATES × MEMBERS_COMPARED comparisons
per article, whatever the size of the store. Of a term held by many articles only the latest
`CANDIDATE_HOLDERS` stored are looked up, so finding the candidates does not grow with the store
either. A story's mean cosine is one dot product with the sum of its compared members' vectors
(they are L2-normalised), kept until the story's compared members change.

Near-duplicate copies are not assigned: they follow their canonical article's story.

The constants were chosen on half of the MDS clusters and measured on the other half
(bench/bench_stories.py, README "Stories, measured"). Names as a feature of their own (a
TF-IDF cosine of the PER/ORG/LOC mentions) were tried there and added nothing on top of the
terms, which hold the names' syllables.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from nienbieu import summarize
from nienbieu.dating import CorpusTerms
from nienbieu.models import Article
from nienbieu.timeline import ENTITY_TYPES

THRESHOLD = 0.14
# Days after which an article outside a story's span keeps 1/e of its similarity. Infinite: time is
# not a feature, so a story may run over years (README "Stories, measured": no time scale from 3
# days to 100 did better on the tuning half).
TIME_SCALE = math.inf
CANDIDATE_TERMS = 10
CANDIDATES = 20  # stories compared with each new article, those sharing most heavy terms
MEMBERS_COMPARED = 20
# Article vectors kept for reuse in a pass (`summarize.CorpusVectors`, some 8 KB each).
CACHED_VECTORS = 20000
CACHED_SUMS = 2000  # stories' summed vectors kept (up to 20 members' terms each)
# Articles looked up per heavy term, the latest stored: a term held by more is common enough that
# the latest of them name the stories still told with it (bench_stories: the same F1 on half 0
# as without the cap, which never binds there; it bounds the lookups of a store of 40,000).
CANDIDATE_HOLDERS = 100


class Corpus(summarize.TermStats, Protocol):
    """Term statistics of the stored articles: `dating.CorpusTerms` in memory, the store's term
    tables and term index on disk."""

    # ids of the articles whose text has it; `limit`: only the latest stored that many
    def with_term(self, term: str, limit: int | None = None) -> list[str]: ...


@dataclass(slots=True)
class Story:
    id: int
    first: date | None = None
    last: date | None = None
    members: list[tuple[str, date | None]] = field(default_factory=list)  # canonical articles
    # the dated members as (day's ordinal, id) in order, and the undated ones: `nearest` looks at
    # the days around its own instead of sorting every member (a big story made it quadratic)
    by_day: list[tuple[int, str]] = field(default_factory=list, repr=False)
    undated: list[str] = field(default_factory=list, repr=False)

    def add(self, article: str, day: date | None) -> None:
        self.members.append((article, day))
        if day is None:
            self.undated.append(article)
            return
        bisect.insort(self.by_day, (day.toordinal(), article))
        self.first = min(self.first or day, day)
        self.last = max(self.last or day, day)

    def gap(self, day: date | None) -> int:
        """Days between `day` and the story's span (0 inside it, or when either is undated)."""
        if day is None or self.first is None or self.last is None:
            return 0
        return max((self.first - day).days, (day - self.last).days, 0)

    def nearest(self, day: date | None, n: int) -> list[str]:
        """The `n` members nearest in time to `day` (an undated member is at distance 0), ties by
        id; the latest ones for an undated article."""
        if day is None:
            return [m for m, _ in self.members[-n:]]
        target, by_day = day.toordinal(), self.by_day
        found = [(0, m) for m in self.undated]
        right = bisect.bisect_left(by_day, (target, ""))
        left = right - 1
        # outwards from `day`, nearest first, until `n` are found and the next one is further
        # than the last found (those as far as it may win on their id)
        while left >= 0 or right < len(by_day):
            before = target - by_day[left][0] if left >= 0 else None
            after = by_day[right][0] - target if right < len(by_day) else None
            if after is None or (before is not None and before <= after):
                step, member, left = before, by_day[left][1], left - 1
            else:
                step, member, right = after, by_day[right][1], right + 1
            assert step is not None
            if len(found) >= n and step > found[-1][0]:
                break
            found.append((step, member))
        return [m for _, m in sorted(found)[:n]]


class Board(Protocol):
    """The stories as kept: looked up by member, created, joined."""

    def stories_of(self, articles: Collection[str]) -> dict[str, int]: ...

    def story(self, story_id: int) -> Story: ...

    def open(self, article: str, day: date | None) -> int: ...

    def join(self, story_id: int, article: str, day: date | None, similarity: float) -> None: ...


@dataclass(frozen=True, slots=True)
class Params:
    threshold: float = THRESHOLD
    time_scale: float = TIME_SCALE

    @property
    def window(self) -> int:
        """Days beyond which the time factor alone keeps a similarity under the threshold."""
        if math.isinf(self.time_scale):
            return 10**6
        return math.ceil(self.time_scale * math.log(1 / max(self.threshold, 1e-9)))


@dataclass(slots=True)
class _Vectors:
    """The articles' vectors (`summarize.CorpusVectors`) and, per story, the sum of its compared
    members' vectors: its mean cosine with an article is one dot product (they are normalised)."""

    articles: summarize.CorpusVectors
    # story id -> (the members summed, their vectors' sum, how many had a vector); kept while the
    # story's compared members stay the same
    sums: dict[int, tuple[tuple[str, ...], summarize.Packed, int]] = field(default_factory=dict)

    def trim(self) -> None:
        """Drop the vectors (and sums) used least recently past their bound (CACHED_SUMS)."""
        self.articles.trim()
        for story in list(itertools.islice(self.sums, max(0, len(self.sums) - CACHED_SUMS))):
            del self.sums[story]

    def mean_cosine(self, article: str, story: int, members: list[str]) -> float | None:
        """The mean cosine of `article`'s vector with the vectors of `members` of `story` (None:
        none has one)."""
        key = tuple(members)
        kept = self.sums.pop(story, None)  # put back last: used now
        if kept is not None:
            self.sums[story] = kept
        if kept is None or kept[0] != key:
            vectors = list(self.articles.of(members).values())
            kept = self.sums[story] = (key, summarize.packed_sum(vectors), len(vectors))
        _, total, count = kept
        if not count:
            return None
        return summarize.packed_dot(self.articles.packed[article], total) / count


def assign(
    articles: Iterable[tuple[str, date | None]],
    corpus: Corpus,
    board: Board,
    p: Params = Params(),
    weighed: summarize.CorpusVectors | None = None,
) -> dict[str, int]:
    """Put each (article id, publication day) in a story, in date order (undated ones last);
    returns each article's story. `weighed`: the corpus's vectors, to keep for labels."""
    vectors = _Vectors(weighed or vectors_of(corpus))
    found: dict[str, int] = {}
    for article, day in sorted(articles, key=lambda a: (a[1] is None, a[1] or date.min, a[0])):
        vectors.trim()
        best, similarity = _best_story(article, day, corpus, board, vectors, p)
        if best is None or similarity < p.threshold:
            found[article] = board.open(article, day)
        else:
            board.join(best, article, day, similarity)
            found[article] = best
    return found


def vectors_of(corpus: Corpus) -> summarize.CorpusVectors:
    """The TF-IDF vectors stories compare, over `corpus`."""
    return summarize.CorpusVectors(corpus, CACHED_VECTORS)


def _candidates(article: str, heavy: list[str], corpus: Corpus, board: Board) -> list[int]:
    """Stories of the articles sharing one of the `heavy` terms of `article`: the `CANDIDATES`
    that share most of them (a story told with other words cannot be similar enough to join)."""
    holding = {term: [o for o in corpus.with_term(term, CANDIDATE_HOLDERS) if o != article] for term in heavy}
    story_of = board.stories_of({other for found in holding.values() for other in found})
    shared: Counter[int] = Counter()
    for found in holding.values():
        shared.update({story_of[other] for other in found if other in story_of})
    return sorted(story for story, _ in sorted(shared.items(), key=lambda kv: (-kv[1], kv[0]))[:CANDIDATES])


def _best_story(
    article: str, day: date | None, corpus: Corpus, board: Board, vectors: _Vectors, p: Params
) -> tuple[int | None, float]:
    own = vectors.articles.of([article]).get(article)
    if own is None or not len(own[0]):
        return None, 0.0
    best: tuple[int | None, float] = (None, 0.0)
    for story_id in _candidates(article, vectors.articles.heaviest(own, CANDIDATE_TERMS), corpus, board):
        story = board.story(story_id)
        gap = story.gap(day)
        if gap > p.window:
            continue
        mean = vectors.mean_cosine(article, story_id, story.nearest(day, MEMBERS_COMPARED))
        if mean is None:
            continue
        similarity = mean * math.exp(-gap / p.time_scale)
        if similarity > best[1]:
            best = (story_id, similarity)
    return best


# --- in memory: for a corpus held as articles (benchmarks, tests) ---------------------------------


@dataclass(slots=True)
class MemoryBoard:
    """A Board of stories held in memory."""

    stories: list[Story] = field(default_factory=list)
    of: dict[str, int] = field(default_factory=dict)

    def stories_of(self, articles: Collection[str]) -> dict[str, int]:
        return {a: self.of[a] for a in articles if a in self.of}

    def story(self, story_id: int) -> Story:
        return self.stories[story_id]

    def open(self, article: str, day: date | None) -> int:
        self.stories.append(Story(len(self.stories)))
        self.join(len(self.stories) - 1, article, day, 0.0)
        return len(self.stories) - 1

    def join(self, story_id: int, article: str, day: date | None, similarity: float) -> None:
        self.stories[story_id].add(article, day)
        self.of[article] = story_id


def cluster(
    articles: Sequence[Article], p: Params = Params(), corpus: Sequence[Article] | None = None
) -> dict[str, int]:
    """Each article's story, for articles held in memory; `corpus`: the articles whose terms
    weigh the comparison (default: `articles`; a store weighs over all it holds, copies too)."""
    every = corpus if corpus is not None else articles
    index = CorpusTerms.build(every, [a.id for a in every])
    days = [(a.id, a.published.date() if a.published else None) for a in articles]
    return assign(days, index, MemoryBoard(), p)


# --- labels -------------------------------------------------------------------------------------


LABEL_NAMES = 3


def label(articles: Sequence[Article], vectors: summarize.CorpusVectors) -> str:
    """What a reader needs to recognise a story: its most mentioned names, then the title of
    its most central article (the one most like the others, by the stories' own `vectors`)."""
    names = Counter(
        m.canonical or m.text
        for a in articles
        for s in a.sentences
        for m in s.mentions
        if m.type in ENTITY_TYPES
    )
    top = [name for name, _ in sorted(names.items(), key=lambda kv: (-kv[1], kv[0]))[:LABEL_NAMES]]
    title = _central_title(articles, vectors)
    if not top:
        return title
    return " – ".join(top) + (f": {title}" if title else "")


def _central_title(articles: Sequence[Article], vectors: summarize.CorpusVectors) -> str:
    titled = [a for a in articles if a.display_title]
    if not titled:
        return ""
    if len(titled) == 1:
        return titled[0].display_title
    weighed = vectors.of([a.id for a in titled])
    # the sum of an article's cosines with all is its cosine with the sum of all; rounded, so that
    # a tie (two members: both score 1 + their cosine) goes to the latest, not to rounding noise
    total = summarize.packed_sum(list(weighed.values()))
    score = [round(summarize.packed_dot(weighed[a.id], total), 9) if a.id in weighed else 0.0 for a in titled]
    return titled[max(range(len(titled)), key=lambda i: (score[i], -i))].display_title
