"""Who said a quotation (issue 18): candidate speakers scored, the best one kept with a confidence.

Each quotation `entities.attribute_quotes` finds (scare quotes and names aside: nobody's words)
gets candidates: the people, bodies and places named outside quotations in its own sentences,
the two before and the one after; a capitalised subject of its speech verb that recognition
missed ("Ya Suy nhớ lại: “…”"); the speaker of the quotation before it; and nobody (an unnamed
source, or no speaker given). A candidate is described by `FEATURES`: where it stands (same
sentence, before, after, how far), whether it is the subject of the speech verb framing the
quotation on either side, an addressee ("nói với", "trả lời") or a cited source ("theo"),
whether the verb's subject is a pronoun pointing back to it ("ông nói thêm"), whether it spoke
the quotation before. A linear score over them, fitted on the dev part of the quotation gold
(`bench/train_quotes.py` writes `data/quote_model.toml`), is turned into probabilities over one
quotation's candidates (softmax). The best candidate's confidence is a logistic of its margin
over the runner-up, calibrated on cross-validated dev predictions; below the model's threshold
the quotation is shown as "không rõ người nói" while its candidate and confidence are kept.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

from nienbieu import entities, nlp
from nienbieu.data import load
from nienbieu.models import Mention, Quote, Sentence

FEATURES = (
    "nobody",  # the candidate "nobody named"
    "nobody_unnamed",  # … and the speech verb's subject names nobody ("một nhà ngoại giao")
    "nobody_no_frame",  # … and no speech verb frames the quotation
    "nobody_alone",  # … and nobody is named in the quotation's own sentences
    "person",
    "body",  # an organisation, a country or a place
    "unrecognised",  # a capitalised subject of the speech verb that recognition missed
    "same_sentence",
    "previous_sentence",
    "earlier_sentence",  # two sentences before
    "next_sentence",
    "nearest",  # the named candidate closest to the quotation
    "closeness",  # 1 next to the quotation, 0 at 2,000 characters or more
    "verb_subject",  # right before the speech verb that frames the quotation
    "clause_head",  # first name of the clause of that speech verb
    "apposed",  # right before the verb, after a comma and the clause's first name ("X, học sinh trường Y")
    "addressee",  # after "với", "trả lời", "hỏi" …
    "citer",  # subject of a verb citing somebody else ("hãng RIA-Novosti dẫn lời ông Peskov")
    "cited",  # after "theo", "dẫn lời" …
    "in_brackets",
    "previous_speaker",  # said the quotation just before (within two sentences)
    "pronoun_last_person",  # the verb's subject is a pronoun and this is the last person named
    "pronoun_previous_speaker",  # … and this one said the quotation before
    "described_last_person",  # the verb's subject describes somebody and this is the last person named
    "rule",  # the speaker the sentence rules of `entities` give
)
NAMED_TYPES = ("PER", "ORG", "LOC")
# How far a candidate may stand from the quotation's sentences.
SENTENCES_BEFORE = 2
SENTENCES_AFTER = 1
FAR = 2000  # characters: "closeness" 0 from here on
NOT_SHOWN = "không rõ người nói"


def tables() -> dict[str, Any]:
    return load("quotes")


@dataclass(frozen=True, slots=True)
class Candidate:
    name: str | None  # as written in the article (None: nobody named)
    features: Mapping[str, float]


@dataclass(frozen=True, slots=True)
class QuoteModel:
    weights: Mapping[str, float]
    calibration: tuple[float, float]  # confidence = logistic(a · margin + b)
    threshold: float  # a speaker is shown from this confidence on

    def score(self, candidate: Candidate) -> float:
        return sum(self.weights.get(k, 0.0) * v for k, v in candidate.features.items())

    def confidence(self, margin: float) -> float:
        a, b = self.calibration
        return 1 / (1 + math.exp(-max(-50.0, min(50.0, a * margin + b))))


@cache
def model() -> QuoteModel:
    table = load("quote_model")["model"]
    return QuoteModel(
        dict(zip(table["features"], table["weights"], strict=True)),
        (float(table["calibration"][0]), float(table["calibration"][1])),
        float(table["threshold"]),
    )


@dataclass(frozen=True, slots=True)
class Span:
    """Where a quotation stands: from the opening mark in sentence `first` to just after the
    closing mark in sentence `last` (the same sentence for most)."""

    first: int
    last: int
    start: int
    end: int


# --- word lists ------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


@cache
def _entries(table: str) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(_words(entry)) for entry in tables()[table])


def starts_with(words: list[str], table: str) -> bool:
    """The words begin with an entry of the table (whole words, case aside)."""
    return any(tuple(words[: len(e)]) == e for e in _entries(table))


def marked_by(words: list[str], table: str, gap: int) -> bool:
    """An entry of the table ends the words or is followed by at most `gap` of them (a title:
    "với Tổng thống Mỹ", "theo bà")."""
    for e in _entries(table):
        first = max(0, len(words) - len(e) - gap)
        if any(tuple(words[i : i + len(e)]) == e for i in range(first, len(words) - len(e) + 1)):
            return True
    return False


@cache
def verb_pattern() -> re.Pattern[str]:
    verbs = sorted({*entities.tables()["speech_verbs"], *tables()["framing_verbs"]}, key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(v) for v in verbs) + r")(?!\w)", re.IGNORECASE)


# --- where things stand ------------------------------------------------------------------


def quoted_spans(sentence: Sentence) -> list[tuple[int, int]]:
    """The stretches of a sentence inside quotation marks (from its start when it starts inside
    one, to its end when one is left open)."""
    return [(start, end) for start, end, _ in nlp.quoted_stretches(sentence.text, sentence.in_quote)]


def _outside(sentence: Sentence) -> list[Mention]:
    spans = quoted_spans(sentence)
    return [
        m for m in sentence.mentions
        if m.type in NAMED_TYPES and not any(a <= m.start < b for a, b in spans)
    ]  # fmt: skip


_BREAK = re.compile(r"[.;!?“”\"]")
_AFTER_BREAK = re.compile(r"[.;:!?“”\"]")


def framing_verbs(sentences: list[Sentence], span: Span) -> list[tuple[int, re.Match[str]]]:
    """The speech verbs that introduce the quotation (before it in its first sentence, nothing
    but a few words and a colon or comma between) or follow it (in its last sentence, within
    twelve words, no clause break between), as (sentence index, match)."""
    found = []
    opening = sentences[span.first].text
    before = [
        v
        for v in verb_pattern().finditer(opening[: span.start])
        if not _BREAK.search(opening[v.end() : span.start])
    ]
    if before:
        found.append((span.first, before[-1]))
    closing = sentences[span.last].text
    for v in verb_pattern().finditer(closing, span.end):
        gap = closing[span.end : v.start()]
        if len(gap.split()) <= 12 and not _AFTER_BREAK.search(gap.lstrip(' .,”"–—-')):
            found.append((span.last, v))
        break
    return found


def _clause_start(text: str, verb: re.Match[str]) -> int:
    breaks = [m.end() for m in _AFTER_BREAK.finditer(text, 0, verb.start())]
    return breaks[-1] if breaks else 0


# Between a speaker and its speech verb: a few words ("đã", "hôm nay", "ngày 22/10").
_SUBJECT_GAP = re.compile(r"(?:\s+[\w/()-]+){0,4}\s+")
_WORD = re.compile(r"\w[\w'’-]*")


def _capitalised_subject(text: str, clause: int, verb: int) -> str | None:
    """Capitalised words (at most four) a few words before the speech verb, not opening the
    clause (where any word is capitalised): "Trở lại vòng Nhà hát, Ya Suy bồi hồi nhớ lại"."""
    words = list(_WORD.finditer(text, clause, verb))
    run: list[re.Match[str]] = []
    for w in reversed(words[-6:]):
        if w.group()[0].isupper():
            run.insert(0, w)
        elif run:
            break
    if not run or len(run) > 4 or (run[0] is words[0] and clause == 0):
        return None  # a sentence's first word is capitalised whatever it is
    if not _SUBJECT_GAP.fullmatch(" " + text[run[-1].end() : verb]):
        return None
    return text[run[0].start() : run[-1].end()]


@dataclass(slots=True)
class _Frame:
    """What the speech verbs framing a quotation say about its speaker."""

    subjects: set[tuple[int, int]]  # (sentence, mention start) right before a framing verb
    heads: set[tuple[int, int]]  # (sentence, mention start) first in a framing verb's clause
    unrecognised: list[str]  # capitalised subjects no mention covers
    citers: set[tuple[int, int]] = field(default_factory=set)  # subjects of "dẫn lời", "trích lời"
    apposed: set[tuple[int, int]] = field(default_factory=set)  # subjects inside an apposition
    pronoun: bool = False
    described: bool = False
    unnamed: bool = False
    framed: bool = False


def _frame(sentences: list[Sentence], span: Span) -> _Frame:
    frame = _Frame(set(), set(), [])
    for index, verb in framing_verbs(sentences, span):
        frame.framed = True
        text = sentences[index].text
        clause = _clause_start(text, verb)
        if index == span.last and verb.start() >= span.end:
            clause = max(clause, span.end)
        mentions = [m for m in _outside(sentences[index]) if clause <= m.start and m.end <= verb.start()]
        adjacent = [m for m in mentions if _SUBJECT_GAP.fullmatch(" " + text[m.end : verb.start()])]
        if verb.group().lower() in entities.tables()["citing_verbs"]:
            frame.citers.update((index, m.start) for m in adjacent[-1:])
            continue
        # the subject's own words: after the last comma ("Khi …, thì một số giáo viên … nói")
        phrase = max(clause, text.rfind(",", clause, verb.start()) + 1)
        subject = _without_openers(_words(text[phrase : verb.start()]))
        if starts_with(subject, "unnamed_subjects"):
            frame.unnamed = True  # "một giáo viên của trường Tân Lập 1 cho biết": not the school
            continue
        if adjacent:
            frame.subjects.add((index, adjacent[-1].start))
            if adjacent[-1] is not mentions[0] and "," in text[mentions[0].end : adjacent[-1].start]:
                frame.apposed.add((index, adjacent[-1].start))
        # "nghị sĩ Syria Issam Khalil cho biết": the person, not the country in the title
        head = next((m for m in mentions if m.type == "PER"), mentions[0] if mentions else None)
        if head and len(_words(text[clause : head.start])) <= 4:
            frame.heads.add((index, head.start))
        if any(m.type == "PER" for m in mentions):
            continue
        name = None if adjacent else _capitalised_subject(text, clause, verb.start())
        if name:
            frame.unrecognised.append(name)
        frame.pronoun |= starts_with(subject, "pronoun_subjects")
        # a description of somebody named before: "Cựu thủ quân của MU chia sẻ"
        frame.described |= bool(subject) and not name and not frame.unnamed and not adjacent
    return frame


def _without_openers(words: list[str]) -> list[str]:
    """A clause's words without the connectives that may open it ("thì một số giáo viên")."""
    for entry in sorted(_entries("clause_openers"), key=len, reverse=True):
        if tuple(words[: len(entry)]) == entry:
            return words[len(entry) :]
    return words


