"""Estimate the publication date (DCT) of an article whose page states none.

Every time expression is evidence about when the article was written: "ngày 14-15
tháng 7 năm 2025" with "sẽ" says "before mid-July 2025"; "tháng 4" in a past-tense
sentence says "some months after an April"; "hôm thứ Ba" says "a day or two after a
Tuesday". Each piece becomes a likelihood over candidate days; their product is a
posterior from which we report the most probable day, a 90% window and the
probability that the day is right within three days. Each likelihood is mixed with a
flat floor, so one wrong or historical mention cannot rule a date out, and an article
with little evidence gets a wide window rather than a confident wrong date.

A posterior is not calibrated by construction: the raw 90% window of an article alone held
the truth for 83–84% of the MDS articles (73.5% on unseen clusters, issue 15), with a dated
corpus for 95–97%. The
window and the probability are therefore mapped through a table fitted on one part of the
Vietnamese MDS clusters and checked on another (data/dating_calibration.toml, written by
bench/bench_dating.py --calibrate).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Protocol

import numpy as np

from nienbieu import summarize, timex
from nienbieu.data import load as load_table
from nienbieu.models import Article, DateProvenance

HIGH_CONFIDENCE = 0.6  # an inferred date this likely (within 3 days) is used as a point
FLOOR = 0.1  # weight of "this mention says nothing about the DCT"
MAX_YEARS = 60  # candidate range guard
TIGHT_CORPUS_DAYS = 30  # dated articles within this span describe one event
# How far past the dated range of a tight corpus an undated article of it may fall, in days
# (plus the range's own span); fitted on half of the vietnamese-mds clusters, checked on the other.
CORPUS_EDGE_DAYS = 2.0
# A year named in the past tense is history or the recent past: this share of such mentions lies
# within about YEAR_RECENT_DAYS before the DCT, the rest anywhere before it.
YEAR_RECENT = 0.5  # fitted on the fitting half (bench/dating_split.toml): median error 386 -> 313 days
YEAR_RECENT_DAYS = 365.0
# An own clue is contradicted by the rest of the evidence when the rest makes the days where the
# clue's likelihood is at least 5% of its peak 5 times less likely than a flat posterior would
# (see `_blend`).
CONFLICT_LOG_RATIO = float(np.log(0.05))
CONFLICT_LIFT = 0.2
NEIGHBOUR_SIMILARITY = 0.5  # cosine above which a dated article tells the same story
RARE_TERMS = 40  # an article's rarest terms, used to find the articles that may retell it
# Dated articles looked up per rare term (the latest stored), and of those the ones weighed (sharing
# most rare terms): without these caps the candidates of an undated article grew with the store
# (a term of a big store's reused sentences holds thousands of articles) and dating with its
# square. Neither binds on bench_dating's clusters; a retelling shares many of the rare terms.
RARE_TERM_HOLDERS = 100
NEIGHBOUR_CANDIDATES = 50
# TF-IDF vectors kept for reuse (neighbouring articles share candidates), as arrays of some 8 KB
# each (`summarize.CorpusVectors`); past this many the least recently used are dropped. As dicts
# (50-90 KB each) 5,000 were kept, and an undated article of a 10,000-article store weighed 29
# vectors on average of its 50 candidates.
CACHED_VECTORS = 20000
# The dates a news article can have, stated or inferred; a stated one outside them is refused at
# ingest (`clean`). The first newspaper in Vietnamese script, Gia Định báo, appeared in 1865; an
# article is not published more than a day or two after it is read (two days leave room for
# time zones and a clock set ahead).
EARLIEST_PUBLICATION = date(1865, 1, 1)
LATEST_AHEAD_DAYS = 2


def publication_range(today: date | None = None) -> tuple[date, date]:
    """The first and last plausible publication day for an article read `today`."""
    latest = timex.add_days(today or date.today(), LATEST_AHEAD_DAYS)
    return EARLIEST_PUBLICATION, latest or date.max


def is_plausible_publication(day: date, today: date | None = None) -> bool:
    first, last = publication_range(today)
    return first <= day <= last


# The type under a second name: inside DateEstimate, `date` is the field.
Day = date


@dataclass(frozen=True, slots=True)
class DateEstimate:
    date: Day
    start: Day  # 90% window
    end: Day  # calibrated: holds the true day for about 90% of articles
    confidence: float  # P(true DCT within 3 days of `date`), calibrated
    evidence: tuple[str, ...] = field(default=())

    @property
    def width_days(self) -> int:
        return (self.end - self.start).days

    def describe(self) -> str:
        return f"{self.date} (90% {self.start}..{self.end}, p={self.confidence:.2f})"


@dataclass(slots=True)
class _Grid:
    first: int  # ordinal of the first candidate day
    days: np.ndarray  # ordinals
    years: np.ndarray
    months: np.ndarray  # 1..12
    month_index: np.ndarray  # year * 12 + month - 1
    weekdays: np.ndarray

    @classmethod
    def between(cls, start: date, end: date) -> _Grid:
        days = np.arange(start.toordinal(), end.toordinal() + 1)
        # years and months in numpy's calendar, not one `date` per day (a grid may span 60 years)
        calendar = (days - _EPOCH_ORDINAL).astype("datetime64[D]")
        years = calendar.astype("datetime64[Y]").astype(np.int64) + 1970
        months = calendar.astype("datetime64[M]").astype(np.int64) % 12 + 1
        return cls(int(days[0]), days, years, months, years * 12 + months - 1, days % 7)


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()  # numpy's day 0


@dataclass(slots=True)
class _Evidence:
    loglik: np.ndarray
    notes: list[str] = field(default_factory=list)
    # each clue's own term of `loglik`, and whether it comes from the article itself (not the corpus)
    terms: list[np.ndarray] = field(default_factory=list)
    own: list[bool] = field(default_factory=list)

    def add(self, likelihood: np.ndarray, note: str, weight: float = 1.0, own: bool = True) -> None:
        # Each mention is a density over candidate days, mixed with a uniform one: "this
        # mention says nothing about the DCT" (a historical aside, a source's typo).
        total = likelihood.sum()
        if total <= 0:
            return
        n = len(likelihood)
        term = weight * np.log(FLOOR / n + (1 - FLOOR) * likelihood / total)
        self.loglik += term
        self.terms.append(term)
        self.own.append(own)
        self.notes.append(note)


def _decay(distance: np.ndarray, scale: float) -> np.ndarray:
    return np.exp(-np.maximum(distance, 0) / scale)


def _explicit(grid: _Grid, start: int, end: int, tense: str | None) -> np.ndarray:
    """Likelihood for a mention of the absolute period [start, end] (ordinals).

    A planned event ("sẽ") is written about before it happens: within months for a day or
    a month, within years for a year ("tầm nhìn đến năm 2030"). Anything else is in the
    past of the DCT; a named day is usually recent, a named year can be history.
    """
    length = end - start
    if tense == "future":
        scale = 1095.0 if length > 100 else 180.0
        return np.where(grid.days <= end, _decay(start - grid.days, scale), _decay(grid.days - end, 30.0))
    if length > 100:  # a year or longer: can be history, but most often the recent past
        since = np.maximum(grid.days - end, 0).astype(float)
        after = YEAR_RECENT * _decay(since, YEAR_RECENT_DAYS) + (1 - YEAR_RECENT)
    else:
        after = _decay(grid.days - end, 365.0 if length < 7 else 730.0)
    return np.where(grid.days >= start, after, _decay(start - grid.days, 60.0))


def _narrow(period: tuple[date, date], modifier: str | None) -> tuple[date, date]:
    """ "đầu/giữa/cuối năm 2017": the first, middle or last third of the period."""
    if modifier not in ("START", "MID", "END"):
        return period
    start, end = period
    third = (end - start).days // 3
    if modifier == "START":
        return start, start + timedelta(days=third)
    if modifier == "END":
        return end - timedelta(days=third), end
    return start + timedelta(days=third), end - timedelta(days=third)


def period(value: str) -> tuple[date, date] | None:
    """First and last day of an absolute TIMEX value (day, range, month, year)."""
    if "X" in value:
        return None
    if "/" in value:
        a, b = (period(v) for v in value.split("/", 1))
        return (a[0], b[1]) if a and b else None
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            d = date.fromisoformat(value)
            return d, d
        if re.fullmatch(r"\d{4}-\d{2}", value):
            y, m = int(value[:4]), int(value[5:7])
            last = date(y + (m == 12), m % 12 + 1, 1) - timedelta(days=1)
            return date(y, m, 1), last
        if re.fullmatch(r"\d{4}", value):
            return date(int(value), 1, 1), date(int(value), 12, 31)
    except ValueError:
        return None
    return None


def _underspecified_day(grid: _Grid, month: int, day: int, tense: str | None) -> np.ndarray:
    distances = []
    for offset in (-1, 0, 1):
        # the day's date in each year of the grid, worked out once per year, not once per day
        years, where = np.unique(grid.years + offset, return_inverse=True)
        occurrence = np.array([_ordinal_or_far(int(y), month, day) for y in years])[where]
        distances.append(grid.days - occurrence)  # > 0: occurrence in the past
    stacked = np.stack(distances)
    if tense == "past":
        dist = np.where(stacked >= 0, stacked, 10**9).min(axis=0)
    elif tense == "future":
        dist = np.where(stacked <= 0, -stacked, 10**9).min(axis=0)
    else:
        dist = np.abs(stacked).min(axis=0)
    # Measured on dated news (bench/bench_dating.py, fitting half): half of the unyeared day
    # mentions are within a day of the DCT, the rest spread over weeks; announced events
    # ("sẽ") lie further ahead than reported ones lie behind.
    near, scale = (0.45, 40.0) if tense == "future" else (0.5, 20.0)
    return near * _decay(dist, 1.5) / 1.5 + (1 - near) * _decay(dist, scale) / scale


def _ordinal_or_far(year: int, month: int, day: int) -> int:
    """The day's ordinal, or one far beyond any grid where it does not exist (29 February)."""
    try:
        return date(year, month, day).toordinal()
    except ValueError:
        return 10**9


