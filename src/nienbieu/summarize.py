"""Extractive multi-document briefing, and the sentence-similarity tools the timeline shares.

Sentences are compared as TF-IDF vectors over syllables and syllable bigrams with
diacritics kept ("Hà Nội" and "Ha Noi" are different words); centrality is LexRank
over the cosine-similarity graph; redundancy is removed with MMR.
"""

from __future__ import annotations

import itertools
import math
import re
import tomllib
from collections import Counter
from collections.abc import Sequence
from datetime import date
from functools import cache
from importlib import resources

import numpy as np

from nienbieu.models import Article, Briefing, BriefSentence, Citation, DateProvenance, Sentence

_TOKEN = re.compile(r"\w+")


@cache
def stopwords() -> frozenset[str]:
    text = resources.files("nienbieu.data").joinpath("stopwords.toml").read_text("utf-8")
    return frozenset(tomllib.loads(text)["syllables"])


def terms(text: str) -> list[str]:
    syllables = [t.lower() for t in _TOKEN.findall(text)]
    content = [s for s in syllables if s not in stopwords()]
    bigrams = [
        f"{a}_{b}" for a, b in itertools.pairwise(syllables) if a not in stopwords() or b not in stopwords()
    ]
    return content + bigrams


def vectorize(texts: Sequence[str]) -> np.ndarray:
    """L2-normalised TF-IDF rows (dense: the sets compared here are small)."""
    counts = [Counter(terms(t)) for t in texts]
    df: Counter[str] = Counter()
    for c in counts:
        df.update(c.keys())
    vocab = {term: i for i, term in enumerate(df)}
    matrix = np.zeros((len(texts), len(vocab)), dtype=np.float32)
    n = len(texts)
    for row, c in enumerate(counts):
        for term, tf in c.items():
            matrix[row, vocab[term]] = (1 + math.log(tf)) * math.log((1 + n) / (1 + df[term]) + 1)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1, norms)


def lexrank(matrix: np.ndarray, threshold: float = 0.1, damping: float = 0.85) -> np.ndarray:
    """Stationary distribution of the thresholded cosine graph (Erkan & Radev, 2004)."""
    n = matrix.shape[0]
    if n == 0:
        return np.zeros(0)
    sims = matrix @ matrix.T
    graph = (sims >= threshold).astype(np.float64)
    graph /= graph.sum(axis=1, keepdims=True)
    scores = np.full(n, 1.0 / n)
    for _ in range(100):
        updated = (1 - damping) / n + damping * graph.T @ scores
        if np.abs(updated - scores).sum() < 1e-8:
            break
        scores = updated
    return scores / scores.max()


def mmr(
    scores: np.ndarray,
    matrix: np.ndarray,
    k: int,
    lam: float = 0.7,
    max_similarity: float = 0.6,
    allowed: Sequence[int] | None = None,
) -> list[int]:
    """Maximal marginal relevance: relevant but not repeating what is already chosen."""
    pool = list(range(len(scores))) if allowed is None else list(allowed)
    chosen: list[int] = []
    while pool and len(chosen) < k:

        def gain(i: int) -> float:
            overlap = max((float(matrix[i] @ matrix[j]) for j in chosen), default=0.0)
            return -1.0 if overlap > max_similarity else lam * scores[i] - (1 - lam) * overlap

        best = max(pool, key=gain)
        if gain(best) < 0:
            break
        chosen.append(best)
        pool.remove(best)
    return chosen


def length_factor(text: str, ideal: tuple[int, int] = (10, 40)) -> float:
    """Very short sentences say little; very long ones make poor summary lines."""
    words = len(text.split())
    low, high = ideal
    if words < low:
        return words / low
    if words > high:
        return 1 / (1 + (words - high) / 20)
    return 1.0


@cache
def _dangling_starts() -> tuple[str, ...]:
    text = resources.files("nienbieu.data").joinpath("stopwords.toml").read_text("utf-8")
    return tuple(w.lower() for w in tomllib.loads(text)["dangling_starts"])


def is_summary_material(sentence: Sentence) -> bool:
    """Questions and quote fragments cut off from their speaker read badly out of context."""
    text = sentence.text.rstrip()
    if sentence.in_quote or text.endswith("?"):
        return False
    return quotes_balanced(text)


def quotes_balanced(text: str) -> bool:
    return (
        text.count("“") == text.count("”") and text.count('"') % 2 == 0 and text.count("«") == text.count("»")
    )


def context_factor(sentence: Sentence) -> float:
    """Sentences that lean on the one before ("Tuy nhiên, ...", "Điều này ...") stand alone poorly."""
    return 0.5 if sentence.text.lower().startswith(_dangling_starts()) else 1.0


def citation(article: Article, sentence: Sentence) -> Citation:
    return Citation(
        article_id=article.id,
        sentence_index=sentence.index,
        outlet=article.outlet,
        title=article.display_title,
        published=_published_label(article),
    )


def _published_label(article: Article) -> str | None:
    if article.published is None:
        return None
    if article.published_provenance == DateProvenance.STATED:
        return article.published.isoformat()
    return "≈" + article.published.date().isoformat()  # inferred: readers must see it is an estimate


def reference_date(article: Article) -> date | None:
    """Publication date, else the latest fully resolved date the article mentions."""
    if article.published:
        return article.published.date()
    days = [
        t.value[:10]
        for s in article.sentences
        for t in s.timexes
        if t.type == "DATE" and t.value and re.fullmatch(r"\d{4}-\d{2}-\d{2}", t.value[:10])
    ]
    return date.fromisoformat(max(days)) if days else None


def brief(articles: Sequence[Article], words: int = 150) -> Briefing:
    """Extractive multi-document summary within a word budget, in chronological order."""
    pool = [(a, s) for a in articles for s in a.sentences if is_summary_material(s)]
    if not pool:
        return Briefing([], [], words)
    matrix = vectorize([s.text for _, s in pool])
    position = np.array([1 / (1 + 0.15 * s.index) for _, s in pool])
    shape = np.array([length_factor(s.text) * context_factor(s) for _, s in pool])
    scores = lexrank(matrix) * (0.5 + 0.5 * position) * shape
    picked: list[int] = []
    used = 0
    for i in mmr(scores, matrix, k=len(pool)):
        n = len(pool[i][1].text.split())
        if used + n > words:
            if used >= 0.8 * words:
                break
            continue
        picked.append(i)
        used += n
    order = sorted(
        picked, key=lambda i: (reference_date(pool[i][0]) or date.max, pool[i][0].id, pool[i][1].index)
    )
    sentences = [BriefSentence(pool[i][1].text, citation(*pool[i])) for i in order]
    seen: dict[str, Citation] = {}
    for item in sentences:
        seen.setdefault(item.citation.article_id, item.citation)
    return Briefing(sentences, list(seen.values()), words)