# --- candidates ------------------------------------------------------------------------


def _distance(sentences: list[Sentence], span: Span, index: int, m: Mention) -> int:
    if span.first <= index <= span.last:
        return (
            span.start - m.end if m.end <= span.start and index == span.first else max(0, m.start - span.end)
        )
    if index < span.first:
        between = sum(len(s.text) for s in sentences[index + 1 : span.first])
        return len(sentences[index].text) - m.end + between + span.start
    between = sum(len(s.text) for s in sentences[span.last + 1 : index])
    return len(sentences[span.last].text) - span.end + between + m.start


def _position(sentences: list[Sentence], span: Span, index: int, m: Mention) -> dict[str, float]:
    text = sentences[index].text
    before = _words(re.split(r"[,.;:!?“”\"()–—]", text[: m.start])[-1])
    where = (
        "same_sentence" if span.first <= index <= span.last
        else "next_sentence" if index > span.last
        else "previous_sentence" if index == span.first - 1
        else "earlier_sentence"
    )  # fmt: skip
    return {
        where: 1.0,
        "person" if m.type == "PER" else "body": 1.0,
        "closeness": max(0.0, 1 - math.log1p(_distance(sentences, span, index, m)) / math.log1p(FAR)),
        "addressee": float(marked_by(before, "addressee_markers", 4)),
        "cited": float(marked_by(before, "cited_markers", 2)),
        "in_brackets": float(text[: m.start].count("(") > text[: m.start].count(")")),
    }