def _underspecified_month(grid: _Grid, month: int, tense: str | None) -> np.ndarray:
    since = (grid.months - month) % 12  # months since the latest such month
    until = (month - grid.months) % 12
    dist = since if tense == "past" else until if tense == "future" else np.minimum(since, until)
    return _decay(dist.astype(float), 3.0)


def _weekday(grid: _Grid, weekday: int, tense: str | None) -> np.ndarray:
    # date.toordinal() % 7 == weekday() + 1 (mod 7)
    grid_weekday = (grid.weekdays - 1) % 7
    if tense == "future":
        return _decay(((weekday - grid_weekday) % 7).astype(float), 3.0)
    return _decay(((grid_weekday - weekday) % 7).astype(float), 1.5)


_ADJUNCT = re.compile(
    r"(?:^|[,;:(]\s*|\b(?:vào|trong|đến|tới|từ|trước|sau|hồi|dịp|cho tới|tính đến|kể từ))\s*$", re.IGNORECASE
)


def _observations(article: Article) -> list[tuple[str, dict, str, str | None, str, bool]]:
    """(handler, groups, value-without-DCT, tense, text, governed) for every DATE expression.

    `governed` is False for an expression inside a noun phrase ("cam kết năm 2006"): the
    clause's "sẽ" is about the verb, not about that date.
    """
    found = []
    for sentence in article.sentences:
        ctx = timex.Context(None)
        for start, end, rule, match in timex.find(sentence.text):
            tense = timex.expression_tense(sentence.text, start, end, match)
            resolved = timex.HANDLERS[rule.handler](match.groupdict(), ctx, tense)
            if resolved is not None and resolved.type == "DATE":
                governed = bool(_ADJUNCT.search(sentence.text[max(0, start - 30) : start]))
                found.append(
                    (
                        rule.handler,
                        match.groupdict(),
                        resolved.value or "",
                        tense,
                        sentence.text[start:end],
                        governed,
                    )
                )
    return found


