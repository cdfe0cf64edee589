"""Baselines shared by the timeline benches (bench_t17, bench_timeline), over the project's records.

DATEWISE (Gholipour Ghalandari & Ifrim, ACL 2020, "Examining the state-of-the-art in news timeline
summarization"), with its heuristic date ranker, as the paper describes it:

- a sentence's date is the date of its first time expression, when that names a day;
- dates are ranked by how many sentences mention them ("mention count"), kept within the input
  span;
- a date's candidate sentences (PM-Mean): the sentences that mention it, and the undated sentences
  among the first six of the articles published on the date or the day after; each candidate is
  compared (TF-IDF cosine) with the date's vector (the mean of the mentioning sentences' vectors
  plus the mean of the published sentences', over the terms both share) and those above the knee
  point of the sorted similarities are kept;
- a date's summary (CentroidOpt): greedily the sentences that bring the summary's vector closest to
  the candidates' centroid, only sentences that contain a topic keyword (when there are keywords),
  no near-duplicate (cosine > 0.9999);
- dates are taken in rank order until `dates` of them have a summary.

TF-IDF as scikit-learn's default (tokens of two or more word characters, lower case, smoothed idf,
L2-normalised rows), fitted on all input sentences; the stopword list is the caller's (the paper
uses scikit-learn's English list; here ROUGE-1.5.5's SMART list for English, the project's stop
syllables for Vietnamese).

DATEWISE on our dates: the same summaries on the days `timeline`'s date ranker puts first
(`ranked_days`): set beside ours and DATEWISE, it tells what the date choice and the per-date
summaries each bring.

Publication-date lead: the days most articles were published on, each summarised by the lead
sentences of the articles published that day (the usual first TLS baseline).
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Collection, Sequence
from datetime import date, timedelta

import numpy as np

from nienbieu import timeline
from nienbieu.models import Article, Sentence

Vector = dict[str, float]

CLIP_SENTS = 5  # undated sentences j <= 5 of an article stand for its publication day
PUB_END = 2  # ... the day it was published and the day before it
MAX_SIMILARITY = 0.9999
_WORD = re.compile(r"\b\w\w+\b")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_CALENDAR = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")


def first_day(sentence: Sentence) -> date | None:
    """The day named by the sentence's first calendar time expression; None when it names none or
    its first is a month or a year."""
    for t in sentence.timexes:
        if t.type in ("DATE", "TIME") and t.value and _CALENDAR.match(t.value):
            return date.fromisoformat(t.value[:10]) if _DAY.match(t.value) else None
    return None


class Tfidf:
    """scikit-learn's TfidfVectorizer defaults, rows as sparse dicts."""

    def __init__(self, texts: Sequence[str], stopwords: Collection[str]) -> None:
        self.stopwords = stopwords
        df: Counter[str] = Counter()
        for text in texts:
            df.update(set(self.words(text)))
        n = len(texts)
        self.idf = {term: math.log((1 + n) / (1 + count)) + 1 for term, count in df.items()}
        self._cache: dict[str, Vector] = {}

    def words(self, text: str) -> list[str]:
        return [w for w in _WORD.findall(text.lower()) if w not in self.stopwords]

    def vector(self, text: str) -> Vector:
        if text not in self._cache:
            counts = Counter(self.words(text))
            row = {t: c * self.idf.get(t, 0.0) for t, c in counts.items() if t in self.idf}
            self._cache[text] = normalized(row)
        return self._cache[text]


def normalized(vector: Vector) -> Vector:
    norm = math.sqrt(sum(w * w for w in vector.values()))
    return {t: w / norm for t, w in vector.items()} if norm else {}


def cosine(a: Vector, b: Vector) -> float:
    """Of two L2-normalised vectors."""
    if len(a) > len(b):
        a, b = b, a
    return sum(w * b.get(t, 0.0) for t, w in a.items())


def summed(vectors: Sequence[Vector]) -> Vector:
    total: dict[str, float] = defaultdict(float)
    for v in vectors:
        for t, w in v.items():
            total[t] += w
    return dict(total)


def knee_point(values: Sequence[float]) -> int:
    """Index of the point of a descending curve farthest from the line through its two ends."""
    if len(values) < 3:
        return 0
    points = np.column_stack([np.arange(len(values)), np.asarray(values, dtype=float)])
    line = points[-1] - points[0]
    norm = float(np.hypot(*line))
    if norm == 0:
        return 0
    line /= norm
    offsets = points - points[0]
    along = offsets @ line
    distance = np.linalg.norm(offsets - np.outer(along, line), axis=1)
    return int(np.argmax(distance))


