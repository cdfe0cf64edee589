"""Read articles from disk: .txt, .html/.htm, .jsonl, recursively.

Reading never raises for one bad item: every problem becomes a `Problem`
naming the file (and line for JSONL), and the batch goes on.
"""

from __future__ import annotations

import io
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from html.parser import HTMLParser
from pathlib import Path
from typing import IO, AnyStr, BinaryIO

from nienbieu import legacy
from nienbieu.models import Problem, RawDocument, Severity, quoted
from nienbieu.nlp import normalize_text, strip_controls

SUFFIXES = {".txt": "text", ".text": "text", ".html": "html", ".htm": "html", ".jsonl": "jsonl"}
# One article at most: a larger text or HTML file, or JSONL line, is refused by name, not loaded.
MAX_BYTES = 50 * 1024 * 1024


@dataclass(slots=True)
class ReadResult:
    documents: list[RawDocument]
    problems: list[Problem]


def discover(paths: Iterable[str | Path]) -> tuple[list[Path], list[Problem]]:
    """Expand folders recursively into supported files, sorted for a stable order."""
    files: list[Path] = []
    problems: list[Problem] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
            if not found:
                problems.append(
                    Problem(
                        str(path),
                        Severity.WARNING,
                        "no-articles",
                        "folder holds no .txt, .html, .htm or .jsonl file",
                    )
                )
            files.extend(found)
        elif path.is_file():
            if path.suffix.lower() not in SUFFIXES:
                problems.append(
                    Problem(
                        str(path),
                        Severity.ERROR,
                        "unsupported-type",
                        f"unsupported file type {path.suffix or '(none)'}; "
                        "expected .txt, .html, .htm or .jsonl",
                    )
                )
            else:
                files.append(path)
        else:
            problems.append(Problem(str(path), Severity.ERROR, "not-found", "no such file or folder"))
    return files, problems


# --- decoding ------------------------------------------------------------------

# Characters of Vietnamese prose; JSON's brackets too, as a JSONL line is judged by itself.
_VIETNAMESE = re.compile(
    r"[a-zA-Z0-9\sàáảãạăắằẳẵặâấầẩẫậèéẻẽẹêếềểễệìíỉĩịòóỏõọôốồổỗộơớờởỡợùúủũụưứừửữựỳýỷỹỵđ"
    r"ÀÁẢÃẠĂẮẰẲẴẶÂẤẦẨẪẬÈÉẺẼẸÊẾỀỂỄỆÌÍỈĨỊÒÓỎÕỌÔỐỒỔỖỘƠỚỜỞỠỢÙÚỦŨỤƯỨỪỬỮỰỲÝỶỸỴĐ"
    r".,;:!?\"'()\[\]{}“”‘’%/\-–—…]"
)


def _plausible_vietnamese(text: str) -> float:
    sample = text[:20000]
    return len(_VIETNAMESE.findall(sample)) / max(1, len(sample))


_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_BINARY = "looks like a binary file (NUL or control bytes), not text"
_EMPTY = "file is empty (0 bytes)"


def looks_binary(data: bytes) -> bool:
    head = data[:8192]
    if head.startswith(_UTF16_BOMS):
        return False  # UTF-16 with a BOM holds NUL bytes legitimately
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    return controls > 0.05 * max(1, len(head))


def decode(data: bytes, source: str) -> tuple[str | None, list[Problem]]:
    """Bytes to NFC text: UTF-8 (with or without BOM), UTF-16 with BOM, TCVN3 or VNI (as bytes,
    or as UTF-8 mojibake of them), else Windows-1258. Never raises: text, or None and an ERROR."""
    if data.startswith(_UTF16_BOMS):
        try:
            return data.decode("utf-16"), []
        except UnicodeDecodeError:
            pass
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        return _decode_not_utf8(data, source, err)
    converted = _from_legacy(text, source, "valid UTF-8 but written in")
    return converted if converted else (text, [])


def _cp1252(data: bytes) -> str:
    """Legacy fonts put their letters on Windows-1252 byte values; a byte Windows-1252 leaves
    undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) never occurs in them, so it rules them out."""
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return ""


def _from_legacy(text: str, source: str, how: str) -> tuple[str, list[Problem]] | None:
    """`text` converted from TCVN3 or VNI with a warning, or None when it is neither."""
    scheme = legacy.detect(text)
    if scheme is None:
        return None
    message = (
        f"{how} the legacy {legacy.NAMES[scheme]} encoding (Vietnamese fonts of the 1990s); "
        "converted to Unicode (check the result)"
    )
    return legacy.to_unicode(text, scheme), [Problem(source, Severity.WARNING, f"legacy-{scheme}", message)]


