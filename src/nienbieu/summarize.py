"""Extractive multi-document briefing, and the sentence-similarity tools the timeline shares.

Sentences are compared as TF-IDF vectors over syllables and syllable bigrams with
diacritics kept ("Hà Nội" and "Ha Noi" are different words); centrality is LexRank
over the cosine-similarity graph; redundancy is removed with MMR. The briefing ranks sentences
by a linear scorer over a few features (`BRIEF_FEATURES`), read from data/brief_model.toml, which
bench/train_brief.py fits and chooses on the Vietnamese MDS clusters.

`rewrite` optionally rephrases a briefing through a chat model (`nienbieu.llm`) and keeps a
rephrasing only when `support` finds its numbers, names, quotations and words in its citation.
"""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cache
from typing import Protocol

import numpy as np

from nienbieu import llm, nlp, rouge
from nienbieu.data import load
from nienbieu.models import (
    Article,
    Briefing,
    BriefSentence,
    Citation,
    DateProvenance,
    RewriteNote,
    Sentence,
)

_TOKEN = re.compile(r"\w+")


@cache
def stopwords() -> frozenset[str]:
    return frozenset(load("stopwords")["syllables"])


def terms(text: str) -> list[str]:
    """Content syllables and the syllable bigrams that are not two stopwords ("hà_nội")."""
    syllables = _TOKEN.findall(text.lower())
    stop = stopwords()
    content = [s for s in syllables if s not in stop]
    bigrams = [f"{a}_{b}" for a, b in itertools.pairwise(syllables) if a not in stop or b not in stop]
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
    counts, df = term_counts(texts)
    return [weigh(c, df, len(texts)) for c in counts], df


def term_counts(texts: Iterable[str]) -> tuple[list[Counter[str]], Counter[str]]:
    """Each text's term counts, and in how many texts each term occurs."""
    counts = [Counter(terms(t)) for t in texts]
    df: Counter[str] = Counter()
    for c in counts:
        df.update(c.keys())
    return counts, df


def cosine(a: SparseVector, b: SparseVector) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(w * b.get(term, 0.0) for term, w in a.items())


Packed = tuple[np.ndarray, np.ndarray]  # a vector's term numbers (sorted) and their weights


class TermStats(Protocol):
    """What weighing articles over a corpus needs of it (`dating.TermIndex`, `stories.Corpus`)."""

    def size(self) -> int: ...  # articles with text

    def df(self, terms: Collection[str]) -> Mapping[str, int]: ...  # articles with each term

    def counts(self, ids: Collection[str]) -> dict[str, Counter[str]]: ...  # term counts by id