# What a name's mentions add up to: any one of them standing in one of these roles.
_ROLES = (
    *("verb_subject", "clause_head", "apposed", "citer", "cited", "unrecognised", "nearest"),
    *("previous_speaker", "rule", "pronoun_last_person", "pronoun_previous_speaker", "described_last_person"),
)


def _merge(into: dict[str | None, dict[str, float]], name: str | None, features: Mapping[str, float]) -> None:
    """A name mentioned several times stands where its closest mention stands, in every role
    any of its mentions has."""
    own = into.setdefault(name, {})
    roles = {k: max(own.get(k, 0.0), features.get(k, 0.0)) for k in _ROLES}
    if "closeness" not in features:
        own.update({k: max(own.get(k, 0.0), v) for k, v in features.items()})
    elif features["closeness"] > own.get("closeness", -1.0):
        own.clear()
        own.update(features)
    own.update({k: v for k, v in roles.items() if v})


def candidates(
    sentences: list[Sentence], span: Span, rule: str | None = None, previous: Candidate | None = None
) -> list[Candidate]:
    """Everyone who may have said the quotation at `span`, nobody first. `rule`: the speaker
    the sentence rules give; `previous`: who said the quotation just before (as a candidate
    there), if it ended at most two sentences earlier."""
    frame = _frame(sentences, span)
    found: dict[str | None, dict[str, float]] = {}
    last_person: str | None = None
    named = []
    for index in range(
        max(0, span.first - SENTENCES_BEFORE), min(len(sentences), span.last + 1 + SENTENCES_AFTER)
    ):
        for m in _outside(sentences[index]):  # the quotation's own words are inside marks
            name = m.canonical or m.text
            features = _position(sentences, span, index, m)
            features["verb_subject"] = float((index, m.start) in frame.subjects)
            features["clause_head"] = float((index, m.start) in frame.heads)
            features["apposed"] = float((index, m.start) in frame.apposed)
            features["citer"] = float((index, m.start) in frame.citers)
            named.append((features["closeness"], name))
            if m.type == "PER" and (index < span.first or (index == span.first and m.end <= span.start)):
                last_person = name
            _merge(found, name, features)
    for name in frame.unrecognised:
        here = {
            "unrecognised": 1.0,
            "person": 1.0,
            "verb_subject": 1.0,
            "same_sentence": 1.0,
            "closeness": 1.0,
        }
        _merge(found, name, here)
    if named:
        _merge(found, max(named)[1], {"nearest": 1.0})
    before = previous.name if previous else None
    if previous and before not in found:  # named further back: what it is, not where it stands
        _merge(found, before, {k: previous.features.get(k, 0.0) for k in ("person", "body")})
    pointers = [(before, "previous_speaker"), (rule, "rule")]
    if frame.pronoun:
        pointers += [(last_person, "pronoun_last_person"), (before, "pronoun_previous_speaker")]
    if frame.described:
        pointers.append((last_person, "described_last_person"))
    for pointed, key in pointers:
        if pointed is not None:
            _merge(found, pointed, {key: 1.0})
    alone = not any(v.get("same_sentence") for v in found.values())
    nobody = {
        "nobody": 1.0,
        "nobody_unnamed": float(frame.unnamed),
        "nobody_no_frame": float(not frame.framed),
        "nobody_alone": float(alone),
    }
    found.pop(None, None)
    return [Candidate(None, nobody), *(Candidate(name, f) for name, f in found.items())]


