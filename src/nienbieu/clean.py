"""Strip site chrome from a raw article and recover its metadata.

Everything here works line by line with general rules from ``data/boilerplate.toml``
and ``data/outlets.toml``: captions, credits, share widgets, "TIN MỚI" blocks,
repeated related-headline lists, reader call-outs, datelines, outlet signatures.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import cache
from typing import Any

from nienbieu import dating
from nienbieu.data import load
from nienbieu.models import Article, DateProvenance, Paragraph, Problem, RawDocument, Severity, quoted
from nienbieu.timex import tables as timex_tables


@dataclass(frozen=True, slots=True)
class LineRule:
    name: str
    regex: re.Pattern[str]
    max_words: int | None


@cache
def _boilerplate() -> tuple[frozenset[str], frozenset[str], tuple[LineRule, ...], tuple[LineRule, ...]]:
    data = load("boilerplate")

    def compile_rules(rows: list[dict[str, Any]]) -> tuple[LineRule, ...]:
        return tuple(
            LineRule(r["name"], re.compile(r["pattern"], re.IGNORECASE), r.get("max_words")) for r in rows
        )

    return (
        frozenset(data["widgets"]),
        frozenset(data["tail_markers"]),
        compile_rules(data["drop"]),
        compile_rules(data["strip"]),
    )


@cache
def _outlets() -> tuple[dict[str, str], dict[str, re.Pattern[str]]]:
    data = load("outlets")
    patterns = {k: re.compile(v, re.IGNORECASE) for k, v in data["patterns"].items()}
    return data["names"], patterns


def outlet_name(signature: str) -> str:
    names, _ = _outlets()
    key = signature.strip().lower().removeprefix("www.")
    return names.get(key, signature.strip())


# --- line predicates ---------------------------------------------------------

_BULLET = re.compile(r"^\s*(?:[-–•*+▪●]|\d{1,2}[.)])\s+")
_TERMINAL = ".:;,…"


def _words(line: str) -> list[str]:
    return line.split()


def _key(line: str) -> str:
    return " ".join(_BULLET.sub("", line).strip(" .:|").lower().split())


def is_heading_like(line: str, max_words: int = 25) -> bool:
    """Short line without sentence punctuation at its end: a title or section heading."""
    words = _words(line)
    return 2 <= len(words) <= max_words and line.rstrip()[-1] not in _TERMINAL and not _BULLET.match(line)


def has_doubled_run(line: str, min_len: int = 4) -> bool:
    """True when some run of >= min_len words is immediately repeated ("A A B B").

    Related-headline lists pasted from a page repeat each headline (link text and
    image alt text) side by side; prose never does.
    """
    words = _words(line)[:400]
    # A run doubled at distance d starts with the same min_len words at i and i + d, so only
    # positions sharing their first min_len words are compared (prose has few such pairs).
    starts: dict[tuple[str, ...], list[int]] = {}
    for i in range(len(words) - min_len + 1):
        starts.setdefault(tuple(words[i : i + min_len]), []).append(i)
    for positions in starts.values():
        for i, j in itertools.combinations(positions, 2):
            if j - i >= min_len and words[i:j] == words[j : 2 * j - i]:
                return True
    return False


_VIETNAMESE_MARKS = re.compile(r"[àáảãạăắằẳẵặâấầẩẫậèéẻẽẹêếềểễệìíỉĩịòóỏõọôốồổỗộơớờởỡợùúủũụưứừửữựỳýỷỹỵđ]", re.I)
_SLUG = re.compile(r"^[a-z0-9]+(?:[ \-][a-z0-9]+){3,}$")


def is_slug(line: str, document_is_vietnamese: bool) -> bool:
    """A URL slug or ASCII alt text ("hoi nghi ngoai truong nato ...") in a Vietnamese page."""
    return document_is_vietnamese and bool(_SLUG.match(line))


def drop_reason(line: str) -> str | None:
    """The name of the boilerplate rule a whole line matches, if any."""
    widgets, _, drop_rules, _ = _boilerplate()
    if _key(line) in widgets:
        return "widget"
    for rule in drop_rules:
        if rule.max_words is not None and len(_words(line)) > rule.max_words:
            continue
        if rule.regex.fullmatch(line):
            return rule.name
    if has_doubled_run(line) and line.rstrip()[-1:] not in '.!?"”':
        return "related-headlines"
    return None


_SLOT_NUMBER = re.compile(r"\s*[-–]\s*\d{1,3}\.?$")


def is_photo_slot(line: str, title: str | None) -> bool:
    """ "<title> - 1": the numbered placeholder a photo leaves when a page is copied."""
    if not title or not _SLOT_NUMBER.search(line):
        return False
    return _key(_SLOT_NUMBER.sub("", line)) == _key(title)


def strip_marks(line: str) -> str:
    _, _, _, strip_rules = _boilerplate()
    for rule in strip_rules:
        line = rule.regex.sub("", line)
    return line.strip()


# --- dateline ----------------------------------------------------------------

_DATE = re.compile(r"(?<!\d)(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})(?!\d)")
_ISO = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?")
_CLOCK = re.compile(r"(?<!\d)(\d{1,2})[:h](\d{2})(?::(\d{2}))?(?!\d)")
_TZ = re.compile(r"(?:GMT|UTC)\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?|(?<![\d:])([+-])(\d{2}):?(\d{2})(?!\d)")
_WEEKDAY = re.compile(r"\b(?:thứ\s+(hai|ba|tư|năm|sáu|bảy|[2-7])|(chủ nhật))\b", re.I)


@dataclass(frozen=True, slots=True)
class Dateline:
    published: datetime | None  # None when the printed date is impossible ("30/02/2021 10:00")
    evidence: str
    weekday_ok: bool | None  # None when no weekday is printed (or no date to check it against)


def _tz(line: str) -> timezone | None:
    m = _TZ.search(line)
    if not m:
        return None
    sign, hours, minutes = (m.group(1), m.group(2), m.group(3)) if m.group(1) else m.group(4, 5, 6)
    offset = timedelta(hours=int(hours), minutes=int(minutes or 0))
    return timezone(-offset if sign == "-" else offset)


def _moment(year: int, month: int, day: int, clock: re.Match[str] | None, zone: str) -> datetime | None:
    """The moment a date, clock and zone ("GMT+7" somewhere in `zone`) state, or None when they
    state none: 30 February, 25:00, GMT+99."""
    hms = (int(clock.group(1)), int(clock.group(2)), int(clock.group(3) or 0)) if clock else (0, 0, 0)
    try:
        return datetime(year, month, day, *hms, tzinfo=_tz(zone))
    except (ValueError, OverflowError):
        return None


def parse_dateline(line: str) -> Dateline | None:
    """Publication date and time from a header line, keeping its timezone. A line shaped like a
    dateline whose date is impossible is still one (`published` None): it is refused by name,
    not read as the article's first line."""
    if len(_words(line)) > 25:
        return None
    m = _DATE.search(line)
    iso = _ISO.search(line)
    if m:
        day, month, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
        clock = _CLOCK.search(line[m.end() :])
    elif iso:
        year, month, day = int(iso.group(1)), int(iso.group(2)), int(iso.group(3))
        clock = _CLOCK.search(line[iso.start() + 10 :])
    else:
        return None
    weekday = _WEEKDAY.search(line)
    if weekday is None and clock is None and not _TZ.search(line):
        return None  # a bare date in a short line is not necessarily a dateline
    published = _moment(year, month, day, clock, line)
    weekday_ok = None
    if weekday and published:
        name = (weekday.group(1) or "").lower()
        expected = 6 if weekday.group(2) else timex_tables()["words"]["weekday"][name]
        weekday_ok = expected == published.weekday()
    return Dateline(published, line.strip(), weekday_ok)