@dataclass(slots=True)
class CorpusVectors:
    """`weigh`'s L2-normalised TF-IDF vectors of a corpus's articles, weighed when first asked
    and kept (the least recently used dropped past `capacity`), as arrays over term numbers: a
    term's idf is computed once, and a cosine, or one with a sum of vectors, is one dot product
    in C — the same number as `weigh` and `cosine` give, up to rounding. As term -> weight dicts
    (90 KB an article, against 8 KB) a few thousand were all that could be kept, and at 10,000
    articles story assignment weighed 60% of its vectors again."""

    corpus: TermStats
    capacity: int = 20000
    packed: dict[str, Packed] = field(default_factory=dict)
    numbers: dict[str, int] = field(default_factory=dict)  # term -> its number here
    names: list[str] = field(default_factory=list)  # number -> term
    idf: np.ndarray = field(default_factory=lambda: np.empty(0))  # by term number

    def trim(self) -> None:
        """Drop the vectors used least recently past `capacity` (call it between two uses of
        what `of` returned, never during one)."""
        for article in list(itertools.islice(self.packed, max(0, len(self.packed) - self.capacity))):
            del self.packed[article]

    def of(self, ids: Collection[str]) -> dict[str, Packed]:
        """The vectors of the articles `ids` that have text."""
        missing = [i for i in ids if i not in self.packed]
        for i in ids:  # used now: the last to be dropped
            if i in self.packed:
                self.packed[i] = self.packed.pop(i)
        if missing:
            for article, row in self.corpus.counts(missing).items():
                self.packed[article] = self.weigh(row)
        return {i: self.packed[i] for i in ids if i in self.packed}

    def weigh(self, counts: Counter[str]) -> Packed:
        """The vector of these term counts (an article's), weighed over the corpus."""
        numbers = self.numbers
        known = [numbers.get(t, -1) for t in counts]
        if -1 in known:
            self._learn([t for t, number in zip(counts, known, strict=True) if number < 0])
            known = [numbers[t] for t in counts]
        terms = np.array(known, np.int64)
        weights = (1 + np.log(np.fromiter(counts.values(), float, len(counts)))) * self.idf[terms]
        weights /= np.sqrt(np.dot(weights, weights)) or 1.0
        order = np.argsort(terms)
        return terms[order].astype(np.int32), weights[order]

    def _learn(self, new: list[str]) -> None:
        """Number terms not met yet, and weigh their idf."""
        df, size = self.corpus.df(new), self.corpus.size()
        for term in new:
            self.numbers[term] = len(self.names)
            self.names.append(term)
        weights = np.fromiter((idf(df.get(t, 0), size) for t in new), float, len(new))
        self.idf = np.concatenate([self.idf, weights])

    def heaviest(self, vector: Packed, n: int) -> list[str]:
        """The `n` terms of most weight in `vector`, ties by term."""
        terms, weights = vector
        if len(weights) > n:  # those at least as heavy as the n-th, ties included
            keep = np.nonzero(weights >= np.partition(weights, len(weights) - n)[len(weights) - n])[0]
            terms, weights = terms[keep], weights[keep]
        named = zip((-weights).tolist(), [self.names[i] for i in terms.tolist()], strict=True)
        return [t for _, t in sorted(named)[:n]]


def packed_sum(vectors: Sequence[Packed]) -> Packed:
    """The sum of vectors, packed the same way."""
    if not vectors:
        return np.empty(0, np.int32), np.empty(0)
    terms, where = np.unique(np.concatenate([t for t, _ in vectors]), return_inverse=True)
    return terms, np.bincount(where, weights=np.concatenate([w for _, w in vectors]))


def packed_dot(a: Packed, b: Packed) -> float:
    """The dot product of two packed vectors (their cosine, when both are normalised)."""
    (a_terms, a_weights), (b_terms, b_weights) = a, b
    if not len(a_terms) or not len(b_terms):
        return 0.0
    at = np.minimum(np.searchsorted(b_terms, a_terms), len(b_terms) - 1)
    shared = b_terms[at] == a_terms
    return float(np.dot(a_weights[shared], b_weights[at[shared]]))


def vectorize(texts: Sequence[str]) -> np.ndarray:
    """L2-normalised TF-IDF rows, dense. A term of one text only is no column of its own: each
    row's such terms share one column of the row's own, holding their weights' norm. Every dot
    product between rows, or between sums of rows (a centroid), is the same as over one column
    per term, while a thousand sentences of news, with tens of thousands of terms most of them
    in one sentence, make a matrix of a few thousand columns instead."""
    rows, df = sparse_vectors(texts)
    vocab = {term: i for i, term in enumerate(t for t, n in df.items() if n > 1)}
    matrix = np.zeros((len(texts), len(vocab) + len(texts)), dtype=np.float32)
    for i, row in enumerate(rows):
        own = 0.0
        for term, weight in row.items():
            if term in vocab:
                matrix[i, vocab[term]] = weight
            else:
                own += weight * weight
        matrix[i, len(vocab) + i] = math.sqrt(own)
    return matrix


