"""ROUGE for Vietnamese summaries and timelines, on syllables with their diacritics kept.

Common ROUGE packages tokenise on ``[a-z0-9]+`` and so turn "Hà Nội" into "h n i" (or drop it):
a Vietnamese summary then scores against the wrong units. Here a token is a run of letters and
digits in NFC, lower-cased, diacritics kept; the underscores of word-segmented text ("máy_bay")
separate syllables, so segmented and plain text score alike.

- `rouge_n`, `rouge_l`: one candidate against one or more references; with several references the
  scores are averaged over them (as ROUGE-1.5.5 does by default).
- `timeline_scores`: the timeline-summarisation metrics of Martschat & Markert (2017, the `tilse`
  package): date F1, concatenation ROUGE (all entries as one text), agreement ROUGE (an n-gram
  counts only when it appears under the same date in both timelines) and alignment ROUGE
  (`align_rouge`: each date is paired, many-to-one, with a near date of the other timeline, and an
  n-gram shared by a pair d days apart counts 1/(d+1); with `content`, a pair whose entries say the
  same thing is cheap to make even when far apart: tilse's `align+ m:1`).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

_TOKEN = re.compile(r"[^\W_]+")


def tokens(text: str) -> list[str]:
    """Syllables of `text`: NFC, lower case, diacritics kept, punctuation and underscores dropped."""
    return _TOKEN.findall(unicodedata.normalize("NFC", text).lower())


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


def _mean(scores: Sequence[Score]) -> Score:
    if not scores:
        return Score(0.0, 0.0)
    return Score(sum(s.precision for s in scores) / len(scores), sum(s.recall for s in scores) / len(scores))


def rouge_n(candidate: str, references: str | Sequence[str], n: int = 1) -> Score:
    refs = [references] if isinstance(references, str) else list(references)
    cand = ngrams(tokens(candidate), n)
    scores = []
    for reference in refs:
        ref = ngrams(tokens(reference), n)
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


def rouge_l(candidate: str, references: str | Sequence[str]) -> Score:
    """LCS over the whole token sequence (as rouge-score's `rougeL`)."""
    refs = [references] if isinstance(references, str) else list(references)
    cand = tokens(candidate)
    scores = []
    for reference in refs:
        ref = tokens(reference)
        hit = lcs_length(cand, ref)
        scores.append(Score(_ratio(hit, len(cand)), _ratio(hit, len(ref))))
    return _mean(scores)


def rouge(candidate: str, references: str | Sequence[str]) -> dict[str, Score]:
    return {
        "rouge-1": rouge_n(candidate, references, 1),
        "rouge-2": rouge_n(candidate, references, 2),
        "rouge-l": rouge_l(candidate, references),
    }


# --- timelines ----------------------------------------------------------------------

Timeline = Mapping[str, Sequence[str]]  # date (ISO, any granularity) -> summary sentences


def date_f1(system: Timeline, reference: Timeline) -> Score:
    hit = len(set(system) & set(reference))
    return Score(_ratio(hit, len(system)), _ratio(hit, len(reference)))


def concat_rouge(system: Timeline, reference: Timeline, n: int = 1) -> Score:
    """All entries of each timeline as one text, dates ignored."""
    return rouge_n(_joined(system), _joined(reference), n)


def agreement_rouge(system: Timeline, reference: Timeline, n: int = 1) -> Score:
    """n-grams count only under the same date in both timelines."""
    ours, theirs = _dated_ngrams(system, n), _dated_ngrams(reference, n)
    hit = sum(_overlap(ours[day], theirs[day]) for day in ours.keys() & theirs.keys())
    return Score(_ratio(hit, _total(ours)), _ratio(hit, _total(theirs)))


def align_rouge(system: Timeline, reference: Timeline, n: int = 1, content: bool = False) -> Score:
    """Alignment ROUGE, many-to-one in both directions as tilse's `_assign_to_min_cost`: for precision
    each system date takes its cheapest reference date, for recall each reference date its cheapest
    system date (several may take the same one). A pair d days apart costs 1 - 1/(d+1), times
    1 - ROUGE-1 F1 of its two entries with `content`; its shared (clipped) n-grams count 1/(d+1) each
    against all n-grams of the side being scored."""
    ours, theirs = _dated_ngrams(system, n), _dated_ngrams(reference, n)
    closeness = {(s, r): _closeness(s, r) for s in ours for r in theirs}
    cost = {pair: 1 - near for pair, near in closeness.items()}
    if content:
        words, ref_words = _dated_ngrams(system, 1), _dated_ngrams(reference, 1)
        cost = {(s, r): c * (1 - _f1(words[s], ref_words[r])) for (s, r), c in cost.items()}
    # A tie goes to the same date string ("2021-02" and "2021-02-01" are 0 days apart), then to
    # the earlier date, as tilse's argmin over its sorted dates.
    to_ref = [(s, min((cost[s, r], r != s, r) for r in theirs)[2]) for s in ours] if theirs else []
    to_sys = [(min((cost[s, r], s != r, s) for s in ours)[2], r) for r in theirs] if ours else []
    hit_p = sum(closeness[s, r] * _overlap(ours[s], theirs[r]) for s, r in to_ref)
    hit_r = sum(closeness[s, r] * _overlap(ours[s], theirs[r]) for s, r in to_sys)
    return Score(_ratio(hit_p, _total(ours)), _ratio(hit_r, _total(theirs)))


# A date's day for distances: a day itself; a month, year or range its first day (where it sorts).
# So a month's entry scores in full only against the 1st and fades over the month (1/18 on the 18th):
# less than a day-level entry earns, as a month-level date tells the reader less.
_ISO_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?:/\S+)?")


def _day(value: str) -> date | None:
    match = _ISO_DATE.fullmatch(value.strip())
    try:
        return date(int(match[1]), int(match[2] or 1), int(match[3] or 1)) if match else None
    except ValueError:  # "2021-02-30"
        return None


def _closeness(a: str, b: str) -> float:
    """1/(days apart + 1); a date that is not ISO is close only to the very same string."""
    first, second = _day(a), _day(b)
    if first is None or second is None:
        return float(a == b)
    return 1 / (abs(first.toordinal() - second.toordinal()) + 1)


def _f1(a: Counter[tuple[str, ...]], b: Counter[tuple[str, ...]]) -> float:
    hit = _overlap(a, b)
    return Score(_ratio(hit, sum(a.values())), _ratio(hit, sum(b.values()))).f1


def _dated_ngrams(timeline: Timeline, n: int) -> dict[str, Counter[tuple[str, ...]]]:
    return {day: ngrams(tokens(" ".join(sentences)), n) for day, sentences in timeline.items()}


def _total(dated: dict[str, Counter[tuple[str, ...]]]) -> int:
    return sum(sum(counts.values()) for counts in dated.values())


def _joined(timeline: Timeline) -> str:
    return " ".join(" ".join(timeline[day]) for day in sorted(timeline))


def timeline_scores(system: Timeline, reference: Timeline) -> dict[str, Score]:
    return {
        "date": date_f1(system, reference),
        "concat-1": concat_rouge(system, reference, 1),
        "concat-2": concat_rouge(system, reference, 2),
        "agreement-1": agreement_rouge(system, reference, 1),
        "agreement-2": agreement_rouge(system, reference, 2),
        "align-1": align_rouge(system, reference, 1),
        "align-2": align_rouge(system, reference, 2),
        "align+-1": align_rouge(system, reference, 1, content=True),
        "align+-2": align_rouge(system, reference, 2, content=True),
    }