def _candidates(ment: list[str], pub: list[str], tfidf: Tfidf) -> list[str]:
    """PM-Mean: the sentences closest to the date's mean vector, above the knee point."""
    if not ment or not pub:
        return ment or pub
    x_ment, x_pub = [tfidf.vector(s) for s in ment], [tfidf.vector(s) for s in pub]
    c_ment, c_pub = summed(x_ment), summed(x_pub)
    date_vector = normalized(
        {t: c_pub[t] / len(pub) + c_ment[t] / len(ment) for t in c_ment.keys() & c_pub.keys()}
    )
    sims = [cosine(date_vector, x) for x in x_ment + x_pub]
    ranked = sorted(sims, reverse=True)
    threshold = ranked[knee_point(ranked)]
    chosen = [s for s, sim in zip(ment + pub, sims, strict=True) if sim > 0 and sim > threshold]
    return chosen or ment + pub


def centroid_opt(sentences: list[str], k: int, tfidf: Tfidf, keywords: Sequence[str] | None) -> list[str]:
    """CentroidOpt: greedily the sentence that brings the summary vector closest to the centroid."""
    vectors = [tfidf.vector(s) for s in sentences]
    centroid = normalized(summed(vectors))
    remaining = set(range(len(sentences)))
    selected: list[int] = []
    while remaining and len(selected) < k:
        so_far = summed([vectors[i] for i in selected])
        scores = {i: cosine(normalized(summed([vectors[i], so_far])), centroid) for i in remaining}
        for i in sorted(remaining, key=lambda i: (-scores[i], i)):
            remaining.discard(i)
            if keywords and not any(kw in sentences[i].lower() for kw in keywords):
                continue
            if any(cosine(vectors[i], vectors[j]) > MAX_SIMILARITY for j in selected):
                continue
            selected.append(i)
            break
    return [sentences[i] for i in selected]


def datewise(
    articles: Sequence[Article],
    dates: int,
    sentences: int,
    start: date | None = None,
    end: date | None = None,
    keywords: Sequence[str] | None = None,
    stopwords: Collection[str] = frozenset(),
    ranking: Sequence[date] | None = None,
) -> dict[str, list[str]]:
    """DATEWISE with the mention-count date ranker, or the days of `ranking` in that order:
    {ISO day: summary sentences}."""
    tfidf = Tfidf([s.text for a in articles for s in a.sentences], stopwords)
    mentions: dict[date, list[str]] = defaultdict(list)
    published: dict[date, list[str]] = defaultdict(list)
    counts: Counter[date] = Counter()
    for article in articles:
        pub_day = article.published.date() if article.published else None
        for j, sentence in enumerate(article.sentences):
            day = first_day(sentence)
            if day is not None:
                mentions[day].append(sentence.text)
                counts[day] += 1
            elif pub_day is not None and j <= CLIP_SENTS:
                for back in range(PUB_END):
                    published[pub_day - timedelta(days=back)].append(sentence.text)
    ranked = list(ranking) if ranking is not None else sorted(counts, key=lambda d: (-counts[d], d))
    ranked = [d for d in ranked if (start is None or start <= d) and (end is None or d <= end)]
    timeline: dict[str, list[str]] = {}
    for day in ranked:
        if len(timeline) == dates:
            break
        summary = centroid_opt(_candidates(mentions[day], published[day], tfidf), sentences, tfidf, keywords)
        if summary:
            timeline[day.isoformat()] = summary
    return dict(sorted(timeline.items()))


def ranked_days(
    articles: Sequence[Article],
    ranker: timeline.DateRanker | None = None,
    start: date | None = None,
    end: date | None = None,
) -> list[date]:
    """The days `timeline.build` would consider, best first by its date ranker (the shipped one
    unless `ranker`), within the span; months and years left out, as DATEWISE dates days only."""
    buckets = timeline.assign(articles)
    scores = (ranker or timeline.default_ranker()).scores(timeline.date_features(buckets, articles))
    ranked = sorted(zip(buckets, scores, strict=True), key=lambda kv: (-kv[1], kv[0]))
    days = [date.fromisoformat(key) for key, _ in ranked if _DAY.fullmatch(key)]
    return [d for d in days if (start is None or start <= d) and (end is None or d <= end)]


def publication_lead(articles: Sequence[Article], dates: int, sentences: int) -> dict[str, list[str]]:
    """The days most articles were published on, each with the lead sentences of that day's articles
    (first sentences first)."""
    days = Counter(a.published.date().isoformat() for a in articles if a.published)
    out: dict[str, list[str]] = {}
    for day, _ in sorted(days.items(), key=lambda kv: (-kv[1], kv[0]))[:dates]:
        that_day = [a for a in articles if a.published and a.published.date().isoformat() == day]
        leads = [s.text for depth in range(3) for a in that_day for s in a.sentences[depth : depth + 1]]
        out[day] = leads[:sentences]
    return dict(sorted(out.items()))