def lexrank(
    matrix: np.ndarray, threshold: float = 0.1, damping: float = 0.85, similar: np.ndarray | None = None
) -> np.ndarray:
    """Stationary distribution of the thresholded cosine graph (Erkan & Radev, 2004); `similar`:
    `matrix @ matrix.T`, when the caller has it already."""
    n = matrix.shape[0]
    if n == 0:
        return np.zeros(0)
    graph = ((matrix @ matrix.T if similar is None else similar) >= threshold).astype(np.float64)
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
    said: np.ndarray | None = None,
    similar: Callable[[], np.ndarray] | None = None,
) -> list[int]:
    """Maximal marginal relevance: relevant but not repeating what is already chosen.

    A candidate more similar than `max_similarity` to a chosen sentence, or to a row of `said`
    (vectors of what was said elsewhere, same vocabulary), is never taken. `similar`: gives
    `matrix @ matrix.T`, when the caller may have it already (asked for only when k > 8)."""
    pool = np.zeros(len(scores), dtype=bool)
    pool[list(range(len(scores))) if allowed is None else list(allowed)] = True
    # similarity of each candidate to the closest sentence already said or chosen
    overlap = (matrix @ said.T).max(axis=1) if said is not None and len(said) else np.zeros(len(scores))
    chosen: list[int] = []
    # ranking a whole pool: every pair, once; a few sentences: one row per sentence chosen
    whole = (similar or (lambda: matrix @ matrix.T))() if k > 8 else None
    while len(chosen) < k:
        gain = np.where(pool & (overlap <= max_similarity), lam * scores - (1 - lam) * overlap, -np.inf)
        best = int(np.argmax(gain))
        if gain[best] == -np.inf:
            break
        chosen.append(best)
        pool[best] = False
        overlap = np.maximum(overlap, whole[best] if whole is not None else matrix @ matrix[best])
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
    return tuple(w.lower() for w in load("stopwords")["dangling_starts"])


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
        url=article.url,
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


def position_factor(index: np.ndarray) -> np.ndarray:
    return np.exp(-index / POSITION_DECAY)


# Most sentences compared in the briefing's similarity graph, best placed and shaped first. The
# graph is quadratic in them: 4,000 MDS sentences took 21 s and 1.1 GiB, a page of 50,000 one-line
# sentences crashed at 7.7 GiB; 1,000 take about 2 s and 130 MiB. The steep position prior leaves a
# sentence past the first few of its article no chance anyway. An MDS cluster has at most 173
# sentences, the seeds about 150: ordinary corpora are compared whole.
BRIEF_POOL = 1000


def rank(articles: Sequence[Article]) -> list[tuple[Article, Sentence]]:
    """Summary-worthy sentences, best first: by the learned sentence scorer (`score_pool`, see
    `data/brief_model.toml`) over the `BRIEF_POOL` best placed and shaped of the corpus, each
    sentence not repeating a better one (those are left out)."""
    pool = candidate_pool(articles)
    if not pool:
        return []
    scores, matrix, similar = score_pool(pool)
    redundancy = brief_model().redundancy
    order = mmr(scores, matrix, k=len(pool), lam=1.0, max_similarity=redundancy, similar=similar)
    return [pool[i] for i in order]


def candidate_pool(articles: Sequence[Article]) -> list[tuple[Article, Sentence]]:
    """The sentences a briefing may quote (`is_summary_material`, photo captions cut off: see
    `without_caption`), at most `BRIEF_POOL` of them, the best placed and shaped first, in corpus
    order."""
    pool = []
    for article in articles:
        for sentence in article.sentences:
            text = without_caption(sentence.text) if is_summary_material(sentence) else None
            if text is not None:
                pool.append((article, sentence if text == sentence.text else replace(sentence, text=text)))
    if len(pool) > BRIEF_POOL:
        position = position_factor(np.array([s.index for _, s in pool]))
        shape = np.array([length_factor(s.text) * context_factor(s) for _, s in pool])
        keep = np.sort(np.argsort(-(position * shape), kind="stable")[:BRIEF_POOL])
        pool = [pool[int(i)] for i in keep]
    return pool


