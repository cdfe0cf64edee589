"""Pick the dates that matter and summarise each from the sentences that talk about it.

Datewise approach (Tran et al. 2015; Martschat & Markert 2018; Gholipour Ghalandari & Ifrim 2020):
every sentence is assigned to the dates its time expressions resolve to, or to its article's
publication date when it has none; dates are ranked by a small learned model of their evidence
(how many sentences and articles name them, whether articles published after them report them,
how many articles appeared that day, their granularity: `DATE_FEATURES`, weights in
data/date_ranker.toml, trained on the English Timeline17 benchmark by bench/train_date_ranker.py);
each chosen date gets the sentences that bring its entry closest to the centroid of its candidate
lines (the sentences naming it and the undated leads of that day's and the next day's articles),
none repeating another line of the timeline.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from nienbieu import dating, summarize, timex
from nienbieu.data import load
from nienbieu.models import Article, EntryQuote, Mention, Sentence, TimeExpression, TimelineEntry

GRANULARITIES = ("day", "range", "month", "year")  # a date's granularities a timeline shows
ENTITY_TYPES = ("PER", "ORG", "LOC")
ENTITIES_PER_ENTRY = 5
QUOTES_PER_ENTRY = 2
MIN_QUOTE_WORDS = 5  # shorter quoted words are terms held at arm's length (“thiên đường”), not statements


@dataclass(frozen=True, slots=True)
class DatedSentence:
    article: Article
    sentence: Sentence
    date: str
    granularity: str
    explicit: bool
    future: bool


def calendar_date(t: TimeExpression) -> tuple[str, str] | None:
    """The date (value, granularity) a time expression places its sentence on: a resolved DATE, or
    the day of a resolved TIME ("16h ngày 16/10" is 2013-10-16T16:00: the crash happened that
    day); None for open-ended ones ("trước 2020") and anything else."""
    if not timex.is_resolved(t.value) or t.modifier in ("BEFORE", "AFTER") or not t.value:
        return None
    if t.type == "DATE" and t.granularity in GRANULARITIES:
        return t.value, t.granularity
    if t.type == "TIME" and _DAY_PREFIX.match(t.value):
        return t.value[:10], "day"
    return None


_DAY_PREFIX = re.compile(r"\d{4}-\d{2}-\d{2}")


def sentence_dates(article: Article, sentence: Sentence) -> list[DatedSentence]:
    """The dates a sentence talks about; its article's date when it names none."""
    found = []
    for t in sentence.timexes:
        if named := calendar_date(t):
            value, granularity = named
            future = t.tense == "future" or (
                article.published is not None and value[:10] > article.published.date().isoformat()
            )
            found.append(DatedSentence(article, sentence, value, granularity, True, future))
    if not found and article.published is not None and dating.is_reliable(article) and _undated(sentence):
        found.append(
            DatedSentence(article, sentence, article.published.date().isoformat(), "day", False, False)
        )
    return found


def _undated(sentence: Sentence) -> bool:
    """Names no date, not even an open-ended or unresolved one ("trước đó", "XXXX-10-16")."""
    return not any(t.type == "DATE" or calendar_date(t) for t in sentence.timexes)


def assign(articles: Sequence[Article]) -> dict[str, list[DatedSentence]]:
    buckets: dict[str, list[DatedSentence]] = defaultdict(list)
    for article in articles:
        for sentence in article.sentences:
            for dated in sentence_dates(article, sentence):
                buckets[dated.date].append(dated)
    return buckets


# --- learned date ranker ---------------------------------------------------------------
# What a date's evidence looks like, per date of one collection. Counts are compared within the
# collection (log1p(count) / log1p(the largest count of any date)): a cluster of three articles and
# a topic of two thousand then speak the same scale.
DATE_FEATURES = (
    "mentions",  # sentences that name the date
    "mention_sources",  # articles that name it
    "reported_after",  # articles published after it that name it: the event is being reported
    "announced_before",  # articles published before it that name it: it was expected
    "same_day",  # articles published that day that name it ("today")
    "published",  # articles published that day (what a publication-date baseline counts)
    "first_mentions",  # sentences whose first date it is
    "lead_mentions",  # sentences among the first five of their article that name it
    "reported_soon",  # articles published one to three days after it that name it: fresh news
    "background",  # the articles naming it were (median) published over BACKGROUND_DAYS after it
    "month",  # granularity flags; a day or a range is neither
    "year",
)
_COUNTS = 9  # the first nine features are counts
# A date recalled three months or more after it is usually background ("the 1998 crash"), not an
# event of the story: chosen on the Vietnamese dev references, where such years outranked the
# story's days (Timeline17's spans hide them from its training rows but the out-of-span ones).
BACKGROUND_DAYS = 90


