"""Read articles from disk: .txt, .html/.htm, .jsonl, recursively.

Reading never raises for one bad item: every problem becomes a `Problem`
naming the file (and line for JSONL), and the batch goes on.
"""

from __future__ import annotations

import errno
import hashlib
import io
import json
import os
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from pathlib import Path
from stat import S_ISBLK, S_ISCHR, S_ISDIR, S_ISFIFO, S_ISREG, S_ISSOCK
from typing import IO, AnyStr, BinaryIO, Protocol

from nienbieu import legacy
from nienbieu.models import FileStat, Origin, Problem, RawDocument, RecordedLines, Severity, quoted
from nienbieu.nlp import normalize_text, strip_controls

SUFFIXES = {".txt": "text", ".text": "text", ".html": "html", ".htm": "html", ".jsonl": "jsonl"}
# One article at most: a larger text or HTML file, or JSONL line, is refused by name, not loaded.
MAX_BYTES = 50 * 1024 * 1024


@dataclass(slots=True)
class ReadResult:
    documents: list[RawDocument]
    problems: list[Problem]


def discover(paths: Iterable[str | Path]) -> tuple[list[Path], list[Problem]]:
    """Expand folders recursively into supported files: resolved absolute paths (a file's
    identity in the store), each once however many ways it is reached, in sorted walk order.

    Symbolic links are followed, to files and folders, except into a folder that contains the
    link (a loop). Whatever cannot be read as an article file is named by a `Problem`, once, and
    never opened: FIFOs, devices, sockets, broken links, link loops, unlistable folders."""
    found = _Found()
    for given in paths:
        path = Path(given)
        st = found.stat(path)
        if st is None:
            continue
        if S_ISDIR(st.st_mode):
            real = path.resolve()
            if real in found.walked:
                continue  # given twice, or inside a folder given before
            before = len(found.files), len(found.problems)
            found.walk(real)
            if (len(found.files), len(found.problems)) == before:
                message = "folder holds no .txt, .html, .htm or .jsonl file"
                found.problems.append(Problem(str(path), Severity.WARNING, "no-articles", message))
        else:
            found.add(path, path.resolve(), st)
    return list(found.files), found.problems


@dataclass(slots=True)
class _Found:
    """What `discover` has found so far."""

    files: dict[Path, None] = field(default_factory=dict)  # an ordered set of resolved paths
    problems: list[Problem] = field(default_factory=list)
    walked: set[Path] = field(default_factory=set)  # folders (resolved) listed or being listed
    named: set[str] = field(default_factory=set)  # absolute paths of the entries with a problem

    def walk(self, folder: Path) -> None:
        """Add the supported files under `folder` (resolved), depth first, names in sorted order
        (the order of sorting their paths). A folder reached again by another way (a link) is
        not listed again, so the walk ends whatever the links."""
        self.walked.add(folder)
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError as err:
            self.name(folder, "unreadable", f"cannot list the folder: {err.strerror}; skipped")
            return
        for entry in entries:
            self._entry(Path(entry.path), entry.is_symlink())

    def _entry(self, path: Path, link: bool) -> None:
        st = self.stat(path)
        if st is None:
            return
        real = path.resolve() if link else path
        if not S_ISDIR(st.st_mode):
            if path.suffix.lower() in SUFFIXES:  # a folder may hold anything else
                self.add(path, real, st)
        elif link and path.parent.is_relative_to(real):
            loop = (
                f"is a symbolic link to {real}, a folder that contains it: following it would loop; skipped"
            )
            self.name(path, "symlink-loop", loop)
        elif real not in self.walked:
            self.walk(real)

    def add(self, path: Path, real: Path, st: os.stat_result) -> None:
        """A file found at `path` (`real` resolved, `st` its stat): read if it is an article file
        (its type is that of the file a link leads to), or named."""
        link = f"is a symbolic link to {real}, " if path.is_symlink() else "is "
        if not S_ISREG(st.st_mode):
            self.name(path, "not-a-regular-file", f"{link}{_kind(st.st_mode)}, not a file; skipped")
        elif real.suffix.lower() in SUFFIXES:
            self.files.setdefault(real)
        else:
            self.name(path, "unsupported-type", f"{link}{_UNSUPPORTED.format(real.suffix or '(none)')}")

    def stat(self, path: Path) -> os.stat_result | None:
        """The stat of what `path` leads to (through links), or None when there is nothing to
        read there, named."""
        try:
            return path.stat()
        except FileNotFoundError:
            if path.is_symlink():
                missing = f"is a symbolic link to {os.readlink(path)}, which does not exist; skipped"
                self.name(path, "broken-symlink", missing)
            else:
                self.name(path, "not-found", "no such file or folder")
        except OSError as err:
            if err.errno == errno.ELOOP:
                self.name(
                    path, "symlink-loop", "is a symbolic link that leads back to itself (a loop); skipped"
                )
            else:
                self.name(path, "unreadable", f"cannot reach it: {err.strerror}; skipped")
        return None

    def name(self, path: Path, code: str, message: str) -> None:
        """A problem with what is at `path`, once however many ways it is reached."""
        if os.path.abspath(path) not in self.named:
            self.named.add(os.path.abspath(path))
            self.problems.append(Problem(str(path), Severity.ERROR, code, message))