# A photo caption and its credit glued to the sentence after it ("Lính cứu hỏa phun nước … - Ảnh: AFP
# Khi chúng tôi …"), or standing alone ("Ảnh: Internet."): the caption describes a picture the
# briefing does not show, and its words crowd out the news within the word budget.
_CREDIT = re.compile(r"\(?(?:Ảnh minh họa|Ảnh|Nguồn|Đồ họa|Đồ hoạ|Video|Clip)\s*:\s*|Ảnh minh họa\s+")
_OPENING = "\"'“‘«("
MIN_REMAINDER = 6  # fewest words after a credit taken for a sentence rather than more caption
MAX_CAPTION = 30  # most words before a credit: a longer run is news that a caption follows


def without_caption(text: str) -> str | None:
    """`text` without a leading photo caption and its credit, or None when it is nothing but one.
    A sentence whose credit cannot be told from what follows is returned whole. The credit ends
    after initials or an acronym ("Ảnh: TR.T.", "Ảnh: AFP"), at its closing parenthesis, or
    before the first capitalised word that is a function word ("Ông", "Trong") or is followed by a
    lower-case one ("Ảnh: Trương Hải Tùng Phút …" is not cut, "… Tùng Trong trận" is)."""
    match = _CREDIT.search(text)
    if match is None or len(text[: match.start()].split()) > MAX_CAPTION:
        return text
    rest = text[match.end() :]
    marker = match.group()
    if marker.startswith("("):
        close = rest.find(")")
        start = close + 1 if 0 <= close <= 60 else -1
    else:
        start = _credit_end(rest, named=":" in marker)
    remainder = rest[start:].strip() if start >= 0 else ""
    if len(remainder.split()) >= MIN_REMAINDER and remainder.lstrip(_OPENING)[:1].isupper():
        return remainder
    if start < 0 and len(rest.split()) >= MIN_REMAINDER:
        return text  # a credit we cannot delimit: keep the sentence as it is
    return None


def _credit_end(rest: str, named: bool) -> int:
    """Offset in `rest` (what follows "Ảnh: ") where the sentence after the credit starts, or -1.
    `named`: a credit comes first ("Ảnh: Reuters …"), not only the caption's end ("Ảnh minh họa …")."""
    words = list(re.finditer(r"\S+", rest))
    if not named:
        return words[0].start() if words else -1
    first = words[0].group() if words else ""
    if len(words) > 1 and ("." in first.rstrip(".") or first.isupper()):
        # "Ảnh: TR.T. Ông …", "Ảnh: AFP-TTXVN Tâm chấn …", "Ảnh: HUY HÀ Qua kiểm tra …"; but
        # "Ảnh: KCNA KCNA dẫn lời …": the second acronym is the subject
        end = 1
        while end + 1 < len(words) and words[end].group().isupper() and words[end + 1].group()[:1].isupper():
            end += 1
        return words[end].start()
    stop = stopwords()
    for i in range(1, min(len(words), 5)):
        word = words[i].group().lstrip(_OPENING)
        if not word[:1].isupper():
            continue
        after = words[i + 1].group().lstrip(_OPENING) if i + 1 < len(words) else ""
        if word.lower().rstrip(",.:;") in stop or after[:1].islower():
            return words[i].start()
    return -1


# The learned scorer's inputs. Few on purpose: hand-set weights tuned on seen clusters lost two
# thirds of their gain on unseen ones (issue 15).
BRIEF_FEATURES = (
    # log of the hand-set score (LexRank × exp(−index) × length × dangling-opener factors) that ranked
    # sentences before: the model's weight on it is not penalised, so regularisation pulls the other
    # weights towards that ranking rather than towards none
    "prior",
    "first",  # the article's first sentence
    "position",  # exp(-index): news puts its facts first
    "relative_position",  # index / article length: the last lines are often boilerplate or asides
    "length",  # length_factor: very short or long sentences make poor lines
    "words",  # log(1 + words) / log(60): a longer line carries more of the story
    "dangling",  # opens with a connective ("Tuy nhiên, ...") and leans on the sentence before
    "centrality",  # LexRank over the pool
    "centroid",  # cosine to the pool's centroid
    "title",  # highest cosine to any article title
    "repeated",  # share of the other articles that say much the same (cosine >= 0.3)
    "names",  # named entities (entities.recognise), capped at 5, / 5
    "numbers",  # numbers and time expressions, capped at 5, / 5
    "quote",  # has quotation marks: quoted speech, rarely in a reference summary
)