def _years_mentioned(observations: list) -> list[int]:
    return [int(o[2][:4]) for o in observations if re.match(r"\d{4}", o[2])]


def _candidate_range(
    article: Article, observations: list, dated: tuple[date, date] | None, today: date
) -> tuple[date, date] | None:
    first, last = publication_range(today)
    hint = article.year_hint
    years = _years_mentioned(observations) + ([hint] if hint and first.year <= hint <= last.year else [])
    years += [d.year for d in dated or ()]
    if not years:
        return None
    # nothing says the article is not from any year up to now; nor from a day it cannot have
    high = min(max(max(years) + 1, today.year), last.year)
    low = max(min(years) - 1, high - MAX_YEARS, first.year)
    if low > high:
        return None
    return max(date(low, 1, 1), first), min(date(high, 12, 31), last)


def infer_dct(
    article: Article, corpus: Sequence[Article] | DatedCorpus = (), today: date | None = None
) -> DateEstimate | None:
    """Posterior over publication days from the article's own expressions and the dated corpus
    (pass a `DatedCorpus` when dating many articles of one corpus)."""
    found = _posterior(article, corpus, today)
    return None if found is None else _summarise(*found, last=publication_range(today)[1])


def _posterior(
    article: Article, corpus: Sequence[Article] | DatedCorpus = (), today: date | None = None
) -> tuple[_Grid, _Evidence] | None:
    """The candidate days and every clue's log-likelihood over them (None: no evidence)."""
    index = corpus if isinstance(corpus, DatedCorpus) else DatedCorpus.build(corpus)
    observations = _observations(article)
    dated = index.date_range(article)
    span = _candidate_range(article, observations, dated, today or date.today())
    if span is None:
        return None
    grid = _Grid.between(*span)
    evidence = _Evidence(np.zeros(len(grid.days)))
    for observation in observations:
        _add_observation(grid, evidence, *observation)
    if article.year_hint:
        evidence.add((grid.years == article.year_hint).astype(float), f"© {article.year_hint}", weight=2.0)
    if dated:
        _add_corpus_range(grid, evidence, *dated)
    if article.sentences:
        for other_date, similarity in index.neighbours(article):
            near = _decay(np.abs(grid.days - other_date.toordinal()).astype(float), 30.0)
            evidence.add(
                near,
                f"near-duplicate of an article dated {other_date} (cos {similarity:.2f})",
                similarity,
                own=False,
            )
    if not evidence.notes:
        return None
    return grid, evidence


