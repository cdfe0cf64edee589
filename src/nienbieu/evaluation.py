"""Evaluation harnesses: score a stage against a gold file in a documented format.

Time expressions: docs/timex-annotation.md describes the JSONL format; scores are
strict-span precision/recall/F1, and value and type accuracy over strictly matched spans.
"""

from __future__ import annotations

import bisect
import json
import re
import tomllib
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from nienbieu import timex
from nienbieu.attribution import QuoteModel
from nienbieu.models import Article, Quote, Sentence
from nienbieu.nlp import fold


@dataclass(frozen=True, slots=True)
class GoldTimex:
    start: int
    end: int
    text: str
    type: str
    value: str | None


@dataclass(slots=True)
class GoldSentence:
    id: str
    text: str
    dct: date | None
    timexes: list[GoldTimex]


@dataclass(slots=True)
class PRF:
    tp: int = 0
    predicted: int = 0
    gold: int = 0

    @property
    def precision(self) -> float:
        return self.tp / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.tp / self.gold if self.gold else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {
            "tp": self.tp,
            "predicted": self.predicted,
            "gold": self.gold,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
        }


@dataclass(slots=True)
class TimexScores:
    sentences: int = 0
    strict: PRF = field(default_factory=PRF)
    relaxed: PRF = field(default_factory=PRF)
    value_correct: int = 0
    type_correct: int = 0
    by_type: dict[str, PRF] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def value_accuracy(self) -> float:
        return self.value_correct / self.strict.tp if self.strict.tp else 0.0

    @property
    def type_accuracy(self) -> float:
        return self.type_correct / self.strict.tp if self.strict.tp else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "sentences": self.sentences,
            "strict": self.strict.as_dict(),
            "relaxed": self.relaxed.as_dict(),
            "value_accuracy": round(self.value_accuracy, 4),
            "type_accuracy": round(self.type_accuracy, 4),
            "by_type": {k: v.as_dict() for k, v in sorted(self.by_type.items())},
        }


class GoldFormatError(ValueError):
    pass