@dataclass(frozen=True, slots=True)
class BriefModel:
    """A linear sentence scorer over standardised `BRIEF_FEATURES` (fitted as a per-cluster softmax:
    only the order within one corpus matters), with the redundancy threshold and the packing rule
    chosen with it. bench/train_brief.py writes it to data/brief_model.toml."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    redundancy: float  # TF-IDF cosine above which a sentence repeats one already chosen
    fill: float  # share of the word budget after which a sentence that does not fit ends the briefing

    @property
    def used(self) -> tuple[str, ...]:
        """The features with a weight: the only ones worth computing."""
        return tuple(name for name, w in zip(self.features, self.weights, strict=True) if w != 0)

    def score(self, features: np.ndarray, names: Sequence[str] = BRIEF_FEATURES) -> np.ndarray:
        """A log-score per row of `features` (columns in `names` order, holding at least the
        features with a weight): higher is better."""
        where = {name: i for i, name in enumerate(names)}
        kept = [i for i, w in enumerate(self.weights) if w != 0]
        columns = [where[self.features[i]] for i in kept]
        standard = (features[:, columns] - self.mean[kept]) / self.scale[kept]
        return np.asarray(standard @ self.weights[kept], dtype=np.float64)


@cache
def brief_model() -> BriefModel:
    model = load("brief_model")["model"]
    return BriefModel(
        features=tuple(model["features"]),
        mean=np.array(model["mean"], dtype=np.float64),
        scale=np.array(model["scale"], dtype=np.float64),
        weights=np.array(model["weights"], dtype=np.float64),
        redundancy=float(model["redundancy"]),
        fill=float(model["fill"]),
    )


_NUMBERISH = re.compile(r"\d+(?:[.,]\d+)*")  # "10", "2,5", "1.000": one number each
_QUOTE_MARKS = re.compile(r"[\"“”«»]")


def pool_features(
    pool: Sequence[tuple[Article, Sentence]], names: Sequence[str] = BRIEF_FEATURES
) -> tuple[np.ndarray, np.ndarray]:
    """The `names` features (default: all `BRIEF_FEATURES`) of each pool sentence (one row each,
    columns in `names` order), and the pool's TF-IDF rows (titles weigh in the document
    frequencies, so that title words shared by every article count less). Only the features
    asked for are computed: some are quadratic in the pool."""
    features, matrix, _ = _pool_features(pool, names)
    return features, matrix


def _pool_features(
    pool: Sequence[tuple[Article, Sentence]], names: Sequence[str]
) -> tuple[np.ndarray, np.ndarray, Callable[[], np.ndarray]]:
    """`pool_features`, and the rows' similarities (`matrix @ matrix.T`, computed once when first
    asked for: the graph, the repeats and the ranking all read them, and of a thousand sentences
    it is most of a briefing's time)."""
    titles = list(dict.fromkeys(a.title for a, _ in pool if a.title))
    both = vectorize([s.text for _, s in pool] + titles)
    matrix, title_rows = both[: len(pool)], both[len(pool) :]
    n = len(pool)
    index = np.array([s.index for _, s in pool], dtype=np.float64)
    sizes = {a.id: len(a.sentences) for a, _ in pool}
    shape = np.array([length_factor(s.text) for _, s in pool])
    context = np.array([context_factor(s) for _, s in pool])
    similar = cache(lambda: matrix @ matrix.T)
    centrality = cache(lambda: lexrank(matrix, similar=similar()))

    def centroid() -> np.ndarray:
        total = matrix.sum(axis=0)
        return matrix @ (total / (np.linalg.norm(total) or 1.0))

    def repeated() -> np.ndarray:
        similarity = similar()
        owners = np.array([a.id for a, _ in pool])
        others = len(sizes) - 1
        found = np.zeros(n)
        if others:
            for i in range(n):
                found[i] = len(set(owners[(similarity[i] >= REDUNDANCY) & (owners != owners[i])])) / others
        return found

    columns: dict[str, Callable[[], np.ndarray]] = {
        "prior": lambda: np.log(np.maximum(centrality() * shape * context, 1e-6)) - index / POSITION_DECAY,
        "first": lambda: (index == 0).astype(np.float64),
        "position": lambda: position_factor(index),
        "relative_position": lambda: np.array([s.index / max(1, sizes[a.id] - 1) for a, s in pool]),
        "length": lambda: shape,
        "words": lambda: (
            np.log1p(np.array([len(s.text.split()) for _, s in pool], dtype=np.float64)) / math.log(60)
        ),
        "dangling": lambda: (context < 1).astype(np.float64),
        "centrality": centrality,
        "centroid": centroid,
        "title": lambda: (matrix @ title_rows.T).max(axis=1) if titles else np.zeros(n),
        "repeated": repeated,
        "names": lambda: np.array([min(len(s.mentions), 5) / 5 for _, s in pool]),
        "numbers": lambda: np.array(
            [min(len(_NUMBERISH.findall(s.text)) + len(s.timexes), 5) / 5 for _, s in pool]
        ),
        "quote": lambda: np.array([1.0 if _QUOTE_MARKS.search(s.text) else 0.0 for _, s in pool]),
    }
    return np.column_stack([columns[name]() for name in names]), matrix, similar