def _add_corpus_range(grid: _Grid, evidence: _Evidence, first_day: date, last_day: date) -> None:
    """A corpus gathered around one event bounds its undated articles; one that spans
    months or years (a long-running story) says little about where any one article falls."""
    first, last = first_day.toordinal(), last_day.toordinal()
    span = last - first
    weight = 1.0 if span <= TIGHT_CORPUS_DAYS else max(0.0, 1 - (span - TIGHT_CORPUS_DAYS) / 150)
    if weight == 0:
        return
    outside = np.maximum(first - grid.days, grid.days - last).astype(float)
    note = f"corpus dated {date.fromordinal(first)}..{date.fromordinal(last)}"
    evidence.add(_decay(outside, CORPUS_EDGE_DAYS + span), note, weight, own=False)


def _add_observation(
    grid: _Grid,
    evidence: _Evidence,
    handler: str,
    groups: dict,
    value: str,
    tense: str | None,
    text: str,
    governed: bool,
) -> None:
    label = f"“{text}”" + (f" ({tense})" if tense else "")
    days = period(value) if value else None
    if days is not None:
        days = _narrow(days, timex.tables()["words"]["modifier"].get((groups.get("mod") or "").lower()))
        start, end = days[0].toordinal(), days[1].toordinal()
        evidence.add(_explicit(grid, start, end, tense if governed else None), label)
    elif re.fullmatch(r"XXXX-\d{2}-\d{2}", value):
        month, day = int(value[5:7]), int(value[8:10])
        evidence.add(_underspecified_day(grid, month, day, tense), label)
    elif re.fullmatch(r"XXXX-\d{2}", value):
        evidence.add(_underspecified_month(grid, int(value[5:7]), tense), label)
    elif handler == "weekday":
        wd = (
            6
            if groups.get("sun")
            else timex.tables()["words"]["weekday"].get((groups.get("wd") or "").lower())
        )
        if wd is not None:
            evidence.add(_weekday(grid, wd, tense), label)


class TermIndex(summarize.TermStats, Protocol):
    """Term statistics of a corpus, asked only for the terms and articles being compared (a
    store answers from its tables instead of holding every article's terms in memory)."""

    def dated_df(self, terms: Collection[str]) -> dict[str, int]: ...  # the same among dated ones (> 0)

    # ids of the dated articles with the term; `limit`: only the latest stored that many
    def dated_with(self, term: str, limit: int | None = None) -> list[str]: ...