def spoken_by_subject(candidates_: list[Candidate]) -> Candidate | None:
    """The candidate a speech verb names as subject or the writer cites: who said this
    quotation, for the next one ("“…”, Biden nói. “…”")."""

    def rank(c: Candidate) -> tuple[float, ...]:
        f = c.features
        subject = f.get("verb_subject", 0.0) * (1 - f.get("apposed", 0.0))
        return subject, f.get("clause_head", 0.0), f.get("cited", 0.0), f.get("person", 0.0)

    named = [c for c in candidates_ if c.name and max(rank(c)[:3]) > 0]
    return max(named, key=rank) if named else None


# --- choosing --------------------------------------------------------------------------


def choose(candidates_: list[Candidate], quote_model: QuoteModel) -> tuple[str | None, float]:
    """The best candidate (None: nobody named) and the confidence in it."""
    scores = sorted(((quote_model.score(c), i) for i, c in enumerate(candidates_)), reverse=True)
    best = candidates_[scores[0][1]]
    margin = scores[0][0] - scores[1][0] if len(scores) > 1 else 10.0
    return best.name, quote_model.confidence(margin)


def spans(sentences: list[Sentence], quotes: list[Quote]) -> Iterator[Span]:
    """Where each quotation of `entities.attribute_quotes` stands: one that its sentence leaves
    open closes in the sentence `entities.quote_stops` finds."""
    stops = entities.quote_stops(sentences)
    for q in quotes:
        k = q.sentence_index
        text = sentences[k].text
        last = k
        if q.end == len(text) and text[q.end - 1 : q.end] not in ("”", '"', "»") and k + 1 < len(sentences):
            last = min(stops[k + 1], len(sentences) - 1)
        end = entities.closes_quote(sentences[last].text) if last > k else q.end
        yield Span(k, last, q.start, end)