def score_pool(
    pool: Sequence[tuple[Article, Sentence]],
) -> tuple[np.ndarray, np.ndarray, Callable[[], np.ndarray]]:
    """The learned score of each pool sentence, the pool's TF-IDF rows and their similarities
    (`_pool_features`)."""
    model = brief_model()
    features, matrix, similar = _pool_features(pool, model.used)
    return model.score(features, model.used), matrix, similar


def brief(articles: Sequence[Article], words: int = 150) -> Briefing:
    """Extractive multi-document summary of whole sentences within a word budget, in
    chronological order, each sentence citing its article."""
    ranked = rank(articles)
    picked = [ranked[i] for i in pack([len(s.text.split()) for _, s in ranked], words, brief_model().fill)]
    picked.sort(key=lambda p: (reference_date(p[0]) or date.max, p[0].id, p[1].index))
    sentences = [BriefSentence(s.text, citation(a, s)) for a, s in picked]
    seen: dict[str, Citation] = {}
    for item in sentences:
        seen.setdefault(item.citation.article_id, item.citation)
    return Briefing(sentences, list(seen.values()), words)


def pack(lengths: Sequence[int], budget: int, fill: float = 1.0) -> list[int]:
    """Indices of whole sentences, taken best first while they fit the budget. A sentence too long
    for what is left is skipped for the next one that fits, until `fill` of the budget is used:
    then the first that does not fit ends the briefing (a low-ranked sentence that merely fits
    costs more precision than it adds recall)."""
    picked: list[int] = []
    used = 0
    for i, n in enumerate(lengths):
        if used + n <= budget:
            picked.append(i)
            used += n
        elif used >= fill * budget:
            break
    return picked


# --- optional abstractive rewrite (configured in nienbieu.llm) ----------------------

# A rephrasing may borrow a few syllables from the rest of its article (the subject named in the
# title, a clearer word used further on), but most of what it says must be in the sentence it cites.
MIN_PRECISION = 0.8

REWRITE_PROMPT = (
    "Bạn là biên tập viên tin tức. Hãy viết lại câu tin tức dưới đây thành một câu tiếng Việt trôi chảy, "
    "ngắn gọn. Không thêm thông tin, không suy đoán, không giải thích. Giữ nguyên mọi con số, ngày tháng, "
    "tên riêng và lời trích dẫn trong ngoặc kép đúng như trong câu gốc. Chỉ trả lời bằng câu đã viết lại."
)

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")  # "10", "2,5" (decimal comma), "1.000" (thousands dot)
_WORD = re.compile(r"[^\W_]+")
_SENTENCE_OPENERS = tuple('.!?:;"“«(…')  # a capital after these may start a sentence, not a name
_THINKING = re.compile(r"<think>.*?</think>", re.DOTALL)  # reasoning models may show their work


