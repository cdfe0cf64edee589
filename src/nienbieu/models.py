"""Small typed records passed between pipeline stages.

Every stage is a set of plain functions over these records, so a notebook can
run any stage by itself and the CLI stays a thin layer.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum


class DateProvenance(StrEnum):
    STATED = "stated"  # printed by the page itself (dateline, metadata)
    INFERRED = "inferred"  # estimated from the text, with a confidence
    UNKNOWN = "unknown"


class Severity(StrEnum):
    WARNING = "warning"  # the item was ingested, but something was off
    ERROR = "error"  # the item was skipped


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong with one input item; the batch goes on."""

    source: str
    severity: Severity
    code: str  # stable machine-readable name, e.g. "binary-file"
    message: str

    def __str__(self) -> str:
        return f"{self.severity}: {self.source}: {self.message} [{self.code}]"


# A file changed this recently (in ns) may change again within its timestamp's granularity (2 s
# on FAT, 1 s on some network file systems) without its stat showing it: its stat vouches for
# nothing, and the next ingest hashes it (git's "racily clean" files).
RACY_NS = 2_000_000_000


@dataclass(frozen=True, slots=True)
class FileStat:
    """What a whole text or HTML file was when it was read: enough to know, next time, that it is
    unchanged without reading it (same size, mtime and ctime) or after hashing it (same sha256)."""

    size: int
    mtime_ns: int | None  # None: read too soon after a change for the stat to vouch for the content
    ctime_ns: int | None
    sha256: str  # of the raw bytes

    @classmethod
    def of(cls, st: os.stat_result, sha256: str) -> FileStat:
        racy = max(st.st_mtime_ns, st.st_ctime_ns) > time.time_ns() - RACY_NS
        if racy:
            return cls(st.st_size, None, None, sha256)
        return cls(st.st_size, st.st_mtime_ns, st.st_ctime_ns, sha256)

    def vouches_for(self, st: os.stat_result) -> bool:
        """True when the file, as `st` shows it now, certainly holds the bytes hashed then."""
        return self.mtime_ns is not None and (st.st_size, st.st_mtime_ns, st.st_ctime_ns) == (
            self.size,
            self.mtime_ns,
            self.ctime_ns,
        )


@dataclass(frozen=True, slots=True)
class Origin:
    """Which input an article came from, as the store identifies it: a source replaces the
    article it gave before only when the same origin now gives another text (README, "Sources")."""

    file: str  # absolute path of the file (resolved by ingest.discover)
    # "" a whole text or HTML file; "id:…" or "url:…" a JSONL row naming itself; "sha256:…" (of its
    # line) a JSONL row that does not: its content is its only identity
    key: str = ""
    line: bytes | None = None  # a JSONL row: the sha256 digest of its raw line, recorded as read
    stat: FileStat | None = None  # a whole file: its stat and hash when read


@dataclass(frozen=True, slots=True)
class RecordedLines:
    """The lines of a JSONL file stored before, as the store answers for them."""

    # a line's digest -> the identity (`Origin.key`) of its row, and whether that identity gives
    # the line's article now (False: a later version replaced it); None: never stored
    find: Callable[[bytes], tuple[str, bool] | None]
    keyed: bool  # some rows name themselves (id or url): rows that can have versions


@dataclass(slots=True)
class RawDocument:
    """One article as read from disk, before cleaning."""

    source: str  # file path, with "#L<n>" for a JSONL line
    text: str  # decoded, NFC-normalised plain text with line breaks
    url: str | None = None
    title: str | None = None
    published: str | None = None  # as given by metadata (ISO or free text)
    outlet: str | None = None
    origin: Origin | None = None  # set by ingest's readers


@dataclass(frozen=True, slots=True)
class Paragraph:
    text: str
    kind: str = "body"  # "body" | "heading" | "list"


@dataclass(frozen=True, slots=True)
class TimeExpression:
    """A time expression found in a sentence, normalised TIMEX3-style."""

    start: int
    end: int
    text: str
    type: str  # DATE | TIME | DURATION | SET
    value: str | None  # "2021-02-18", "2021-02", "2021", "P4Y", "2023-07-11/2023-07-12"
    granularity: str  # day | month | quarter | year | decade | century | week | duration | set
    modifier: str | None = None  # START | MID | END | APPROX | BEFORE | AFTER
    anchor: str | None = None  # the date this value was resolved against, if any
    tense: str | None = None  # "future" | "past" when a tense cue governs it


@dataclass(frozen=True, slots=True)
class Mention:
    """A named-entity mention inside one sentence."""

    start: int
    end: int
    text: str
    type: str  # PER | ORG | LOC | MISC
    canonical: str | None = None


# What a quotation's speaker is shown as when nobody is named, or nobody surely enough (a
# confidence below `attribution.model().threshold`): a wrong speaker is worse than none.
UNKNOWN_SPEAKER = "không rõ người nói"