_UNSUPPORTED = "unsupported file type {}; expected .txt, .html, .htm or .jsonl"


# What is at a path that is neither a file nor a folder; reading a FIFO would wait for a writer
# forever, reading a device could block or never end.
_NOT_FILES = (
    (S_ISFIFO, "a FIFO (named pipe)"),
    (S_ISCHR, "a character device"),
    (S_ISBLK, "a block device"),
    (S_ISSOCK, "a socket"),
)


def _kind(mode: int) -> str:
    return next((name for test, name in _NOT_FILES if test(mode)), "an entry of an unknown kind")


class NotAFileError(OSError):
    """Raised instead of opening what is not a regular file (`_open_regular`)."""


def _open_regular(path: Path) -> BinaryIO:
    """`path` opened for reading, only if it is a regular file. Checked before opening (opening
    some devices acts on them) and again on the open file, which is opened without blocking: a
    file swapped for a FIFO in between cannot hang the reader."""
    if not S_ISREG(mode := path.stat().st_mode):
        raise NotAFileError(f"is {_kind(mode)}, not a file; skipped")
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    if not S_ISREG(mode := os.fstat(fd).st_mode):
        os.close(fd)
        raise NotAFileError(f"is {_kind(mode)}, not a file; skipped")
    return os.fdopen(fd, "rb")


def _unreadable(source: str, err: OSError) -> Problem:
    """The problem of a file that could not be read: never one that blocks or loops."""
    if isinstance(err, NotAFileError):
        return Problem(source, Severity.ERROR, "not-a-regular-file", str(err))
    return Problem(source, Severity.ERROR, "unreadable", f"cannot read: {err.strerror}")


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
    digest: bytes | None = None  # a JSONL line: `line_digest` of its raw bytes

    @property
    def source(self) -> str:
        return f"{self.path}#L{self.line}" if self.line else self.path


@dataclass(frozen=True, slots=True)
class Unchanged:
    """Inputs of one file found unchanged since they were stored, so neither read again nor
    analysed: a whole text or HTML file (`count` 1), or the JSONL lines of a file already
    recorded. `stat`: the new stat of a file touched but identical, to record."""

    path: str
    count: int
    stat: FileStat | None = None


class Known(Protocol):
    """What is recorded of the inputs read before (the pipeline passes its `Store`)."""

    def recorded_file(self, path: str) -> FileStat | None: ...

    def recorded_lines(self, path: str) -> RecordedLines | None: ...