@dataclass(frozen=True, slots=True)
class Support:
    """What in a rewritten sentence its sources do not back; `ok` when nothing."""

    numbers: tuple[str, ...]  # not in the cited sentence
    names: tuple[str, ...]  # capitalised runs not in the cited sentence, word for word
    quotes: tuple[str, ...]  # quoted text not in the cited sentence, word for word
    syllables: tuple[str, ...]  # content syllables in neither the cited sentence nor its article
    precision: float  # share of the distinct content syllables found in the cited sentence itself

    @property
    def ok(self) -> bool:
        unbacked = self.numbers or self.names or self.quotes or self.syllables
        return not unbacked and self.precision >= MIN_PRECISION

    def reasons(self) -> str:
        parts = [
            f"{label}: {', '.join(items)}"
            for label, items in (
                ("numbers not in the cited sentence", self.numbers),
                ("names not in the cited sentence", self.names),
                ("quotations not in the cited sentence", self.quotes),
                ("words not in the cited article", self.syllables),
            )
            if items
        ]
        if self.precision < MIN_PRECISION:
            parts.append(
                f"only {self.precision:.0%} of its content syllables are in the cited sentence"
                f" (minimum {MIN_PRECISION:.0%})"
            )
        return "; ".join(parts)


def support(rewritten: str, cited: Sequence[str], context: str = "") -> Support:
    """How far `rewritten` is backed by the `cited` sentences. The cited article's text (`context`)
    may back ordinary syllables but not numbers, names or quotations: a number or name carried over
    from another sentence is the likeliest way for a fluent rewrite to misstate a fact."""
    rewritten = unicodedata.normalize("NFC", rewritten)
    cited = [unicodedata.normalize("NFC", c) for c in cited]
    near = set(rouge.tokens(" ".join(cited)))
    wide = near | set(rouge.tokens(context))
    content = list(dict.fromkeys(_content_syllables(rewritten)))
    known_numbers = {n for c in cited for n in _NUMBER.findall(c)}
    flat = [" ".join(c.split()) for c in cited]
    return Support(
        numbers=tuple(dict.fromkeys(n for n in _NUMBER.findall(rewritten) if n not in known_numbers)),
        names=_unbacked_names(rewritten, cited),
        quotes=tuple(q for q in _quoted(rewritten) if not any(q in c for c in flat)),
        syllables=tuple(s for s in content if s not in wide),
        precision=sum(s in near for s in content) / len(content) if content else 0.0,
    )


def _content_syllables(text: str) -> list[str]:
    return [t for t in rouge.tokens(text) if t not in stopwords() and not t.isdigit()]


def _name_runs(text: str) -> list[tuple[list[str], bool]]:
    """Runs of capitalised words separated only by spaces ("Jens Stoltenberg", "Đại Tây Dương"),
    each with whether it starts a sentence or a quotation (its first capital may be positional)."""
    runs: list[tuple[list[str], bool]] = []
    end: int | None = None  # where the run being built ends
    for match in _WORD.finditer(text):
        word = match.group()
        if not word[0].isupper():
            end = None
            continue
        if end is not None and not text[end : match.start()].strip():
            runs[-1][0].append(word)
        else:
            before = text[: match.start()].rstrip()
            runs.append(([word], not before or before.endswith(_SENTENCE_OPENERS)))
        end = match.end()
    return runs