@dataclass(slots=True)
class DatedCorpus:
    """The stated dates of a corpus and a term index to find which of its articles tell the same
    story as a given one. Built once per corpus: comparing every undated article with every dated
    one through a dense matrix made date inference quadratic in the corpus size. TF-IDF weights
    are computed only for the articles compared (an undated one and its candidates)."""

    dates: dict[str, date]  # article id -> stated publication day
    terms: TermIndex
    _vectors: summarize.CorpusVectors = field(init=False)
    _range: tuple[date, date] | None = None

    def __post_init__(self) -> None:
        # A store written before stated dates were checked may hold a year 1 or 9999: no evidence.
        self.dates = {i: day for i, day in self.dates.items() if is_plausible_publication(day)}
        self._vectors = summarize.CorpusVectors(self.terms, CACHED_VECTORS)

    @classmethod
    def build(cls, corpus: Sequence[Article]) -> DatedCorpus:
        dates = {
            a.id: a.published.date()
            for a in corpus
            if a.published and a.published_provenance == DateProvenance.STATED
        }
        return cls(dates, CorpusTerms.build(corpus, dates.keys()))

    def date_range(self, article: Article) -> tuple[date, date] | None:
        """The first and last stated day of the other articles."""
        if article.id in self.dates:
            others = [day for article_id, day in self.dates.items() if article_id != article.id]
            return (min(others), max(others)) if others else None
        if self._range is None and self.dates:
            self._range = (min(self.dates.values()), max(self.dates.values()))
        return self._range

    def neighbours(self, article: Article) -> list[tuple[date, float]]:
        """(stated date, cosine) of the dated articles at least NEIGHBOUR_SIMILARITY alike."""
        own = Counter(summarize.terms(_text(article)))
        # A story retold shares the article's rarest terms, so those find the candidates; "rare"
        # among the dated articles — terms no dated article has would find nothing.
        dated_df = self.terms.dated_df(own.keys())
        rare = sorted((term for term in own if term in dated_df), key=dated_df.__getitem__)[:RARE_TERMS]
        # Only the articles this corpus was built with: another process may store (or replace)
        # articles while this one dates its own, and their dates are not in `self.dates`.
        shared = Counter(c for term in rare for c in self.terms.dated_with(term, RARE_TERM_HOLDERS))
        found = [c for c in shared if c != article.id and c in self.dates]
        candidates = sorted(sorted(found, key=lambda c: (-shared[c], c))[:NEIGHBOUR_CANDIDATES])
        self._vectors.trim()
        vector = self._vectors.weigh(own)
        similar = (
            (self.dates[c], summarize.packed_dot(vector, other))
            for c, other in self._vectors.of(candidates).items()
        )
        return [(day, sim) for day, sim in similar if sim >= NEIGHBOUR_SIMILARITY]


@dataclass(slots=True)
class CorpusTerms:
    """A TermIndex of articles in memory (story detection's `stories.Corpus` too)."""

    by_article: dict[str, Counter[str]]  # term counts of every article with sentences
    df_all: Counter[str]
    postings: dict[str, list[str]]  # term -> dated article ids

    @classmethod
    def build(cls, corpus: Sequence[Article], dated: Collection[str]) -> CorpusTerms:
        with_text = [a for a in corpus if a.sentences]
        rows, df = summarize.term_counts(_text(a) for a in with_text)
        by_article = {a.id: row for a, row in zip(with_text, rows, strict=True)}
        postings: dict[str, list[str]] = {}
        wanted = set(dated)
        for article_id in (a for a in by_article if a in wanted):  # in corpus order: the latest last
            for term in by_article[article_id]:
                postings.setdefault(term, []).append(article_id)
        return cls(by_article, df, postings)

    def size(self) -> int:
        return len(self.by_article)

    def df(self, terms: Collection[str]) -> Mapping[str, int]:
        return self.df_all

    def dated_df(self, terms: Collection[str]) -> dict[str, int]:
        return {term: len(self.postings[term]) for term in terms if term in self.postings}

    def dated_with(self, term: str, limit: int | None = None) -> list[str]:
        return self.with_term(term, limit)

    def with_term(self, term: str, limit: int | None = None) -> list[str]:
        """The articles with the term among those the index was built to find (`dated`);
        `limit`: the last that many of the corpus (a store's latest stored)."""
        found = self.postings.get(term, [])
        return found if limit is None else found[-limit:]

    def counts(self, ids: Collection[str]) -> dict[str, Counter[str]]:
        return {i: self.by_article[i] for i in ids}


def _text(article: Article) -> str:
    return " ".join(s.text for s in article.sentences)


def terms_of(sentences: Iterable[str]) -> list[str]:
    """The terms an article is compared by, from its sentences' texts."""
    return summarize.terms(" ".join(sentences))


def term_set(sentences: Iterable[str]) -> set[str]:
    return set(terms_of(sentences))