@dataclass(frozen=True, slots=True)
class DateRanker:
    """A linear score over `DATE_FEATURES`, trained by bench/train_date_ranker.py."""

    weights: tuple[float, ...]
    bias: float = 0.0

    def scores(self, features: np.ndarray) -> np.ndarray:
        return features @ np.asarray(self.weights) + self.bias


def default_ranker() -> DateRanker:
    table = load("date_ranker")
    assert tuple(table["features"]) == DATE_FEATURES, "date_ranker.toml is for other features"
    return DateRanker(tuple(float(w) for w in table["weights"]), float(table["bias"]))


def date_features(buckets: dict[str, list[DatedSentence]], articles: Sequence[Article]) -> np.ndarray:
    """One row of `DATE_FEATURES` per date of `buckets`, in its order."""
    published = Counter(a.published.date() for a in articles if a.published and dating.is_reliable(a))
    raw = []
    for key, items in buckets.items():
        explicit = {d.article.id: d.article for d in items if d.explicit}
        days = dating.period(key)
        after = before = same = soon = 0
        lags: list[int] = []
        for article in explicit.values():
            if article.published is None or days is None:
                continue
            day = article.published.date()
            after += day > days[1]
            before += day < days[0]
            same += days[0] == day == days[1]
            soon += 1 <= (day - days[1]).days <= 3
            lags.append(max(0, (day - days[1]).days))
        first = sum(d.explicit and _first_date(d.sentence) == key for d in items)
        lead = sum(d.explicit and d.sentence.index < 5 for d in items)
        granularity = items[0].granularity
        on_day = published[days[0]] if days and days[0] == days[1] else 0
        raw.append(
            [
                sum(d.explicit for d in items),
                len(explicit),
                after,
                before,
                same,
                on_day,
                first,
                lead,
                soon,
                float(bool(lags) and float(np.median(lags)) > BACKGROUND_DAYS),
                float(granularity == "month"),
                float(granularity == "year"),
            ]
        )
    matrix = np.array(raw, dtype=float).reshape(len(raw), len(DATE_FEATURES))
    counts = np.log1p(matrix[:, :_COUNTS])
    top = counts.max(axis=0, initial=0.0)
    matrix[:, :_COUNTS] = np.divide(counts, top, out=np.zeros_like(counts), where=top > 0)
    return matrix


def _first_date(sentence: Sentence) -> str | None:
    return next((named[0] for t in sentence.timexes if (named := calendar_date(t))), None)


# --- per-date summaries: DATEWISE's candidate selection and summary (Gholipour Ghalandari & Ifrim
# 2020), which beat LexRank × position on both benchmarks (README, "Timeline quality, measured") --
LEAD_SENTENCES = 6  # an article's first sentences that name no date stand for its publication day
REPORTED_NEXT_DAY = 1  # ... and for the day before: news reports yesterday's events
ENTRY_REDUNDANCY = summarize.REDUNDANCY  # cosine above which a line repeats another of its entry
TIMELINE_REDUNDANCY = summarize.REDUNDANCY  # ... or a line of another entry


def _leads(articles: Sequence[Article]) -> dict[date, list[DatedSentence]]:
    """Per day, the undated lead sentences of the articles published on it."""
    leads: dict[date, list[DatedSentence]] = defaultdict(list)
    for article in articles:
        if article.published is None or not dating.is_reliable(article):
            continue
        day = article.published.date()
        for sentence in article.sentences[:LEAD_SENTENCES]:
            if _undated(sentence):
                leads[day].append(DatedSentence(article, sentence, day.isoformat(), "day", False, False))
    return leads


def _candidates(
    key: str, items: list[DatedSentence], leads: dict[date, list[DatedSentence]], idf: _Idf
) -> list[list[DatedSentence]]:
    """A date's candidate lines, best sets first: the sentences naming it, and for a day the undated
    leads of the articles published that day or the next, kept when close to what both kinds say
    (above the knee of their similarities to the date's mean vector); then all of those; then
    every sentence of the date."""
    named = list({(d.article.id, d.sentence.index): d for d in items if d.explicit}.values())
    every = list({(d.article.id, d.sentence.index): d for d in items}.values())
    days = dating.period(key)
    published: list[DatedSentence] = []
    if days and days[0] == days[1]:
        for back in range(REPORTED_NEXT_DAY + 1):
            published += leads.get(days[0] + timedelta(days=back), [])
    if not named or not published:
        return [named or published, every]
    matrix = idf.vectors([d.sentence.text for d in named + published])
    shared = (matrix[: len(named)].sum(axis=0) > 0) & (matrix[len(named) :].sum(axis=0) > 0)
    centre = (matrix[: len(named)].mean(axis=0) + matrix[len(named) :].mean(axis=0)) * shared
    norm = float(np.linalg.norm(centre))
    if not norm:
        return [named + published, every]
    similarity = matrix @ (centre / norm)
    ranked = np.sort(similarity)[::-1]
    threshold = ranked[_knee(ranked)]
    kept = [d for d, sim in zip(named + published, similarity, strict=True) if sim > 0 and sim > threshold]
    return [kept, named + published, every]