def _unbacked_names(rewritten: str, cited: Sequence[str]) -> tuple[str, ...]:
    sources = [_WORD.findall(c) for c in cited]
    lower = {w for words in sources for w in words if w.islower()} | stopwords()
    missing: list[str] = []
    for run, initial in _name_runs(rewritten):
        if _occurs(run, sources):
            continue
        if initial and run[0].lower() in lower and (len(run) == 1 or _occurs(run[1:], sources)):
            continue  # "Ngày 18/2, ...", "Ông Stoltenberg ...": an ordinary word capitalised by position
        missing.append(" ".join(run))
    return tuple(dict.fromkeys(missing))


def _occurs(run: list[str], sources: list[list[str]]) -> bool:
    n = len(run)
    return any(words[i : i + n] == run for words in sources for i in range(len(words) - n + 1))


def _quoted(text: str) -> list[str]:
    """The text between each opening quotation mark and the next closing one, spaces normalised."""
    spans: list[str] = []
    start: int | None = None
    for offset, opens in nlp.quote_marks(text):
        if opens:
            start = offset + 1
        elif start is not None:
            spans.append(" ".join(text[start:offset].split()))
            start = None
    return [s for s in spans if s]


def rewrite(
    briefing: Briefing, sources: Sequence[Article], config: llm.LLMConfig
) -> tuple[Briefing, list[RewriteNote]]:
    """The briefing rephrased by the configured chat model, sentence by sentence, with the same
    citations. A rephrasing that `support` does not find backed by its citation is replaced by the
    extractive sentence and reported in a note; if the endpoint fails, the extractive briefing is
    returned whole, with one note saying why.

    One request per sentence rather than one numbered list: each answer then belongs to exactly
    one citation and is checked against it, and a model that merges, splits or renumbers lines
    cannot move a fact under another article's citation. A briefing has a handful of sentences, so
    the extra round trips cost little."""
    articles = {a.id: a for a in sources}
    sentences: list[BriefSentence] = []
    notes: list[RewriteNote] = []
    for number, item in enumerate(briefing.sentences, 1):
        try:
            answer = _answer_text(llm.chat(config, _rewrite_messages(item.text)))
        except llm.LLMError as exc:
            # a down or broken endpoint fails the same way for the next sentence: stop asking
            return briefing, [RewriteNote(None, "llm-error", str(exc))]
        text, note = _checked(number, item, answer, articles.get(item.citation.article_id))
        sentences.append(BriefSentence(text, item.citation))
        if note is not None:
            notes.append(note)
    return Briefing(sentences, list(briefing.articles), briefing.word_budget), notes


def _rewrite_messages(sentence: str) -> list[dict[str, str]]:
    return [{"role": "system", "content": REWRITE_PROMPT}, {"role": "user", "content": sentence}]


def _answer_text(answer: str) -> str:
    """The rephrased sentence alone: no shown reasoning, one line, no quotation marks around it all."""
    text = " ".join(_THINKING.sub(" ", unicodedata.normalize("NFC", answer)).split())
    inner = text[1:-1]
    if len(text) > 1 and text[0] in '"“«' and text[-1] in '"”»' and not any(q in inner for q in '"“”«»'):
        return inner.strip()
    return text


def _checked(
    number: int, item: BriefSentence, answer: str, article: Article | None
) -> tuple[str, RewriteNote | None]:
    """The text to print for one sentence, and a note when the rephrasing was refused."""
    if not answer:
        return item.text, RewriteNote(number, "empty", "the model answered no text", answer)
    verdict = support(answer, _cited_sentences(item, article), _article_text(article))
    if verdict.ok:
        return answer, None
    return item.text, RewriteNote(number, "unsupported", verdict.reasons(), answer)


def _cited_sentences(item: BriefSentence, article: Article | None) -> list[str]:
    """The sentence the citation points to, and the extractive text (the same, for `brief` output)."""
    found = [s.text for s in article.sentences if s.index == item.citation.sentence_index] if article else []
    return list(dict.fromkeys([*found, item.text]))


def _article_text(article: Article | None) -> str:
    if article is None:  # not among the sources given: only the cited sentence can back a rephrasing
        return ""
    return "\n".join([article.title or "", *(p.text for p in article.body)])