@dataclass(slots=True)
class _Versions:
    """Which line of a JSONL file read again gives each row identity: its last line in the file
    (an append-only feed holds every version of a row; the latest counts). A line stored before
    is skipped as it comes; an identity's last line is read again at the end of the file when it
    is not the version the identity gives now (a row put back to an earlier version), or when a
    new line of the identity came before it."""

    recorded: RecordedLines
    again: dict[str, int] = field(default_factory=dict)  # identity -> line to read again at the end
    changed: set[str] = field(default_factory=set)  # identities a new line was read for
    skipped: int = 0

    def skips(self, digest: bytes, number: int) -> bool:
        """Whether the line was stored before: skipped for now, maybe read again at the end."""
        found = self.recorded.find(digest)
        if found is None:
            return False
        key, current = found
        self.skipped += 1
        if current and key not in self.changed:
            self.again.pop(key, None)  # the version stored is the latest so far
        else:
            self.again[key] = number
        return True

    def read(self, piece: Piece) -> None:
        """A new line: it settles its identity, unless a later line does."""
        if self.recorded.keyed and (key := _piece_key(piece)):
            self.changed.add(key)
            self.again.pop(key, None)

    def finish(self, path: Path, warned: set[str]) -> Iterator[Piece | Problem | Unchanged]:
        """The lines to read again, in a second pass over the file; then the count of the rest."""
        numbers = set(self.again.values())
        if numbers:
            for item in _raw_lines(path):
                if isinstance(item, Problem):
                    yield item
                elif item[0] in numbers and item[1] is not None:
                    yield from _line_pieces(item[1], str(path), item[0], warned, line_digest(item[1]))
        if self.skipped > len(numbers):
            yield Unchanged(str(path), self.skipped - len(numbers))


def line_digest(data: bytes) -> bytes:
    """A JSONL line's identity as read: sha256 of its bytes without the line break, so a last
    line that gets a break when the export is appended to stays the same line."""
    return hashlib.sha256(data.rstrip(b"\r\n")).digest()


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


def _line_pieces(
    data: bytes | None, path: str, number: int, warned: set[str], digest: bytes | None
) -> Iterator[Piece | Problem]:
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
        yield Piece(path, number, text, digest)


def _jsonl_pieces(path: Path, known: Known | None = None) -> Iterator[Piece | Problem | Unchanged]:
    """A JSONL file line by line, whatever its size: memory holds one line at a time. A line
    `known` to have been stored from this file before is skipped before it is even decoded,
    unless it turns out to be the latest version of its row (`_Versions`); one `Unchanged` at
    the end counts the lines skipped."""
    source, warned = str(path), set[str]()
    recorded = known.recorded_lines(source) if known else None
    versions = _Versions(recorded) if recorded else None
    for item in _raw_lines(path):
        if isinstance(item, Problem):
            yield item
            continue
        number, data = item
        digest = None if data is None else line_digest(data)
        if versions and digest and versions.skips(digest, number):
            continue
        for piece in _line_pieces(data, source, number, warned, digest):
            if versions and isinstance(piece, Piece):
                versions.read(piece)
            yield piece
    if versions:
        yield from versions.finish(path, warned)


def _raw_lines(path: Path) -> Iterator[tuple[int, bytes | None] | Problem]:
    """The numbered raw lines of a JSONL file (None: too long), or why the rest cannot be read."""
    source, number = str(path), 0
    try:
        with _open_regular(path) as f:
            head = f.read(8192)
            if refused := _not_jsonl(head, source):
                yield refused
                return
            f.seek(0)
            for number, data in enumerate(_byte_lines(f, head.startswith(_UTF16_BOMS)), start=1):
                yield number, data
    except OSError as err:
        yield _unreadable(source, err)
    except UnicodeDecodeError:  # raised only by the UTF-16 reader: bytes are decoded per line
        message = "not valid UTF-16 from this line on (the file starts with a UTF-16 mark); rest skipped"
        yield Problem(f"{source}#L{number + 1}", Severity.ERROR, "unknown-encoding", message)


def _row_key(row: dict, piece: Piece) -> str:
    """A JSONL row's identity within its file: its own id, else its url, else its content (the
    digest of its line; of its text for a piece made by hand)."""
    for field_name in ("id", "url"):
        value = row.get(field_name)
        if isinstance(value, int) and not isinstance(value, bool):
            return f"{field_name}:{value}"
        if isinstance(value, str) and value.strip():
            return f"{field_name}:{value.strip()}"
    return f"sha256:{(piece.digest or line_digest((piece.text or '').encode())).hex()}"