def _knee(values: np.ndarray) -> int:
    """Index of the point of a descending curve farthest from the line through its ends."""
    if len(values) < 3:
        return 0
    points = np.column_stack([np.arange(len(values), dtype=float), values])
    line = points[-1] - points[0]
    length = float(np.hypot(*line))
    if not length:
        return 0
    offsets = points - points[0]
    along = offsets @ (line / length)
    return int(np.argmax(np.linalg.norm(offsets - np.outer(along, line / length), axis=1)))


class _Idf:
    """Inverse document frequencies of terms over the sentences of one `build` (smoothed, as
    scikit-learn's), so that words every article uses weigh little in any language."""

    def __init__(self, texts: Sequence[str]) -> None:
        # kept: the candidates of every date are these sentences, vectorised again and again
        self.terms = {text: summarize.terms(text) for text in texts}
        df: Counter[str] = Counter()
        for text in texts:
            df.update(set(self.terms[text]))
        weights = {n: math.log((1 + len(texts)) / (1 + n)) + 1 for n in set(df.values())}  # few counts
        self.idf = {t: weights[n] for t, n in df.items()}

    def vectors(self, texts: Sequence[str]) -> np.ndarray:
        known = self.terms
        counts = [
            Counter(t for t in (known[text] if text in known else summarize.terms(text)) if t in self.idf)
            for text in texts
        ]
        vocab = {t: i for i, t in enumerate(sorted({t for c in counts for t in c}))}
        matrix = np.zeros((len(texts), len(vocab)))
        for row, c in enumerate(counts):
            for term, n in c.items():
                matrix[row, vocab[term]] = n * self.idf[term]
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        return np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)


def _centroid_opt(
    pool: list[DatedSentence],
    k: int,
    said: Sequence[str],
    lines: Callable[[Sentence], bool] | None,
    idf: _Idf,
) -> list[DatedSentence]:
    """Greedily the line that brings the entry's vector closest to the candidates' centroid;
    never a line `lines` refuses, that reads badly alone, or that repeats a line of the entry
    or (cosine above TIMELINE_REDUNDANCY) one already in the timeline."""
    if not pool:
        return []
    matrix = idf.vectors([d.sentence.text for d in pool] + list(said))
    vectors, said_vectors = matrix[: len(pool)], matrix[len(pool) :]
    total = vectors.sum(axis=0)
    norm = float(np.linalg.norm(total))
    centroid = total / norm if norm else total
    usable = np.array(
        [summarize.is_summary_material(d.sentence) and (lines is None or lines(d.sentence)) for d in pool]
    )
    if len(said_vectors):
        usable &= (vectors @ said_vectors.T).max(axis=1, initial=0.0) <= TIMELINE_REDUNDANCY
    chosen: list[int] = []
    summary = np.zeros(vectors.shape[1])
    while len(chosen) < k:
        combined = summary + vectors
        lengths = np.linalg.norm(combined, axis=1)
        closeness = np.divide(combined @ centroid, lengths, out=np.zeros(len(pool)), where=lengths > 0)
        closeness[~usable] = -np.inf
        best = int(np.argmax(closeness))
        if not np.isfinite(closeness[best]):
            break
        chosen.append(best)
        summary += vectors[best]
        usable &= vectors @ vectors[best] <= ENTRY_REDUNDANCY
        usable[best] = False
    return [pool[i] for i in chosen]


def _main_entities(items: list[DatedSentence], spread: Counter[str], days: int) -> list[str]:
    """Names these sentences mention most, discounted when every date mentions them."""
    counts: Counter[str] = Counter()
    for d in {(d.article.id, d.sentence.index): d for d in items}.values():
        counts.update({_name(m) for m in d.sentence.mentions if m.type in ENTITY_TYPES})
    weight = {name: n * math.log(1 + days / spread[name]) for name, n in counts.items()}
    return sorted(weight, key=lambda name: (-weight[name], name))[:ENTITIES_PER_ENTRY]