# --- the cleaner ---------------------------------------------------------------


@dataclass(slots=True)
class _State:
    outlet: str | None = None
    outlet_evidence: str | None = None
    dateline: Dateline | None = None
    title: str | None = None
    body: list[Paragraph] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    copyright_year: int | None = None


def _find_outlet(lines: list[str], state: _State) -> None:
    _, patterns = _outlets()
    for line in lines:
        for kind in ("copyright", "domain_line"):
            m = patterns[kind].match(line)
            if m and state.outlet is None:
                state.outlet, state.outlet_evidence = outlet_name(m.group("outlet")), line
                if kind == "copyright" and m.group("year"):
                    state.copyright_year = int(m.group("year"))


def _take_lead_signature(line: str, state: _State) -> str:
    """Remove "VTV.vn - " / "(VTC News) - " from the start of a lead, noting the outlet."""
    _, patterns = _outlets()
    for kind in ("lead_domain", "lead_paren"):
        m = patterns[kind].match(line)
        if m:
            if state.outlet is None or state.outlet_evidence is None or "©" in state.outlet_evidence:
                state.outlet, state.outlet_evidence = outlet_name(m.group("outlet")), line[: m.end()]
            return line[m.end() :].strip()
    return line


def _is_signature_line(line: str) -> bool:
    _, patterns = _outlets()
    return any(patterns[k].match(line) for k in ("copyright", "domain_line"))


def _kept_lines(lines: list[str]) -> list[tuple[str, str]]:
    """(kind, text) for every line that survives the boilerplate rules, in order."""
    _, tail_markers, _, _ = _boilerplate()
    text = " ".join(lines)
    vietnamese = len(_VIETNAMESE_MARKS.findall(text)) > 0.02 * max(1, len(text))
    kept: list[tuple[str, str]] = []
    for line in lines:
        line = strip_marks(line)
        if not line:
            continue
        if _key(line) in tail_markers:
            break
        if drop_reason(line) or is_slug(line, vietnamese) or _is_signature_line(line):
            continue
        kind = "list" if _BULLET.match(line) else "line"
        kept.append((kind, _BULLET.sub("", line) if kind == "list" else line))
    return kept


