"""Pick the dates that matter and summarise each from the sentences that talk about it.

Datewise approach (Tran et al. 2015; Martschat & Markert 2018): every sentence is
assigned to the dates its time expressions resolve to, or to its article's
publication date when it has none; dates are ranked by how much, and how many
sources, say about them; each chosen date gets its most central, non-redundant
sentences.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from nienbieu import dating, summarize, timex
from nienbieu.models import Article, EntryQuote, Mention, Sentence, TimelineEntry

# How much a date at each granularity can tell a reader: "18/2/2021" beats "2021".
GRANULARITY_WEIGHT = {"day": 1.0, "range": 1.0, "month": 0.6, "year": 0.35}
# A sentence that names its date is better evidence than one dated by its article.
EXPLICIT_WEIGHT, IMPLICIT_WEIGHT = 1.0, 0.25
IMPLICIT_CAP = 1.0  # most implicit mass one article gives its publication date
SOURCE_BONUS = 0.75  # per additional article that talks about the same date
# Sentence position counts less than in the briefing: a date named late in an article is often
# told there for the first time, and its sentences all sit late.
SENTENCE_POSITION_SCALE = 5.0
POOL = 300  # candidate sentences per date, best prior first
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


def sentence_dates(article: Article, sentence: Sentence) -> list[DatedSentence]:
    """The dates a sentence talks about; its article's date when it names none."""
    found = []
    for t in sentence.timexes:
        if t.type != "DATE" or not timex.is_resolved(t.value) or t.modifier in ("BEFORE", "AFTER"):
            continue
        if t.granularity in GRANULARITY_WEIGHT and t.value:
            future = t.tense == "future" or (
                article.published is not None and t.value[:10] > article.published.date().isoformat()
            )
            found.append(DatedSentence(article, sentence, t.value, t.granularity, True, future))
    undated = not any(t.type == "DATE" for t in sentence.timexes)
    if not found and article.published is not None and dating.is_reliable(article) and undated:
        found.append(
            DatedSentence(article, sentence, article.published.date().isoformat(), "day", False, False)
        )
    return found


def assign(articles: Sequence[Article]) -> dict[str, list[DatedSentence]]:
    buckets: dict[str, list[DatedSentence]] = defaultdict(list)
    for article in articles:
        for sentence in article.sentences:
            for dated in sentence_dates(article, sentence):
                buckets[dated.date].append(dated)
    return buckets


def date_score(items: list[DatedSentence]) -> float:
    implicit = Counter(d.article.id for d in items if not d.explicit)
    # An article's undated sentences say "this happened around publication" once, however many
    # there are: uncapped, long articles made their publication days outrank the events they report.
    mass = EXPLICIT_WEIGHT * sum(d.explicit for d in items) + sum(
        min(IMPLICIT_CAP, IMPLICIT_WEIGHT * n) for n in implicit.values()
    )
    sources = len({d.article.id for d in items})
    explicit_sources = len({d.article.id for d in items if d.explicit})
    weight = GRANULARITY_WEIGHT[items[0].granularity]
    return weight * (mass + SOURCE_BONUS * (sources - 1) + 0.5 * explicit_sources)


def _prior(d: DatedSentence) -> float:
    """What a sentence is worth before comparing it with the others of its date."""
    position = float(summarize.position_factor(np.array(d.sentence.index / SENTENCE_POSITION_SCALE)))
    shape = summarize.length_factor(d.sentence.text) * summarize.context_factor(d.sentence)
    return (1.0 if d.explicit else 0.5) * position * shape


def _choose_sentences(items: list[DatedSentence], k: int, said: Sequence[str]) -> list[DatedSentence]:
    """The k most central, well-placed sentences of a date that repeat neither each other nor
    anything in `said` (the sentences already in the timeline)."""
    unique: dict[tuple[str, int], DatedSentence] = {}
    for d in items:
        unique.setdefault((d.article.id, d.sentence.index), d)
    pool = [d for d in unique.values() if summarize.is_summary_material(d.sentence)] or list(unique.values())
    # the best-placed few hundred are plenty for k lines and keep a big day's graph small
    pool = sorted(pool, key=_prior, reverse=True)[:POOL]
    matrix = summarize.vectorize([d.sentence.text for d in pool] + list(said))
    candidates, said_vectors = matrix[: len(pool)], matrix[len(pool) :]
    centrality = summarize.lexrank(candidates) if len(pool) > 1 else np.ones(len(pool))
    scores = centrality * np.array([_prior(d) for d in pool])
    chosen = summarize.mmr(
        scores, candidates, k, lam=1.0, max_similarity=summarize.REDUNDANCY, said=said_vectors
    )
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
    """Attributed quotations of the entry: those in the chosen sentences first, then in the
    other sentences of their articles about the date; one per speaker."""
    seen: set[str] = set()
    quotes = []
    for d in [*chosen, *told]:
        for q in d.sentence.quotes:
            if q.speaker and q.speaker not in seen and len(q.text.split()) >= MIN_QUOTE_WORDS:
                seen.add(q.speaker)
                quotes.append(EntryQuote(q.speaker, q.text, summarize.citation(d.article, d.sentence)))
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
) -> list[TimelineEntry]:
    """The `dates` most talked-about dates, oldest first, with up to `sentences` sentences each;
    with `start` or `end`, only dates that lie wholly from `start` to `end` (a scope's --from and
    --to: an article of 2023 recalling 2016 does not bring 2016 into a timeline of 2023).

    Dates are taken best first; a date whose every candidate repeats what earlier (better) dates
    already say is skipped, so the timeline does not tell one event twice."""
    buckets = assign(articles)
    if start or end:
        buckets = {key: items for key, items in buckets.items() if _within(key, start, end)}
    spread = _entity_spread(buckets)
    scores = {key: date_score(items) for key, items in buckets.items()}
    ranked = sorted(buckets.items(), key=lambda kv: (-scores[kv[0]], kv[0]))
    entries: list[TimelineEntry] = []
    said: list[str] = []
    for key, items in ranked:
        if len(entries) == dates:
            break
        chosen = _choose_sentences(items, sentences, said)
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