def _decode_not_utf8(
    data: bytes, source: str, utf8_error: UnicodeDecodeError
) -> tuple[str | None, list[Problem]]:
    converted = _from_legacy(_cp1252(data), source, "not UTF-8;")
    if converted:
        return converted
    # Windows-1258 keeps tone marks as combining characters; NFC composes them.
    text = unicodedata.normalize("NFC", data.decode("cp1258", errors="replace"))
    if "\ufffd" not in text and _plausible_vietnamese(text) > 0.97:
        return text, [
            Problem(
                source,
                Severity.WARNING,
                "not-utf8",
                "not valid UTF-8; decoded as Windows-1258 (check the result)",
            )
        ]
    return None, [
        Problem(
            source,
            Severity.ERROR,
            "unknown-encoding",
            f"not valid UTF-8 (byte {utf8_error.start}: "
            f"{data[utf8_error.start : utf8_error.start + 1]!r}) and not recognisable as "
            "Windows-1258, TCVN3 or VNI Vietnamese; convert the file to UTF-8",
        )
    ]


# --- HTML ------------------------------------------------------------------------

_SKIP = {
    "script",
    "style",
    "noscript",
    "iframe",
    "svg",
    "nav",
    "footer",
    "header",
    "aside",
    "form",
    "button",
    "select",
    "template",
    "object",
    "embed",
    "canvas",
    "figure",
}
_BLOCK = {
    "p",
    "div",
    "br",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "tr",
    "section",
    "article",
    "blockquote",
    "pre",
    "ul",
    "ol",
    "table",
    "dd",
    "dt",
    "main",
    "time",
}
_VOID = {"br", "img", "meta", "link", "input", "hr", "source", "wbr", "area", "base", "col"}