def _name(mention: Mention) -> str:
    return mention.canonical or mention.text


def _told_with(chosen: list[DatedSentence], items: list[DatedSentence]) -> list[DatedSentence]:
    """The date's sentences from the articles its chosen sentences come from: an entry's names
    and quotations are taken from these only, so they belong to the lines they stand under (a
    date's other sentences may come from another story that happened that day)."""
    articles = {d.article.id for d in chosen}
    return [d for d in items if d.article.id in articles]


def _quotes(chosen: list[DatedSentence], told: list[DatedSentence]) -> list[EntryQuote]:
    """Quotations of the entry: those in the chosen sentences first, then in the other
    sentences of their articles about the date; one per speaker shown. Scare quotes and names
    (no confidence: nobody's words) are left out; a quotation whose speaker is not sure enough
    comes with none (shown as "không rõ người nói"), its candidate kept."""
    seen: set[str] = set()
    quotes = []
    for d in [*chosen, *told]:
        for q in d.sentence.quotes:
            key = q.speaker or q.text
            if q.confidence is None or key in seen or len(q.text.split()) < MIN_QUOTE_WORDS:
                continue
            seen.add(key)
            citation = summarize.citation(d.article, d.sentence)
            quotes.append(EntryQuote(q.speaker, q.text, citation, q.candidate, q.confidence))
    quotes.sort(key=lambda q: q.speaker is None)  # named speakers first
    return quotes[:QUOTES_PER_ENTRY]


def _entity_spread(buckets: dict[str, list[DatedSentence]]) -> Counter[str]:
    """On how many dates each name is mentioned."""
    spread: Counter[str] = Counter()
    for items in buckets.values():
        spread.update({_name(m) for d in items for m in d.sentence.mentions if m.type in ENTITY_TYPES})
    return spread


def build(
    articles: Sequence[Article],
    dates: int = 10,
    sentences: int = 2,
    start: date | None = None,
    end: date | None = None,
    ranker: DateRanker | None = None,
    lines: Callable[[Sentence], bool] | None = None,
) -> list[TimelineEntry]:
    """The `dates` best-ranked dates, oldest first, with up to `sentences` sentences each;
    with `start` or `end`, only dates that lie wholly from `start` to `end` (a scope's --from and
    --to: an article of 2023 recalling 2016 does not bring 2016 into a timeline of 2023).

    Dates are taken best first; a date whose every candidate repeats what earlier (better) dates
    already say is skipped, so the timeline does not tell one event twice. Dates are ranked by
    `ranker` (default: the shipped one, `default_ranker()`; an evaluation passes one trained
    without the topic it scores). With `lines`, an entry's sentences are only those it accepts (a
    topic's keywords, say); the others still count as evidence for dates and centrality."""
    buckets = assign(articles)
    # a date's evidence is weighed against every date of the input, then the span is applied
    learned = (ranker or default_ranker()).scores(date_features(buckets, articles))
    scores = {key: float(x) for key, x in zip(buckets, learned, strict=True)}
    if start or end:
        buckets = {key: items for key, items in buckets.items() if _within(key, start, end)}
    spread = _entity_spread(buckets)
    ranked = sorted(buckets.items(), key=lambda kv: (-scores[kv[0]], kv[0]))
    entries: list[TimelineEntry] = []
    said: list[str] = []
    idf = _Idf([s.text for a in articles for s in a.sentences])
    leads = _leads(articles)
    for key, items in ranked:
        if len(entries) == dates:
            break
        chosen = []
        for pool in _candidates(key, items, leads, idf):
            if chosen := _centroid_opt(pool, sentences, said, lines, idf):
                break
        if not chosen:
            continue
        said += [d.sentence.text for d in chosen]
        told = _told_with(chosen, items)
        entries.append(
            TimelineEntry(
                date=key,
                granularity=items[0].granularity,
                sentences=[d.sentence.text for d in chosen],
                citations=[summarize.citation(d.article, d.sentence) for d in chosen],
                score=round(scores[key], 3),
                planned=2 * sum(d.future for d in chosen) >= len(chosen),
                entities=_main_entities(told, spread, len(buckets)),
                quotes=_quotes(chosen, told),
            )
        )
    return sorted(entries, key=lambda e: e.date)


def _within(value: str, start: date | None, end: date | None) -> bool:
    """Whether every day of a date ("2023-07-11", "2023-07", "2023", a range) is in the range."""
    days = dating.period(value)
    return days is not None and (start is None or start <= days[0]) and (end is None or days[1] <= end)