def candidate_sets(sentences: list[Sentence], quotes: list[Quote]) -> Iterator[tuple[Quote, list[Candidate]]]:
    """Each quotation with its candidates (none for scare quotes and names: nobody's words).
    Who said the quotation before is the subject or cited source of its speech verb, carried
    over quotations that have none ("“…”, Biden nói. “…”. “…”")."""
    previous: Candidate | None = None
    previous_end = -10
    for q, span in zip(quotes, spans(sentences, quotes), strict=True):
        if is_nobodys(sentences[span.first], q, span):
            yield q, []
            continue
        near = previous if span.first - previous_end <= 2 else None
        found = candidates(sentences, span, q.speaker, near)
        yield q, found
        previous, previous_end = spoken_by_subject(found) or near, span.last


def attribute(
    sentences: list[Sentence], quotes: list[Quote], quote_model: QuoteModel | None = None
) -> list[Quote]:
    """The quotes with their speaker chosen among candidates: `speaker` only when the
    confidence reaches the model's threshold, `candidate` and `confidence` always. Scare quotes
    and names are left out: they are the writer's terms, nobody's words (the sentences that
    hold them are still searched)."""
    quote_model = quote_model or model()
    result = []
    for q, found in candidate_sets(sentences, quotes):
        if not found:
            continue
        name, confidence = choose(found, quote_model)
        shown = name if name is not None and confidence >= quote_model.threshold else None
        result.append(replace(q, speaker=shown, candidate=name, confidence=round(confidence, 4)))
    return result


def is_nobodys(sentence: Sentence, q: Quote, span: Span) -> bool:
    """A scare quote or a name, as `entities.is_term` tells them: never attributed."""
    return span.first == span.last and entities.is_term(sentence.text, q.start, q.end, q.text)