def _looks_like_byline(line: str) -> bool:
    words = _words(line)
    return (
        2 <= len(words) <= 5 and all(w[:1].isupper() for w in words) and not re.search(r"[.:;,!?\"“”]", line)
    )


def clean(raw: RawDocument) -> tuple[Article, list[Problem]]:
    """Turn a raw document into an Article with title, outlet, date and body paragraphs."""
    lines = [line.strip() for line in raw.text.split("\n")]
    state = _State(title=raw.title)
    _find_outlet(lines, state)
    kept = _kept_lines(lines)

    body_started = False
    author = None
    if kept and kept[-1][0] == "line" and _looks_like_byline(kept[-1][1]) and len(kept) > 3:
        author = kept.pop()[1]
    for kind, line in kept:
        if is_photo_slot(line, state.title):
            continue
        if not body_started:
            dateline = parse_dateline(line)
            if dateline:
                state.dateline = state.dateline or dateline
                continue
            line = _take_lead_signature(line, state)
            if not line:
                continue
            if state.title is None and kind == "line" and is_heading_like(line) and line[0].isupper():
                state.title = line
                continue
            if raw.title and _key(line) == _key(raw.title):
                continue
        if kind == "line" and is_heading_like(line, max_words=15) and not body_started:
            # a second short line before any prose is a kicker/sapo heading, keep it as heading
            state.body.append(Paragraph(line, "heading"))
            continue
        body_started = True
        paragraph_kind = "list" if kind == "list" else ("heading" if is_heading_like(line, 15) else "body")
        state.body.append(Paragraph(line, paragraph_kind))

    if not any(p.kind != "heading" for p in state.body):
        state.problems.append(
            Problem(raw.source, Severity.ERROR, "no-body", "no article text left after removing site chrome")
        )
    return _article(raw, state, author), state.problems


def content_id(paragraphs: list[Paragraph]) -> str:
    """Stable id from the normalised body: the same text ingested twice is one article."""
    text = " ".join(" ".join(p.text.lower().split()) for p in paragraphs)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class _Stated:
    """A publication date as the page states it, and what it was read as (None: not a date)."""

    what: str  # "publication date" (metadata) or "dateline"
    text: str
    moment: datetime | None
    evidence: str


def _published(raw: RawDocument, state: _State) -> tuple[datetime | None, str | None]:
    """The page's own publication date: its metadata, else its dateline. One that is not a date,
    or not a plausible one (`dating.publication_range`), is refused with a warning, and the
    next one is tried; with none left the date is inferred from the text, as for a page that
    states none."""
    stated = []
    if raw.published:
        stated.append(
            _Stated(
                "publication date",
                raw.published,
                parse_metadata_date(raw.published),
                f"metadata: {raw.published}",
            )
        )
    if state.dateline:
        line = state.dateline
        stated.append(_Stated("dateline", line.evidence, line.published, line.evidence))
    accepted = next((s for s in stated if _usable(s.moment)), None)
    instead = "the dateline's date is used" if accepted else "the date will be inferred from the text"
    for refused in stated[: stated.index(accepted) if accepted else None]:
        state.problems.append(_refusal(raw.source, refused, instead))
    return (accepted.moment, accepted.evidence) if accepted else (None, None)


def _usable(moment: datetime | None) -> bool:
    return moment is not None and dating.is_plausible_publication(moment.date())


def _refusal(source: str, stated: _Stated, instead: str) -> Problem:
    if stated.moment is None:
        code, why = "bad-date", "is not a valid date"
    else:
        first, last = dating.publication_range()
        code, why = "implausible-date", f"is outside the dates a news article can have ({first} to {last})"
    message = f"{stated.what} {quoted(stated.text)} {why}; ignored; {instead}"
    return Problem(source, Severity.WARNING, code, message)


def parse_metadata_date(value: str) -> datetime | None:
    """ISO 8601 ("2021-02-19T06:00:00+07:00") or Vietnamese d/m/yyyy [hh:mm] metadata."""
    value = value.strip()
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        pass
    m = _DATE.search(value)
    if not m:
        return None
    return _moment(int(m.group(3)), int(m.group(2)), int(m.group(1)), _CLOCK.search(value[m.end() :]), value)


def _article(raw: RawDocument, state: _State, author: str | None) -> Article:
    published, evidence = _published(raw, state)
    # a refused dateline is named once, as refused
    if state.dateline and state.dateline.weekday_ok is False and _usable(state.dateline.published):
        state.problems.append(
            Problem(
                raw.source,
                Severity.WARNING,
                "weekday-mismatch",
                f"dateline weekday does not match its date: {state.dateline.evidence}",
            )
        )
    outlet = raw.outlet or state.outlet
    return Article(
        id=content_id(state.body),
        source=raw.source,
        body=state.body,
        title=state.title,
        outlet=outlet_name(outlet) if outlet else None,
        url=raw.url,
        author=author,
        published=published,
        published_provenance=DateProvenance.STATED if published else DateProvenance.UNKNOWN,
        published_evidence=evidence,
        year_hint=state.copyright_year,
        origin=raw.origin,
    )