def _piece_key(piece: Piece) -> str | None:
    """The identity of a JSONL line's row, or None when it is no row (reading will say why)."""
    try:
        row = json.loads(piece.text or "")
    except json.JSONDecodeError:
        return None
    return _row_key(row, piece) if isinstance(row, dict) else None


def _jsonl_row(piece: Piece) -> ReadResult:
    where = piece.source
    try:
        row = json.loads(piece.text or "")
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
    doc.origin = Origin(os.path.abspath(piece.path), _row_key(row, piece), line=piece.digest)
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


def pieces(path: Path, known: Known | None = None) -> Iterator[Piece | Problem | Unchanged]:
    """The reading work of one file, lazily and in order: a JSONL file one piece per line (the
    line is read and decoded here, so a file of any size streams through), any other file
    one piece (the reader of the piece reads it: `read_piece`). What `known` shows unchanged
    is an `Unchanged` instead."""
    if SUFFIXES[path.suffix.lower()] == "jsonl":
        return _jsonl_pieces(path, known)
    return iter([_whole_file_piece(path, known)])


def _whole_file_piece(path: Path, known: Known | None) -> Piece | Unchanged:
    """A text or HTML file to read, or `Unchanged` when its stat vouches for the bytes recorded
    (not read at all) or, the stat having changed, its bytes hash to the same (read, not analysed)."""
    recorded = known.recorded_file(str(path)) if known else None
    if recorded is None:
        return Piece(str(path))
    try:
        if recorded.vouches_for(path.stat()):
            return Unchanged(str(path), 1)
        now = hash_file(path)
    except OSError:
        return Piece(str(path))  # reading it names the problem
    return Unchanged(str(path), 1, now) if now.sha256 == recorded.sha256 else Piece(str(path))


def hash_file(path: Path) -> FileStat:
    """The stat and sha256 of a regular file, read in blocks."""
    digest = hashlib.sha256()
    with _open_regular(path) as f:
        st = os.fstat(f.fileno())
        while block := f.read(1 << 20):
            digest.update(block)
    return FileStat.of(st, digest.hexdigest())


def read_piece(piece: Piece) -> ReadResult:
    """The document of one piece: a JSONL line's row, or a whole text or HTML file's article."""
    if piece.text is None:
        return _read_whole(Path(piece.path))
    return _jsonl_row(piece)


def read_items(path: Path) -> Iterator[RawDocument | Problem]:
    """Documents and problems of one file in order, lazily: one JSONL line in memory at a time."""
    for piece in pieces(path):
        if isinstance(piece, Problem):
            yield piece
        elif isinstance(piece, Piece):
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
        with _open_regular(path) as f:
            st = os.fstat(f.fileno())
            if st.st_size == 0:
                return ReadResult([], [Problem(source, Severity.ERROR, "empty-file", _EMPTY)])
            if st.st_size > MAX_BYTES:
                message = (
                    f"file is {_size(st.st_size)}; the limit is {_size(MAX_BYTES)} per file "
                    "(one article; only a .jsonl export may be larger: it is read line by line)"
                )
                return ReadResult([], [Problem(source, Severity.ERROR, "file-too-large", message)])
            data = f.read()
    except OSError as err:
        return ReadResult([], [_unreadable(source, err)])
    result = _whole_document(data, source, SUFFIXES[path.suffix.lower()] == "html")
    stat = FileStat.of(st, hashlib.sha256(data).hexdigest())
    for doc in result.documents:
        doc.origin = Origin(os.path.abspath(source), stat=stat)
    return result


def _whole_document(data: bytes, source: str, html: bool) -> ReadResult:
    """The article of a whole text or HTML file's bytes."""
    if looks_binary(data):
        return ReadResult([], [Problem(source, Severity.ERROR, "binary-file", _BINARY)])
    text, problems = decode(data, source)
    if text is None:
        return ReadResult([], problems)
    if html or text.lstrip()[:15].lower().startswith(("<!doctype", "<html")):
        return ReadResult([html_to_document(text, source)], problems)
    normalized = normalize_text(text)
    if not normalized.strip():
        return ReadResult(
            [], [*problems, Problem(source, Severity.ERROR, "no-text", "file holds only white space")]
        )
    return ReadResult([RawDocument(source=source, text=normalized)], problems)