@dataclass(frozen=True, slots=True)
class _Raw:
    """The uncalibrated reading of a posterior: what calibration maps to a window and a `p`."""

    days: np.ndarray  # ordinals
    posterior: np.ndarray
    best: int  # index of the most probable day
    regime: str  # "corpus": dated articles are evidence; "alone": the article's own clues only
    near: float  # posterior mass within 3 days of the best day
    conflicts: int  # own clues the rest of the evidence contradicts

    def level(self, day: date) -> float:
        """The smallest central posterior level whose interval holds `day` (> 1: off the grid)."""
        i = day.toordinal() - int(self.days[0])
        if not 0 <= i < len(self.days):
            return 2.0
        mid = float(np.cumsum(self.posterior)[i] - self.posterior[i] / 2)
        return abs(2 * mid - 1)

    def interval(self, level: float) -> tuple[int, int]:
        """Indices of the first and last day of the central `level` interval, best day included."""
        mid = np.cumsum(self.posterior) - self.posterior / 2
        inside = np.flatnonzero(np.abs(2 * mid - 1) <= level)
        low, high = (int(inside[0]), int(inside[-1])) if len(inside) else (self.best, self.best)
        return min(low, self.best), max(high, self.best)


def _raw(grid: _Grid, evidence: _Evidence) -> _Raw:
    posterior, conflicts = _blend(evidence)
    best = int(np.argmax(posterior))
    near = float(posterior[max(0, best - 3) : best + 4].sum())
    regime = "alone" if all(evidence.own) else "corpus"
    return _Raw(grid.days, posterior, best, regime, near, conflicts)


def _normalised(loglik: np.ndarray) -> np.ndarray:
    posterior = np.exp(loglik - loglik.max())
    return posterior / posterior.sum()


def _blend(evidence: _Evidence) -> tuple[np.ndarray, int]:
    """The posterior, averaged with the posteriors that leave out each of the article's own clues
    the rest of the evidence contradicts ("sẽ … 15/7" when another clue puts the DCT after July):
    which of them is wrong is not known, so the window must hold both readings rather than the
    product's compromise or the side that happens to weigh more."""
    full = _normalised(evidence.loglik)
    readings = [full]
    if sum(evidence.own) >= 2:
        for term, own in zip(evidence.terms, evidence.own, strict=True):
            if not own:
                continue
            rest = _normalised(evidence.loglik - term)
            # the rest makes the days this clue allows far less likely than knowing nothing
            # would; not "the rest's best day": a rest that does not know the year has its best
            # day in an arbitrary one, and not plain mass: a clue may allow few days
            allowed = term >= term.max() + CONFLICT_LOG_RATIO
            if rest[allowed].sum() < CONFLICT_LIFT * allowed.mean():
                readings.append(rest)
    return np.mean(readings, axis=0), len(readings) - 1


def _calibration(regime: str) -> dict[str, float]:
    return load_table("dating_calibration")[regime]


def _summarise(grid: _Grid, evidence: _Evidence, last: date = date.max) -> DateEstimate:
    raw = _raw(grid, evidence)
    table = _calibration(raw.regime)
    low, high = raw.interval(table["level"])
    margin = int(table["margin_days"])
    to_date = lambda i: date.fromordinal(int(grid.days[i]))  # noqa: E731
    start = max(timex.add_days(to_date(low), -margin) or EARLIEST_PUBLICATION, EARLIEST_PUBLICATION)
    end = min(timex.add_days(to_date(high), margin) or last, last)
    confidence = calibrated_p(raw.near, table)
    return DateEstimate(to_date(raw.best), start, end, round(confidence, 3), tuple(evidence.notes))


def calibrated_p(near: float, table: Mapping[str, float]) -> float:
    """P(true day within 3 days of the best day), from the posterior's own mass there through
    the regime's logistic map (Platt scaling) fitted on the calibration part of the MDS clusters."""
    clipped = min(max(near, 1e-4), 1 - 1e-4)
    logit = table["p_intercept"] + table["p_slope"] * float(np.log(clipped / (1 - clipped)))
    return float(1 / (1 + np.exp(-min(max(logit, -30.0), 30.0))))


def is_reliable(article: Article) -> bool:
    """Stated, or inferred with high confidence: good enough to date a sentence by."""
    if article.published is None:
        return False
    if article.published_provenance == DateProvenance.STATED:
        return True
    return (article.published_confidence or 0.0) >= HIGH_CONFIDENCE
