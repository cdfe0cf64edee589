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
from collections.abc import Mapping, Sequence
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


SparseVector = dict[str, float]


def idf(df: int, n: int) -> float:
    return math.log((1 + n) / (1 + df) + 1)


def weigh(counts: Counter[str], df: Mapping[str, int], n: int) -> SparseVector:
    """L2-normalised TF-IDF weights of one text's term counts."""
    row = {term: (1 + math.log(tf)) * idf(df.get(term, 0), n) for term, tf in counts.items()}
    norm = math.sqrt(sum(w * w for w in row.values())) or 1.0
    return {term: w / norm for term, w in row.items()}


def sparse_vectors(texts: Sequence[str]) -> tuple[list[SparseVector], Counter[str]]:
    """TF-IDF rows as term -> weight dicts, with the document frequencies they were weighed by:
    for collections too large for a dense matrix."""
    counts = [Counter(terms(t)) for t in texts]
    df: Counter[str] = Counter()
    for c in counts:
        df.update(c.keys())
    return [weigh(c, df, len(texts)) for c in counts], df


def cosine(a: SparseVector, b: SparseVector) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(w * b.get(term, 0.0) for term, w in a.items())


def vectorize(texts: Sequence[str]) -> np.ndarray:
    """L2-normalised TF-IDF rows (dense: the sets compared here are small)."""
    rows, df = sparse_vectors(texts)
    vocab = {term: i for i, term in enumerate(df)}
    matrix = np.zeros((len(texts), len(vocab)), dtype=np.float32)
    for i, row in enumerate(rows):
        for term, weight in row.items():
            matrix[i, vocab[term]] = weight
    return matrix


def lexrank(matrix: np.ndarray, threshold: float = 0.1, damping: float = 0.85) -> np.ndarray:
    """Stationary distribution of the thresholded cosine graph (Erkan & Radev, 2004)."""
    n = matrix.shape[0]
    if n == 0:
        return np.zeros(0)
    graph = (matrix @ matrix.T >= threshold).astype(np.float64)
    np.fill_diagonal(graph, 1.0)  # a sentence with no content terms still links to itself
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
    """Maximal marginal relevance: relevant but not repeating what is already chosen.

    A candidate more similar than `max_similarity` to a chosen sentence is never taken."""
    pool = np.zeros(len(scores), dtype=bool)
    pool[list(range(len(scores))) if allowed is None else list(allowed)] = True
    overlap = np.zeros(len(scores))  # similarity to the closest chosen sentence
    chosen: list[int] = []
    while len(chosen) < k:
        gain = np.where(pool & (overlap <= max_similarity), lam * scores - (1 - lam) * overlap, -np.inf)
        best = int(np.argmax(gain))
        if gain[best] == -np.inf:
            break
        chosen.append(best)
        pool[best] = False
        overlap = np.maximum(overlap, matrix @ matrix[best])
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


# Chosen on the even-id half of the Vietnamese MDS clusters (bench/bench_mds.py, dev half 0):
# news puts its facts in the first sentences, so centrality decays fast with position.
POSITION_DECAY = 1.0  # sentences: the score of sentence i is multiplied by exp(-i / decay)
REDUNDANCY = 0.3  # TF-IDF cosine above which a sentence repeats one already chosen


def rank(articles: Sequence[Article]) -> list[tuple[Article, Sentence]]:
    """Summary-worthy sentences, best first: central to the corpus, near their article's lead,
    well-formed, and not repeating a better one (those are left out)."""
    pool = [(a, s) for a in articles for s in a.sentences if is_summary_material(s)]
    if not pool:
        return []
    matrix = vectorize([s.text for _, s in pool])
    position = np.exp(-np.array([s.index for _, s in pool]) / POSITION_DECAY)
    shape = np.array([length_factor(s.text) * context_factor(s) for _, s in pool])
    scores = lexrank(matrix) * position * shape
    order = mmr(scores, matrix, k=len(pool), lam=1.0, max_similarity=REDUNDANCY)
    return [pool[i] for i in order]


def brief(articles: Sequence[Article], words: int = 150) -> Briefing:
    """Extractive multi-document summary of whole sentences within a word budget, in
    chronological order, each sentence citing its article."""
    picked: list[tuple[Article, Sentence]] = []
    used = 0
    for article, sentence in rank(articles):
        n = len(sentence.text.split())
        if used + n > words:
            if used >= 0.8 * words:
                break
            continue
        picked.append((article, sentence))
        used += n
    picked.sort(key=lambda p: (reference_date(p[0]) or date.max, p[0].id, p[1].index))
    sentences = [BriefSentence(s.text, citation(a, s)) for a, s in picked]
    seen: dict[str, Citation] = {}
    for item in sentences:
        seen.setdefault(item.citation.article_id, item.citation)
    return Briefing(sentences, list(seen.values()), words)
