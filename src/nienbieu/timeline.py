"""Pick the dates that matter and summarise each from the sentences that talk about it.

Datewise approach (Tran et al. 2015; Martschat & Markert 2018): every sentence is
assigned to the dates its time expressions resolve to, or to its article's
publication date when it has none; dates are ranked by how much, and how many
sources, say about them; each chosen date gets its most central, non-redundant
sentences.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from nienbieu import dating, summarize, timex
from nienbieu.models import Article, Sentence, TimelineEntry

# How much a date at each granularity can tell a reader: "18/2/2021" beats "2021".
GRANULARITY_WEIGHT = {"day": 1.0, "range": 1.0, "month": 0.6, "year": 0.35}
# A sentence that names its date is better evidence than one dated by its article.
EXPLICIT_WEIGHT, IMPLICIT_WEIGHT = 1.0, 0.25
SOURCE_BONUS = 0.75  # per additional article that talks about the same date


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
    if not found and dating.is_reliable(article) and not any(t.type == "DATE" for t in sentence.timexes):
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
    mass = sum(EXPLICIT_WEIGHT if d.explicit else IMPLICIT_WEIGHT for d in items)
    sources = len({d.article.id for d in items})
    explicit_sources = len({d.article.id for d in items if d.explicit})
    weight = GRANULARITY_WEIGHT[items[0].granularity]
    return weight * (mass + SOURCE_BONUS * (sources - 1) + 0.5 * explicit_sources)


def _choose_sentences(items: list[DatedSentence], k: int) -> list[DatedSentence]:
    unique: dict[tuple[str, int], DatedSentence] = {}
    for d in items:
        unique.setdefault((d.article.id, d.sentence.index), d)
    pool = [d for d in unique.values() if summarize.is_summary_material(d.sentence)] or list(unique.values())
    matrix = summarize.vectorize([d.sentence.text for d in pool])
    centrality = summarize.lexrank(matrix) if len(pool) > 1 else np.ones(len(pool))
    scores = np.array(
        [
            c
            * (1.0 if d.explicit else 0.5)
            * summarize.length_factor(d.sentence.text)
            * summarize.context_factor(d.sentence)
            * (1 / (1 + 0.05 * d.sentence.index))
            for c, d in zip(centrality, pool, strict=True)
        ]
    )
    return [pool[i] for i in summarize.mmr(scores, matrix, k)]


def build(articles: Sequence[Article], dates: int = 10, sentences: int = 2) -> list[TimelineEntry]:
    """The `dates` most talked-about dates, oldest first, with `sentences` sentences each."""
    buckets = assign(articles)
    ranked = sorted(buckets.items(), key=lambda kv: (-date_score(kv[1]), kv[0]))[:dates]
    entries = []
    for key, items in sorted(ranked, key=lambda kv: kv[0]):
        chosen = _choose_sentences(items, sentences)
        entries.append(
            TimelineEntry(
                date=key,
                granularity=items[0].granularity,
                sentences=[d.sentence.text for d in chosen],
                citations=[summarize.citation(d.article, d.sentence) for d in chosen],
                score=round(date_score(items), 3),
                planned=bool(chosen) and 2 * sum(d.future for d in chosen) >= len(chosen),
            )
        )
    return entries