@dataclass(frozen=True, slots=True)
class Quote:
    """A direct quotation in a sentence and who said it: `speaker` is shown (None when nobody
    is named, or not surely: "không rõ người nói"); `candidate` is the best guess and
    `confidence` the calibrated probability that it is right (`nienbieu.attribution`; None for
    scare quotes and names, nobody's words)."""

    start: int
    end: int
    text: str
    speaker: str | None
    sentence_index: int = -1
    candidate: str | None = None
    confidence: float | None = None


@dataclass(slots=True)
class Sentence:
    index: int  # position in the article
    text: str
    paragraph: int
    in_quote: bool = False  # starts inside a quotation opened by an earlier sentence
    timexes: list[TimeExpression] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)
    article_id: str = ""
    quotes: list[Quote] = field(default_factory=list)
    # `nlp.fold(text)` for the search index, computed with the analysis (on a worker process) so the
    # single process that stores does not; None: not computed (read from a store)
    folded: str | None = field(default=None, compare=False, repr=False)


@dataclass(slots=True)
class Article:
    id: str  # content hash of the cleaned body: equal bodies are one article
    source: str
    body: list[Paragraph]
    title: str | None = None
    outlet: str | None = None
    url: str | None = None
    author: str | None = None
    published: datetime | None = None
    published_provenance: DateProvenance = DateProvenance.UNKNOWN
    published_evidence: str | None = None
    # for inferred dates: the 90% window and P(within 3 days of `published`)
    published_window: tuple[date, date] | None = None
    published_confidence: float | None = None
    year_hint: int | None = None  # e.g. the year of a "© 2025" footer
    sentences: list[Sentence] = field(default_factory=list)
    fingerprint: bytes | None = None  # MinHash signature (nienbieu.dedup), computed with the analysis
    origin: Origin | None = None  # the input it was read from; None: identified by `source` as given
    # `dating.term_set` of the sentences, for the store's term counts: computed with the analysis,
    # as `folded`; None: not computed
    terms: frozenset[str] | None = field(default=None, compare=False, repr=False)

    @property
    def display_title(self) -> str:
        if self.title:
            return self.title
        return first_words(self.sentences[0].text if self.sentences else "")


def quoted(value: object, limit: int = 60) -> str:
    """A value as JSON writes it ("9999-12-31" with its quotes, 12345 without), shortened for a
    message: the value of a hostile input may be a megabyte long."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def first_words(text: str, words: int = 14) -> str:
    """A sentence shortened to a heading: its first words, "…" when some are left out."""
    parts = text.split()
    return " ".join(parts[:words]) + (" …" if len(parts) > words else "")


@dataclass(frozen=True, slots=True)
class Citation:
    article_id: str
    sentence_index: int
    outlet: str | None
    title: str
    published: str | None
    url: str | None = None  # as the source gave it: exports link it only if it is http(s)


@dataclass(frozen=True, slots=True)
class EntryQuote:
    """A direct quotation said about a timeline date, with its source and its speaker (None:
    shown as UNKNOWN_SPEAKER; `candidate` and `confidence` as in `Quote`)."""

    speaker: str | None
    text: str
    citation: Citation
    candidate: str | None = None
    confidence: float | None = None


@dataclass(slots=True)
class TimelineEntry:
    date: str  # ISO value at its granularity: "2021-02-18", "2021-02", "2021"
    granularity: str
    sentences: list[str]
    citations: list[Citation]
    score: float = 0.0
    planned: bool = False  # described as future/planned by the sources
    entities: list[str] = field(default_factory=list)  # most talked-about people, organisations, places
    quotes: list[EntryQuote] = field(default_factory=list)

    @property
    def sources(self) -> list[str]:
        return sorted({c.article_id for c in self.citations})


@dataclass(slots=True)
class BriefSentence:
    text: str
    citation: Citation


@dataclass(slots=True)
class Briefing:
    sentences: list[BriefSentence]
    articles: list[Citation]
    word_budget: int


@dataclass(frozen=True, slots=True)
class RewriteNote:
    """Why an abstractive rewrite was not used; the extractive sentence (or briefing) stands instead."""

    sentence: int | None  # 1-based position in the briefing; None when the whole rewrite failed
    reason: str  # "unsupported" | "empty" | "llm-error"
    detail: str  # which numbers, names or syllables lack support, or what the endpoint did
    rewritten: str | None = None  # the rejected text, for inspection

    def __str__(self) -> str:
        where = f"sentence {self.sentence}" if self.sentence is not None else "briefing"
        return f"{where} kept as extracted ({self.reason}): {self.detail}"


@dataclass(frozen=True, slots=True)
class StoryRow:
    """A stored story as `nienbieu stories` lists it."""

    id: int
    label: str  # its most mentioned names and the title of its most central article
    size: int  # canonical articles
    copies: int  # near-duplicate copies of them
    first: str | None  # publication days of its earliest and latest article
    last: str | None
    outlets: list[str]  # most articles first