class _PageText(HTMLParser):
    """Visible text with one line per block, plus the metadata a page declares."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_depth = 0
        self.meta: dict[str, str] = {}
        self.in_title = False
        self.in_h1 = False
        self.title = ""
        self.h1 = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "meta":
            key = (a.get("property") or a.get("name") or a.get("itemprop") or "").lower()
            if key and a.get("content"):
                self.meta.setdefault(key, a["content"])
        elif tag == "time" and a.get("datetime"):
            self.meta.setdefault("time", a["datetime"])
        elif tag == "link" and a.get("rel", "").lower() == "canonical" and a.get("href"):
            self.meta.setdefault("canonical", a["href"])
        if tag in _SKIP and tag not in _VOID:
            self.skip_depth += 1
        self.in_title = self.in_title or tag == "title"
        self.in_h1 = self.in_h1 or tag == "h1"
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP and self.skip_depth:
            self.skip_depth -= 1
        if tag == "title":
            self.in_title = False
        if tag == "h1":
            self.in_h1 = False
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title += data
            return
        if self.skip_depth:
            return
        if self.in_h1:
            self.h1 += data
        self.parts.append(data)


def html_to_document(html: str, source: str) -> RawDocument:
    page = _PageText()
    page.feed(html)
    page.close()
    meta = page.meta
    text = re.sub(r"[ \t]*\n[\s]*", "\n", "".join(page.parts))
    title = (meta.get("og:title") or page.h1 or page.title or "").strip() or None
    published = (
        meta.get("article:published_time")
        or meta.get("datepublished")
        or meta.get("pubdate")
        or meta.get("time")
    )
    return RawDocument(
        source=source,
        text=normalize_text(text),
        url=one_line(meta.get("og:url") or meta.get("canonical")),
        title=normalize_text(title) if title else None,
        published=one_line(published),
        outlet=one_line(meta.get("og:site_name")),
    )


def one_line(value: str | None) -> str | None:
    """A metadata field (url, outlet, date) as stored: one line, no control characters (a hostile
    page's outlet must not carry terminal sequences into the store); None when nothing is left."""
    return " ".join(strip_controls(value).split()) or None if value else None


# --- JSONL ------------------------------------------------------------------------

_SKIP_CHUNK = 1 << 20  # a line over the limit is passed over in reads of this size
_LATER_LINES = "; later lines of the file in the same encoding are converted without a warning of their own"


@dataclass(frozen=True, slots=True)
class Piece:
    """One unit of reading work, small enough to hand to a worker process: a whole text or HTML
    file (`text` None: whoever reads the piece reads the file) or one decoded JSONL line."""

    path: str
    line: int = 0
    text: str | None = None

    @property
    def source(self) -> str:
        return f"{self.path}#L{self.line}" if self.line else self.path


def _bounded_lines(f: IO[AnyStr], newline: AnyStr) -> Iterator[AnyStr | None]:
    """The lines of `f`; None for a line longer than MAX_BYTES, which is passed over in
    `_SKIP_CHUNK` reads: memory never holds more than MAX_BYTES of it."""
    while line := f.readline(MAX_BYTES + 1):
        if len(line) > MAX_BYTES and not line.endswith(newline):
            while (rest := f.readline(_SKIP_CHUNK)) and not rest.endswith(newline):
                pass
            yield None
        else:
            yield line


def _byte_lines(f: BinaryIO, utf16: bool) -> Iterator[bytes | None]:
    """Lines as bytes for `decode`; a UTF-16 file (whose line breaks are two bytes) is decoded
    while reading and its lines handed on as UTF-8."""
    if not utf16:
        return _bounded_lines(f, b"\n")
    text = io.TextIOWrapper(f, encoding="utf-16", newline="\n")
    return (None if line is None else line.encode() for line in _bounded_lines(text, "\n"))


def _not_jsonl(head: bytes, source: str) -> Problem | None:
    """Refuses a whole file by its first bytes `head` when it is empty, or binary and not even
    starting like a JSON object (an image or an archive named .jsonl): one problem, not one per
    line. In a file that starts like JSONL, a NUL costs only the line that holds it."""
    if not head:
        return Problem(source, Severity.ERROR, "empty-file", _EMPTY)
    if looks_binary(head) and not head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        return Problem(source, Severity.ERROR, "binary-file", _BINARY)
    return None


def _once_per_file(problems: list[Problem], warned: set[str]) -> Iterator[Problem]:
    """Every error; a warning only the first time its kind turns up in the file (kinds in
    `warned`): a JSONL export in a legacy encoding would otherwise warn once per line."""
    for problem in problems:
        if problem.severity is Severity.ERROR:
            yield problem
        elif problem.code not in warned:
            warned.add(problem.code)
            yield replace(problem, message=problem.message + _LATER_LINES)


def _line_pieces(data: bytes | None, path: str, number: int, warned: set[str]) -> Iterator[Piece | Problem]:
    """One JSONL line: its decoded text as a piece, or why it is skipped; blank lines vanish."""
    where = f"{path}#L{number}"
    if data is None:
        message = f"line is longer than {_size(MAX_BYTES)}, the limit for one article; skipped"
        yield Problem(where, Severity.ERROR, "line-too-long", message)
        return
    if b"\x00" in data:
        yield Problem(where, Severity.ERROR, "binary-line", "line holds NUL bytes: binary data, not text")
        return
    text, problems = decode(data, where)  # each line on its own: exports get concatenated
    yield from _once_per_file(problems, warned)
    if text is not None and text.strip():
        yield Piece(path, number, text)


def _jsonl_pieces(path: Path) -> Iterator[Piece | Problem]:
    """A JSONL file line by line, whatever its size: memory holds one line at a time."""
    source, number, warned = str(path), 0, set[str]()
    try:
        with path.open("rb") as f:
            head = f.read(8192)
            if refused := _not_jsonl(head, source):
                yield refused
                return
            f.seek(0)
            for number, data in enumerate(_byte_lines(f, head.startswith(_UTF16_BOMS)), start=1):
                yield from _line_pieces(data, source, number, warned)
    except OSError as err:
        yield Problem(source, Severity.ERROR, "unreadable", f"cannot read: {err.strerror}")
    except UnicodeDecodeError:  # raised only by the UTF-16 reader: bytes are decoded per line
        message = "not valid UTF-16 from this line on (the file starts with a UTF-16 mark); rest skipped"
        yield Problem(f"{source}#L{number + 1}", Severity.ERROR, "unknown-encoding", message)


def _jsonl_row(text: str, where: str) -> ReadResult:
    try:
        row = json.loads(text)
    except json.JSONDecodeError as err:
        return ReadResult([], [Problem(where, Severity.ERROR, "bad-jsonl-line", f"invalid JSON: {err.msg}")])
    if not isinstance(row, dict) or not (
        isinstance(row.get("text"), str) or isinstance(row.get("html"), str)
    ):
        message = "expected an object with a 'text' or 'html' string"
        return ReadResult([], [Problem(where, Severity.ERROR, "bad-jsonl-line", message)])
    doc = (
        html_to_document(row["html"], where)
        if isinstance(row.get("html"), str) and not row.get("text")
        else RawDocument(source=where, text=normalize_text(row["text"]))
    )
    problems = []
    for key in ("url", "title", "published", "outlet"):
        value = row.get(key)
        if isinstance(value, str) and value.strip():
            setattr(doc, key, normalize_text(value) if key == "title" else one_line(value))
        elif value is not None and not isinstance(value, str):  # null is a field left out
            problems.append(_not_a_string(where, key, value))
    return ReadResult([doc], problems)


_JSON_TYPES = {bool: "a boolean", int: "a number", float: "a number", list: "a list", dict: "an object"}


def _not_a_string(where: str, key: str, value: object) -> Problem:
    """A metadata field of another JSON type: ignored, by name. Its value is not guessed at (a
    number could be a Unix time in seconds, milliseconds or days)."""
    kind = _JSON_TYPES.get(type(value), "not a string")
    if key == "published":
        message = (
            f"publication date {quoted(value)} is {kind}, not a date string (ISO 8601 or d/m/yyyy hh:mm); "
            "ignored; the date is taken from the text"
        )
        return Problem(where, Severity.WARNING, "bad-date", message)
    return Problem(
        where, Severity.WARNING, "bad-field", f"{key} {quoted(value)} is {kind}, not a string; ignored"
    )


# --- files --------------------------------------------------------------------------


def pieces(path: Path) -> Iterator[Piece | Problem]:
    """The reading work of one file, lazily and in order: a JSONL file one piece per line (the
    line is read and decoded here, so a file of any size streams through), any other file
    one piece (the reader of the piece reads it: `read_piece`)."""
    if SUFFIXES[path.suffix.lower()] == "jsonl":
        return _jsonl_pieces(path)
    return iter([Piece(str(path))])


def read_piece(piece: Piece) -> ReadResult:
    """The document of one piece: a JSONL line's row, or a whole text or HTML file's article."""
    if piece.text is None:
        return _read_whole(Path(piece.path))
    return _jsonl_row(piece.text, piece.source)


def read_items(path: Path) -> Iterator[RawDocument | Problem]:
    """Documents and problems of one file in order, lazily: one JSONL line in memory at a time."""
    for piece in pieces(path):
        if isinstance(piece, Problem):
            yield piece
            continue
        read = read_piece(piece)
        yield from read.problems
        yield from read.documents


def read_file(path: Path) -> ReadResult:
    """Every document and problem of one file, held together (`read_items` streams them)."""
    result = ReadResult([], [])
    for item in read_items(path):
        if isinstance(item, Problem):
            result.problems.append(item)
        else:
            result.documents.append(item)
    return result


def _size(n: int) -> str:
    """Bytes for a message: "200 MiB", or "4 KiB" below a MiB."""
    return f"{n / 2**20:.0f} MiB" if n >= 2**20 else f"{n / 2**10:.0f} KiB"


def _read_whole(path: Path) -> ReadResult:
    """A text or HTML file: one article, so one over MAX_BYTES is refused unread."""
    source = str(path)
    try:
        size = path.stat().st_size
        if size == 0:
            return ReadResult([], [Problem(source, Severity.ERROR, "empty-file", _EMPTY)])
        if size > MAX_BYTES:
            message = (
                f"file is {_size(size)}; the limit is {_size(MAX_BYTES)} per file "
                "(one article; only a .jsonl export may be larger: it is read line by line)"
            )
            return ReadResult([], [Problem(source, Severity.ERROR, "file-too-large", message)])
        data = path.read_bytes()
    except OSError as err:
        return ReadResult([], [Problem(source, Severity.ERROR, "unreadable", f"cannot read: {err.strerror}")])
    if looks_binary(data):
        return ReadResult([], [Problem(source, Severity.ERROR, "binary-file", _BINARY)])
    text, problems = decode(data, source)
    if text is None:
        return ReadResult([], problems)
    if SUFFIXES[path.suffix.lower()] == "html" or text.lstrip()[:15].lower().startswith(
        ("<!doctype", "<html")
    ):
        return ReadResult([html_to_document(text, source)], problems)
    normalized = normalize_text(text)
    if not normalized.strip():
        return ReadResult(
            [], [*problems, Problem(source, Severity.ERROR, "no-text", "file holds only white space")]
        )
    return ReadResult([RawDocument(source=source, text=normalized)], problems)
