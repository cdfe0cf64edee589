"""Evaluation harnesses: score a stage against a gold file in a documented format.

Time expressions: docs/timex-annotation.md describes the JSONL format; scores are
strict-span precision/recall/F1, and value and type accuracy over strictly matched spans.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from nienbieu import timex


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