def _gold_lines(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for every non-blank line of a gold JSONL file."""
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as exc:
            raise GoldFormatError(f"{path}:{number}: {exc}") from exc


def _check_span(path: str | Path, number: int, text: str, start: int, end: int, surface: str) -> None:
    if text[start:end] != surface:
        raise GoldFormatError(f"{path}:{number}: offsets {start}-{end} do not give {surface!r}")


def read_timex_gold(path: str | Path) -> list[GoldSentence]:
    """Read and validate a gold JSONL file; offsets must match the text."""
    rows = []
    for number, row in _gold_lines(path):
        try:
            text = row["text"]
            gold = [
                GoldTimex(t["start"], t["end"], t["text"], t["type"], t.get("value")) for t in row["timexes"]
            ]
            dct = date.fromisoformat(row["dct"]) if row.get("dct") else None
        except (KeyError, TypeError, ValueError) as exc:
            raise GoldFormatError(f"{path}:{number}: {exc}") from exc
        for t in gold:
            _check_span(path, number, text, t.start, t.end, t.text)
        rows.append(GoldSentence(str(row.get("id", number)), text, dct, gold))
    return rows


def score_timex(sentences: Iterable[GoldSentence]) -> TimexScores:
    scores = TimexScores()
    for sentence in sentences:
        scores.sentences += 1
        predicted = timex.tag(sentence.text, sentence.dct)
        _score_sentence(scores, sentence, predicted)
    return scores


def _overlap(a: Any, b: Any) -> bool:
    return a.start < b.end and b.start < a.end


def _score_sentence(scores: TimexScores, sentence: GoldSentence, predicted: list) -> None:
    gold_by_span = {(g.start, g.end): g for g in sentence.timexes}
    scores.strict.gold += len(sentence.timexes)
    scores.strict.predicted += len(predicted)
    scores.relaxed.gold += len(sentence.timexes)
    scores.relaxed.predicted += len(predicted)
    for g in sentence.timexes:
        scores.by_type.setdefault(g.type, PRF()).gold += 1
    overlapped: set[int] = set()  # relaxed matching is one-to-one: a gold span counts once
    for p in predicted:
        scores.by_type.setdefault(p.type, PRF()).predicted += 1
        golds = enumerate(sentence.timexes)
        hit = next((i for i, g in golds if i not in overlapped and _overlap(p, g)), None)
        if hit is not None:
            overlapped.add(hit)
            scores.relaxed.tp += 1
        same = gold_by_span.get((p.start, p.end))
        if same is None:
            scores.errors.append(
                {
                    "id": sentence.id,
                    "kind": "spurious-or-span",
                    "text": p.text,
                    "predicted": p.value,
                    "sentence": sentence.text,
                }
            )
            continue
        scores.strict.tp += 1
        scores.type_correct += same.type == p.type
        if same.type == p.type:
            scores.by_type[same.type].tp += 1
        if same.value == p.value:
            scores.value_correct += 1
        else:
            scores.errors.append(
                {
                    "id": sentence.id,
                    "kind": "value",
                    "text": p.text,
                    "gold": same.value,
                    "predicted": p.value,
                    "dct": str(sentence.dct),
                    "sentence": sentence.text,
                }
            )
    found = {(p.start, p.end) for p in predicted}
    for g in sentence.timexes:
        if (g.start, g.end) not in found:
            scores.errors.append(
                {
                    "id": sentence.id,
                    "kind": "missed",
                    "text": g.text,
                    "gold": g.value,
                    "sentence": sentence.text,
                }
            )


def timex_report(scores: TimexScores) -> str:
    s = scores.strict
    lines = [
        f"sentences: {scores.sentences}   gold expressions: {s.gold}   predicted: {s.predicted}",
        f"strict span   P {s.precision:.3f}  R {s.recall:.3f}  F1 {s.f1:.3f}",
        f"relaxed span  P {scores.relaxed.precision:.3f}  R {scores.relaxed.recall:.3f}  "
        f"F1 {scores.relaxed.f1:.3f}",
        f"value accuracy (on strict matches): {scores.value_accuracy:.3f}   "
        f"type accuracy: {scores.type_accuracy:.3f}",
    ]
    for name, prf in sorted(scores.by_type.items()):
        lines.append(
            f"  {name:<9} P {prf.precision:.3f}  R {prf.recall:.3f}  F1 {prf.f1:.3f}  (gold {prf.gold})"
        )
    kinds = Counter(e["kind"] for e in scores.errors)
    lines.append("errors: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
    return "\n".join(lines)


# --- named entities ------------------------------------------------------------------
#
# Gold JSONL (docs/ner-annotation.md): {"id", "text", "entities": [{"start", "end", "text",
# "type"}]} with PER | ORG | LOC | MISC. Scores are entity-level: a prediction counts only
# with the exact span and type (CoNLL practice).

NER_TYPES = ("PER", "ORG", "LOC", "MISC")


@dataclass(slots=True)
class NerSentence:
    id: str
    text: str
    entities: list[tuple[int, int, str]]


@dataclass(slots=True)
class NerScores:
    sentences: int = 0
    by_type: dict[str, PRF] = field(default_factory=lambda: {t: PRF() for t in NER_TYPES})
    errors: list[dict[str, Any]] = field(default_factory=list)

    def combined(self, types: Iterable[str] = ("PER", "ORG", "LOC")) -> PRF:
        total = PRF()
        for t in types:
            total.tp += self.by_type[t].tp
            total.predicted += self.by_type[t].predicted
            total.gold += self.by_type[t].gold
        return total

    def as_dict(self) -> dict[str, Any]:
        return {
            "sentences": self.sentences,
            "per_org_loc": self.combined().as_dict(),
            "all": self.combined(NER_TYPES).as_dict(),
            "by_type": {t: p.as_dict() for t, p in self.by_type.items()},
        }


def read_ner_gold(path: str | Path) -> list[NerSentence]:
    rows = []
    for number, row in _gold_lines(path):
        try:
            text = row["text"]
            found = [(e["start"], e["end"], e["type"], e["text"]) for e in row["entities"]]
        except (KeyError, TypeError) as exc:
            raise GoldFormatError(f"{path}:{number}: {exc}") from exc
        for start, end, kind, surface in found:
            _check_span(path, number, text, start, end, surface)
            if kind not in NER_TYPES:
                raise GoldFormatError(f"{path}:{number}: unknown type {kind!r}")
        rows.append(NerSentence(str(row.get("id", number)), text, [(s, e, k) for s, e, k, _ in found]))
    return rows


def score_ner(sentences: Iterable[NerSentence], recognise: Any = None) -> NerScores:
    from nienbieu import entities

    recognise = recognise or entities.recognise
    scores = NerScores()
    for sentence in sentences:
        scores.sentences += 1
        predicted = {(m.start, m.end, m.type) for m in recognise(sentence.text)}
        gold = set(sentence.entities)
        for start, end, kind in gold:
            scores.by_type[kind].gold += 1
            if (start, end, kind) in predicted:
                scores.by_type[kind].tp += 1
            else:
                scores.errors.append({"id": sentence.id, "kind": "missed", "text": sentence.text[start:end],
                                      "type": kind, "sentence": sentence.text})  # fmt: skip
        for _, _, kind in predicted:
            scores.by_type[kind].predicted += 1
        for start, end, kind in predicted - gold:
            scores.errors.append({"id": sentence.id, "kind": "spurious", "text": sentence.text[start:end],
                                  "type": kind, "sentence": sentence.text})  # fmt: skip
    return scores


def ner_report(scores: NerScores) -> str:
    lines = [f"sentences: {scores.sentences}"]
    for label, prf in [("PER+ORG+LOC", scores.combined()), ("all types", scores.combined(NER_TYPES))]:
        lines.append(
            f"{label:12s} P {prf.precision:.3f}  R {prf.recall:.3f}  F1 {prf.f1:.3f}  (gold {prf.gold})"
        )
    for kind, prf in scores.by_type.items():
        lines.append(
            f"  {kind:5s}      P {prf.precision:.3f}  R {prf.recall:.3f}  F1 {prf.f1:.3f}  (gold {prf.gold})"
        )
    return "\n".join(lines)


# --- word segmentation ------------------------------------------------------------------
#
# Gold words from a Universal Dependencies treebank (CoNLL-U: column 2 is a word whose syllables
# are separated by spaces). The input of a segmenter is the gold syllables joined by single
# spaces; a predicted word counts when its character span equals a gold word's (the usual word
# F1, on characters so that a segmenter splitting "30-4-2004" or "v.v." into pieces is scored
# against the treebank's tokens, not silently re-tokenised).


@dataclass(frozen=True, slots=True)
class GoldWords:
    id: str
    words: tuple[str, ...]  # each word's syllables joined by single spaces

    @property
    def text(self) -> str:
        return " ".join(self.words)


def read_conllu_words(path: str | Path) -> list[GoldWords]:
    """The sentences of a CoNLL-U file as gold words. Multiword-token ranges ("3-4") and empty
    nodes ("3.1") are not words of the surface text and are skipped."""
    sentences: list[GoldWords] = []
    words: list[str] = []
    sent_id = ""
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith("# sent_id"):
            sent_id = line.partition("=")[2].strip()
        elif not line.strip():
            if words:
                sentences.append(GoldWords(sent_id or str(len(sentences) + 1), tuple(words)))
            words, sent_id = [], ""
        elif not line.startswith("#"):
            columns = line.split("\t")
            if len(columns) != 10:
                raise GoldFormatError(f"{path}:{number}: {len(columns)} columns, CoNLL-U has 10")
            if columns[0].isdigit():
                words.append(" ".join(columns[1].split()))
    if words:
        sentences.append(GoldWords(sent_id or str(len(sentences) + 1), tuple(words)))
    return sentences


def word_spans(words: Iterable[str]) -> set[tuple[int, int]]:
    """Character spans of `words` in their text joined by single spaces."""
    spans, start = set(), 0
    for word in words:
        spans.add((start, start + len(word)))
        start += len(word) + 1
    return spans


def score_words(gold: GoldWords, predicted: Iterable[tuple[int, int]]) -> PRF:
    """Word P/R/F1 counts of one sentence: `predicted` are the character spans of the words a
    segmenter found in `gold.text`."""
    truth, found = word_spans(gold.words), set(predicted)
    return PRF(tp=len(truth & found), predicted=len(found), gold=len(truth))


# --- summaries and timelines (ROUGE in nienbieu.rouge) -----------------------------


def read_timeline(path: str | Path) -> dict[str, list[str]]:
    """A timeline as date -> sentences, from `nienbieu timeline -f json` output
    (`{"timeline": [{"date", "sentences"}]}`), a list of such entries, or a plain mapping
    `{"2023-07-11": ["…"]}`; a string instead of a list of sentences is one sentence."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise GoldFormatError(f"{path}: {exc}") from exc
    if isinstance(data, dict) and isinstance(data.get("timeline"), list):
        data = data["timeline"]
    pairs = []
    if isinstance(data, list):
        for number, entry in enumerate(data, 1):
            if not isinstance(entry, dict) or "date" not in entry:
                raise GoldFormatError(f"{path}: entry {number} has no date")
            pairs.append((entry["date"], entry.get("sentences", entry.get("summary", []))))
    elif isinstance(data, dict):
        pairs = list(data.items())
    else:
        raise GoldFormatError(f"{path}: expected a timeline object or list")
    timeline: dict[str, list[str]] = {}
    for day, sentences in pairs:
        if not isinstance(sentences, str | list):
            raise GoldFormatError(f"{path}: the sentences of {day} are neither a list nor a string")
        timeline.setdefault(str(day), []).extend([sentences] if isinstance(sentences, str) else sentences)
    return timeline


def read_summary(path: str | Path) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise GoldFormatError(f"{path}: {exc}") from exc


def scores_report(scores: dict[str, Any]) -> str:
    return "\n".join(
        f"{name:12s} P {s.precision:.4f}  R {s.recall:.4f}  F1 {s.f1:.4f}" for name, s in scores.items()
    )


# --- quotations and their speakers ---------------------------------------------------
#
# Gold JSONL (docs/quotes-annotation.md): one row per quotation-mark span of an MDS article's
# body file, offsets of the text inside the marks. The product is run on the whole article
# (cleaning, analysis, names linked across its cluster) and each quote it reports is located
# back in the body file, since cleaning may drop or respell text; everything is then scored on
# body offsets, so the gold never has to know how the product splits sentences.

QUOTE_KINDS = ("direct", "partial", "scare", "name")
ATTRIBUTABLE = ("direct", "partial")  # somebody's words; scare quotes and names are nobody's
QUOTE_PATTERNS = (
    "before-colon",
    "after-verb",
    "inside",
    "continuation",
    "pronoun",
    "addressee",
    "unnamed",
    "in-clause",
    "other",
)
# Gold speakers that name nobody: the product has no unnamed-source marker, so for these the
# right answer is a quote with no speaker ("(không rõ)" in `nienbieu quotes`).
NO_NAME = ("UNNAMED", "UNKNOWN")
# The product's own threshold (`entities._QUOTED`): 8 characters inside the marks.
MIN_QUOTE_CHARS = 8
# Folded to one mark when text is located: cleaning may straighten or curl quotation marks.
_QUOTE_MARKS = '“”"«»„‟'


@dataclass(frozen=True, slots=True)
class GoldQuote:
    article: str  # cluster_<id>/<doc_id>
    start: int
    end: int
    text: str
    kind: str
    speaker: str
    speaker_text: str
    pattern: str


@dataclass(frozen=True, slots=True)
class FoundQuote:
    """A quote a system reports, in body offsets (marks excluded)."""

    start: int
    end: int
    text: str
    speaker: str | None
    candidate: str | None = None  # the system's best guess, shown or not


@dataclass(slots=True)
class QuoteArticle:
    id: str  # cluster_<id>/<doc_id>
    body: str
    gold: list[GoldQuote]
    found: list[FoundQuote] = field(default_factory=list)
    unmapped: int = 0  # quotes the system reported that could not be located in the body


def read_quote_gold(path: str | Path) -> list[GoldQuote]:
    rows = []
    for number, row in _gold_lines(path):
        try:
            gold = GoldQuote(
                str(row["article"]),
                int(row["start"]),
                int(row["end"]),
                str(row["text"]),
                str(row["kind"]),
                str(row["speaker"]),
                str(row.get("speaker_text", "")),
                str(row.get("pattern", "-")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise GoldFormatError(f"{path}:{number}: {exc}") from exc
        if gold.kind not in QUOTE_KINDS:
            raise GoldFormatError(f"{path}:{number}: unknown kind {gold.kind!r}")
        if gold.kind in ATTRIBUTABLE and gold.pattern not in QUOTE_PATTERNS:
            raise GoldFormatError(f"{path}:{number}: unknown pattern {gold.pattern!r}")
        if not 0 <= gold.start < gold.end:
            raise GoldFormatError(f"{path}:{number}: bad offsets {gold.start}-{gold.end}")
        rows.append(gold)
    return rows


def read_split(path: str | Path, part: str) -> list[str]:
    """The clusters of one part ("all": of every part) of a split file such as
    eval/quotes/split.toml (`dev = [...]`, `test = [...]`)."""
    try:
        parts = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise GoldFormatError(f"{path}: {exc}") from exc
    if part != "all" and part not in parts:
        raise GoldFormatError(f"{path}: no part {part!r}; it has {', '.join(parts)}")
    return [str(n) for name, listed in parts.items() if part in ("all", name) for n in listed]


def quote_articles(
    gold: Iterable[GoldQuote], clusters: Path, names: Iterable[str] | None = None
) -> list[QuoteArticle]:
    """Every article (`*.body.txt`) of the clusters `names` (default: those the gold names)
    under `clusters`, with its gold quotations; gold offsets are checked against the bodies.
    An article without gold rows has no quotation to find: whatever a system reports there
    is spurious."""
    by_article: dict[str, list[GoldQuote]] = {}
    for g in gold:
        by_article.setdefault(g.article, []).append(g)
    wanted = sorted(set(names) if names is not None else {a.split("/")[0] for a in by_article})
    articles = []
    for cluster in wanted:
        folder = clusters / cluster
        if not folder.is_dir():
            raise GoldFormatError(f"{folder}: no such cluster folder")
        for body_file in sorted(folder.glob("*.body.txt")):
            key = f"{cluster}/{body_file.name.removesuffix('.body.txt')}"
            body = body_file.read_text(encoding="utf-8")
            rows = sorted(by_article.pop(key, []), key=lambda g: g.start)
            for g in rows:
                if body[g.start : g.end] != g.text:
                    raise GoldFormatError(f"{key}: offsets {g.start}-{g.end} do not give {g.text!r}")
            articles.append(QuoteArticle(key, body, rows))
    stray = [a for a in by_article if a.split("/")[0] in wanted]
    if stray:
        raise GoldFormatError(f"gold rows for articles not found under {clusters}: {', '.join(stray[:5])}")
    return articles


def mds_fields(body_file: Path) -> dict[str, str]:
    """The `KEY: value` fields (TITLE, TIME, SUMMARY, …) of the `.info.txt` beside an MDS
    `.body.txt`."""
    info = body_file.with_name(body_file.name.replace(".body.txt", ".info.txt"))
    fields = (line.partition(":") for line in info.read_text(encoding="utf-8").splitlines())
    return {key.strip(): value.strip() for key, _, value in fields}


def mds_detokenise(text: str) -> str:
    """The `.info.txt` fields are word-segmented ("máy_bay ,"): back to plain text."""
    text = re.sub(r"\s+([,.;:!?%)\]])", r"\1", text.replace("_", " "))
    return re.sub(r"\s+", " ", re.sub(r"([(\[])\s+", r"\1", text)).strip()


def mds_published(fields: dict[str, str]) -> datetime | None:
    return datetime.strptime(fields["TIME"], "%d/%m/%Y %H:%M") if fields.get("TIME") else None


def _fold(text: str) -> tuple[str, list[int]]:
    """`text` without spaces, diacritics, case or kind of quotation mark, and for each character
    kept its offset in `text`: a sentence the cleaning re-spaced or re-accented ("hoà" as
    "hòa") is still found in the body file it came from."""
    chars: list[str] = []
    offsets: list[int] = []
    for index, ch in enumerate(text):
        if ch.isspace():
            continue
        if ch in _QUOTE_MARKS:
            ch = '"'
        base = unicodedata.normalize("NFD", ch)
        for c in "".join(c for c in base if not unicodedata.combining(c)).casefold().replace("đ", "d"):
            chars.append(c)
            offsets.append(index)
    return "".join(chars), offsets


class _Body:
    """A body file, searchable for texts the product derived from it."""

    def __init__(self, body: str) -> None:
        self.key, self.offsets = _fold(body)

    def _nearest(self, needle: str, near: int, start: int = 0) -> int:
        best, at = -1, self.key.find(needle, start)
        while at >= 0:
            if best < 0 or abs(at - near) < abs(best - near):
                best = at
            at = self.key.find(needle, at + 1)
        return best

    def span(self, first: int, length: int) -> tuple[int, int]:
        """Body offsets of `length` folded characters from folded index `first`."""
        return self.offsets[first], self.offsets[first + length - 1] + 1

    def locate(self, text: str, near: int) -> int | None:
        """Folded index of `text` (itself folded) nearest to folded index `near`; when the whole
        is not there (cleaning changed something inside), its first and last 20 characters
        close together."""
        if not text:
            return None
        at = self._nearest(text, near)
        if at >= 0:
            return at
        head, tail = text[:20], text[-20:]
        first = self._nearest(head, near)
        if first < 0:
            return None
        last = self.key.find(tail, first)
        if last < 0 or last + len(tail) - first > 2 * len(text) + 20:
            return None
        return first

    def locate_span(self, text: str, near: int) -> tuple[int, int] | None:
        folded = _fold(text)[0]
        at = self.locate(folded, near)
        if at is None:
            return None
        whole = self.key.startswith(folded, at)
        length = len(folded) if whole else self.key.find(folded[-20:], at) + len(folded[-20:]) - at
        return self.span(at, length)


@dataclass(slots=True)
class _Placed:
    """A sentence of the analysed article placed in the body: the folded index where it starts
    there (-1 if not found) and the offsets of its folded characters in the sentence."""

    at: int
    offsets: list[int]
    length: int

    def index(self, offset: int) -> int:
        """Folded body index of sentence offset `offset` (the next folded character)."""
        return self.at + min(bisect.bisect_left(self.offsets, offset), max(self.length - 1, 0))


def _place(body: _Body, sentences: list[Sentence]) -> list[_Placed]:
    placed, cursor = [], 0
    for sentence in sentences:
        key, offsets = _fold(sentence.text)
        at = body.key.find(key, cursor) if key else -1
        if at < 0 and key:
            at = body._nearest(key, cursor)
        if at >= 0:
            cursor = at + len(key)
        placed.append(_Placed(at, offsets, len(key)))
    return placed


def locate_quotes(
    body: _Body, sentences: list[Sentence], placed: list[_Placed], quotes: Sequence[Quote]
) -> list[FoundQuote | None]:
    """Each quote (of `sentences`, in order) in body offsets, None where it cannot be found."""
    found: list[FoundQuote | None] = []
    cursors, cursor = [], 0  # where the last sentence placed so far starts
    for where in placed:
        cursor = where.at if where.at >= 0 else cursor
        cursors.append(cursor)
    for q in quotes:
        where = placed[q.sentence_index]
        near = where.index(q.start) if where.at >= 0 else cursors[q.sentence_index]
        span = body.locate_span(q.text, near)
        found.append(None if span is None else FoundQuote(span[0], span[1], q.text, q.speaker, q.candidate))
    return found


def _system_quotes(
    body: _Body, sentences: list[Sentence], placed: list[_Placed]
) -> tuple[list[FoundQuote], int]:
    located = locate_quotes(body, sentences, placed, [q for s in sentences for q in s.quotes])
    found = [f for f in located if f is not None]
    return found, len(located) - len(found)


def quotation_spans(body: str) -> list[tuple[int, int]]:
    """Every span between double quotation marks (“…”, «…», "…", and mixed pairs such as "…”)
    with at least MIN_QUOTE_CHARS characters inside, marks excluded: the baseline's candidates.
    Single marks are left out: ’ is also an apostrophe (O’Neill)."""
    spans, opened = [], None
    for index, ch in enumerate(body):
        if ch in "“«" or (ch == '"' and opened is None):
            opened = index
        elif ch in '”»"' and opened is not None:
            if len(body[opened + 1 : index].strip()) >= MIN_QUOTE_CHARS:
                spans.append((opened + 1, index))
            opened = None
    return spans


def _baseline_quotes(
    body: _Body, text: str, sentences: list[Sentence], placed: list[_Placed]
) -> list[FoundQuote]:
    """Nearest preceding person: every quotation span is a quote, said by the last person
    (product NER) named before it in its own or the previous sentence."""
    starts, people = [], []  # body offset where each placed sentence starts; (sentence, start, end, name)
    for number, (sentence, where) in enumerate(zip(sentences, placed, strict=True)):
        if where.at < 0 or not where.length:
            continue
        starts.append((body.offsets[where.at], number))
        for m in sentence.mentions:
            if m.type == "PER":
                first, last = where.index(m.start), where.index(max(m.end - 1, m.start))
                people.append((number, body.offsets[first], body.offsets[last] + 1, m.canonical or m.text))
    found = []
    for start, end in quotation_spans(text):
        before = [n for s, n in starts if s <= start]
        speaker = None
        if before:
            own = before[-1]
            near = [p for p in people if p[0] in (own - 1, own) and p[2] <= start]
            if near:
                speaker = max(near, key=lambda p: p[2])[3]
        found.append(FoundQuote(start, end, text[start:end], speaker))
    return found


def analysed_clusters(
    articles: list[QuoteArticle], clusters: Path, segmenter: str | None = None
) -> list[tuple[QuoteArticle, Article]]:
    """Each gold article with the product's analysis of it — `clean.clean` with the TITLE and
    TIME of its `.info.txt`, `pipeline.analyze` — its names linked across its cluster as
    `nienbieu quotes` does over its scope."""
    from nienbieu import clean, entities, pipeline
    from nienbieu.models import RawDocument

    by_cluster: dict[str, list[QuoteArticle]] = {}
    for a in articles:
        by_cluster.setdefault(a.id.split("/")[0], []).append(a)
    pairs: list[tuple[QuoteArticle, Article]] = []
    for members in by_cluster.values():
        analysed = []
        for a in members:
            body_file = clusters / f"{a.id}.body.txt"
            fields = mds_fields(body_file)
            title, when = mds_detokenise(fields.get("TITLE", "")) or None, mds_published(fields)
            published = when.isoformat() if when else None
            raw = RawDocument(source=str(body_file), text=a.body, title=title, published=published)
            analysed.append(pipeline.analyze(clean.clean(raw)[0], segmenter))
        entities.link(analysed)
        pairs.extend(zip(members, analysed, strict=True))
    return pairs


def analyse_quotes(
    articles: list[QuoteArticle],
    clusters: Path,
    segmenter: str | None = None,
    models: Mapping[str, QuoteModel] | None = None,
) -> dict[str, list[QuoteArticle]]:
    """Run the product on every article (`analysed_clusters`) and return the articles with the
    quotes of each system, in body offsets: "ours" (the product: speakers shown from the
    confidence threshold on), "ours, best guess" (its candidate speakers, whatever their
    confidence) and "baseline" (nearest preceding person). `models`: per cluster, an
    attribution model to use instead of the shipped one (cross-validation: one fitted without
    the cluster)."""
    from nienbieu import attribution, entities

    ours, baseline = [], []
    for a, article in analysed_clusters(articles, clusters, segmenter):
        if models is not None:
            found = entities.attribute_quotes(article.sentences)
            for sentence in article.sentences:
                sentence.quotes = []
            for q in attribution.attribute(article.sentences, found, models[a.id.split("/")[0]]):
                article.sentences[q.sentence_index].quotes.append(q)
        entities.canonical_speakers([article])
        body = _Body(a.body)
        placed = _place(body, article.sentences)
        found_quotes, unmapped = _system_quotes(body, article.sentences, placed)
        ours.append(QuoteArticle(a.id, a.body, a.gold, found_quotes, unmapped))
        baseline.append(
            QuoteArticle(a.id, a.body, a.gold, _baseline_quotes(body, a.body, article.sentences, placed))
        )
    return {"ours": ours, "ours, best guess": best_guess(ours), "baseline": baseline}


def quote_states(article: QuoteArticle, sentences: list[Sentence]) -> Counter[str]:
    """`Sentence.in_quote` of the analysed sentences against the gold: "tp" (marked, and starts
    inside a gold quotation of any kind), "fp" (marked, starts outside), "fn", "tn"; a sentence
    that cannot be placed in the body counts as starting outside."""
    body = _Body(article.body)
    counts: Counter[str] = Counter()
    for sentence, where in zip(sentences, _place(body, sentences), strict=True):
        start = body.offsets[where.at] if where.at >= 0 and where.length else -1
        inside = any(g.start <= start < g.end for g in article.gold)
        counts[("t" if inside == sentence.in_quote else "f") + ("p" if sentence.in_quote else "n")] += 1
    return counts


def best_guess(articles: list[QuoteArticle]) -> list[QuoteArticle]:
    """The same quotes with their candidate speaker shown whatever its confidence."""
    return [
        QuoteArticle(a.id, a.body, a.gold, [replace(f, speaker=f.candidate) for f in a.found], a.unmapped)
        for a in articles
    ]


@dataclass(slots=True)
class PatternCounts:
    gold: int = 0
    detected: int = 0  # matched by a system quote
    correct: int = 0  # matched, with the gold speaker

    def as_dict(self) -> dict[str, float | int]:
        return {
            "gold": self.gold,
            "detected": self.detected,
            "correct": self.correct,
            "detection_recall": round(self.detected / self.gold, 4) if self.gold else 0.0,
            "speaker_accuracy": round(self.correct / self.detected, 4) if self.detected else 0.0,
            "attribution_recall": round(self.correct / self.gold, 4) if self.gold else 0.0,
        }


@dataclass(slots=True)
class QuoteScores:
    """Detection: a system quote is right when it matches a direct or partial gold quotation.
    Attribution (end to end): right when it matches one and names its speaker. Both are over
    every quote the system reports, with or without a speaker."""

    articles: int = 0
    detection: PRF = field(default_factory=PRF)
    attribution: PRF = field(default_factory=PRF)
    by_pattern: dict[str, PatternCounts] = field(
        default_factory=lambda: {p: PatternCounts() for p in QUOTE_PATTERNS}
    )
    gold_kinds: Counter[str] = field(default_factory=Counter)
    reported: Counter[str] = field(default_factory=Counter)  # gold spans of a kind reported as quotes
    attributed: Counter[str] = field(default_factory=Counter)  # … and given a speaker
    unmapped: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def speaker_accuracy(self) -> float:
        return self.attribution.tp / self.detection.tp if self.detection.tp else 0.0

    def add(self, other: QuoteScores) -> None:
        self.articles += other.articles
        for mine, theirs in ((self.detection, other.detection), (self.attribution, other.attribution)):
            mine.tp += theirs.tp
            mine.predicted += theirs.predicted
            mine.gold += theirs.gold
        for name, counts in other.by_pattern.items():
            own = self.by_pattern.setdefault(name, PatternCounts())
            own.gold += counts.gold
            own.detected += counts.detected
            own.correct += counts.correct
        self.gold_kinds.update(other.gold_kinds)
        self.reported.update(other.reported)
        self.attributed.update(other.attributed)
        self.unmapped += other.unmapped
        self.errors.extend(other.errors)

    def as_dict(self) -> dict[str, Any]:
        return {
            "articles": self.articles,
            "detection": self.detection.as_dict(),
            "speaker_accuracy": round(self.speaker_accuracy, 4),
            "attribution": self.attribution.as_dict(),
            "by_pattern": {p: c.as_dict() for p, c in self.by_pattern.items()},
            "gold_kinds": dict(sorted(self.gold_kinds.items())),
            "scare_and_name_reported": {k: self.reported[k] for k in ("scare", "name")},
            "scare_and_name_attributed": {k: self.attributed[k] for k in ("scare", "name")},
            "unmapped": self.unmapped,
        }


def _name_words(name: str) -> set[str]:
    return set(re.findall(r"\w+", fold(name)))


def same_speaker(gold: str, system: str | None) -> bool:
    """The system names the gold speaker: for UNNAMED/UNKNOWN, by naming nobody; otherwise the
    words of one name (case and diacritics aside) are all among the other's, so "Biden" is
    "Joe Biden" and "ông Stoltenberg"'s "Stoltenberg" is "Jens Stoltenberg"."""
    if gold in NO_NAME:
        return system is None
    if not system:
        return False
    ours, theirs = _name_words(system), _name_words(gold)
    return bool(ours and theirs) and (ours <= theirs or theirs <= ours)


def match_quotes(found: list[FoundQuote], gold: list[GoldQuote]) -> dict[int, int]:
    """One-to-one matches (found index -> gold index) of spans that share at least half of the
    shorter one, the largest shared stretches first."""
    pairs = []
    for i, f in enumerate(found):
        for j, g in enumerate(gold):
            shared = min(f.end, g.end) - max(f.start, g.start)
            if shared > 0 and 2 * shared >= min(f.end - f.start, g.end - g.start):
                pairs.append((-shared, i, j))
    matched: dict[int, int] = {}
    taken: set[int] = set()
    for _, i, j in sorted(pairs):
        if i not in matched and j not in taken:
            matched[i] = j
            taken.add(j)
    return matched


def _context(body: str, start: int, end: int) -> str:
    """The quotation in ⟦ ⟧ with some text either side, a long one shortened: enough to see
    who the article says spoke."""
    inside = body[start:end] if end - start <= 90 else body[start : start + 80] + " … "
    return f"{body[max(0, start - 110) : start]}⟦{inside}⟧{body[end : end + 60]}".replace("\n", " ")


def score_quote_article(article: QuoteArticle) -> QuoteScores:
    scores = QuoteScores(articles=1, unmapped=article.unmapped)
    gold, found = article.gold, article.found
    matched = match_quotes(found, gold)
    for g in gold:
        scores.gold_kinds[g.kind] += 1
        if g.kind in ATTRIBUTABLE:
            scores.by_pattern.setdefault(g.pattern, PatternCounts()).gold += 1
    wanted = sum(g.kind in ATTRIBUTABLE for g in gold)
    scores.detection.gold = scores.attribution.gold = wanted
    scores.detection.predicted = scores.attribution.predicted = len(found)
    for i, f in enumerate(found):
        error = {"article": article.id, "text": f.text[:120], "system": f.speaker}
        if i not in matched:
            scores.errors.append(
                error | {"kind": "spurious", "context": _context(article.body, f.start, f.end)}
            )
            continue
        g = gold[matched[i]]
        error |= {"gold": g.speaker, "context": _context(article.body, g.start, g.end)}
        if g.kind not in ATTRIBUTABLE:
            scores.reported[g.kind] += 1
            scores.attributed[g.kind] += f.speaker is not None
            scores.errors.append(error | {"kind": f"{g.kind}-reported"})
            continue
        scores.detection.tp += 1
        counts = scores.by_pattern[g.pattern]
        counts.detected += 1
        if same_speaker(g.speaker, f.speaker):
            scores.attribution.tp += 1
            counts.correct += 1
        else:
            scores.errors.append(error | {"kind": "speaker", "pattern": g.pattern})
    hit = set(matched.values())
    for j, g in enumerate(gold):
        if j not in hit and g.kind in ATTRIBUTABLE:
            scores.errors.append(
                {"article": article.id, "kind": "missed", "pattern": g.pattern, "text": g.text[:120],
                 "gold": g.speaker, "context": _context(article.body, g.start, g.end)}
            )  # fmt: skip
    return scores


def score_quotes(articles: Iterable[QuoteArticle]) -> QuoteScores:
    total = QuoteScores()
    for article in articles:
        total.add(score_quote_article(article))
    return total


def quotes_report(results: dict[str, QuoteScores]) -> str:
    """Systems side by side: detection, speaker accuracy, attribution, per pattern."""
    names = list(results)
    first = results[names[0]]
    kinds = ", ".join(f"{k} {first.gold_kinds[k]}" for k in QUOTE_KINDS)
    lines = [f"articles: {first.articles}   gold spans: {kinds}", ""]
    head = f"{'':34s}" + "".join(f"{n:>22s}" for n in names)
    lines.append(head)

    def row(label: str, cell: Callable[[QuoteScores], str]) -> None:
        lines.append(f"{label:34s}" + "".join(f"{cell(results[n]):>22s}" for n in names))

    def prf(p: PRF) -> str:
        return f"{p.precision:.3f}/{p.recall:.3f}/{p.f1:.3f}"

    row("quotes reported", lambda s: str(s.detection.predicted))
    row("detection P/R/F1", lambda s: prf(s.detection))
    row(
        "speaker accuracy (on detected)",
        lambda s: f"{s.speaker_accuracy:.3f} ({s.attribution.tp}/{s.detection.tp})",
    )
    row("attribution P/R/F1", lambda s: prf(s.attribution))
    row("scare quotes reported/attributed", lambda s: f"{s.reported['scare']}/{s.attributed['scare']}")
    row("names reported/attributed", lambda s: f"{s.reported['name']}/{s.attributed['name']}")
    row("quotes not located in the body", lambda s: str(s.unmapped))
    lines += ["", "by pattern: gold, then per system detected / right speaker (attribution recall)"]
    for pattern in QUOTE_PATTERNS:
        counts = [results[n].by_pattern[pattern] for n in names]
        cells = "".join(
            f"{f'{c.detected} / {c.correct} ({c.correct / c.gold:.2f})' if c.gold else '-':>22s}"
            for c in counts
        )
        lines.append(f"  {pattern:<14s} {counts[0].gold:>4d}{'':14s}" + cells)
    return "\n".join(lines)
