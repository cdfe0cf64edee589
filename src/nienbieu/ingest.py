"""Read articles from disk: .txt, .html/.htm, .jsonl, recursively.

Reading never raises for one bad item: every problem becomes a `Problem`
naming the file (and line for JSONL), and the batch goes on.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from nienbieu import legacy
from nienbieu.models import Problem, RawDocument, Severity
from nienbieu.nlp import normalize_text

SUFFIXES = {".txt": "text", ".text": "text", ".html": "html", ".htm": "html", ".jsonl": "jsonl"}
MAX_BYTES = 50 * 1024 * 1024  # larger files are refused by name, not loaded whole


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

_VIETNAMESE = re.compile(
    r"[a-zA-Z0-9\sàáảãạăắằẳẵặâấầẩẫậèéẻẽẹêếềểễệìíỉĩịòóỏõọôốồổỗộơớờởỡợùúủũụưứừửữựỳýỷỹỵđ"
    r"ÀÁẢÃẠĂẮẰẲẴẶÂẤẦẨẪẬÈÉẺẼẸÊẾỀỂỄỆÌÍỈĨỊÒÓỎÕỌÔỐỒỔỖỘƠỚỜỞỠỢÙÚỦŨỤƯỨỪỬỮỰỲÝỶỸỴĐ"
    r".,;:!?\"'()“”‘’%/\-–—…]"
)


def _plausible_vietnamese(text: str) -> float:
    sample = text[:20000]
    return len(_VIETNAMESE.findall(sample)) / max(1, len(sample))


def looks_binary(data: bytes) -> bool:
    head = data[:8192]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False  # UTF-16 with a BOM holds NUL bytes legitimately
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    return controls > 0.05 * max(1, len(head))


def decode(data: bytes, source: str) -> tuple[str | None, list[Problem]]:
    """Bytes to NFC text: UTF-8 (with or without BOM), UTF-16 with BOM, TCVN3 or VNI (as bytes,
    or as UTF-8 mojibake of them), else Windows-1258. Never raises: text, or None and an ERROR."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
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
        url=meta.get("og:url") or meta.get("canonical"),
        title=normalize_text(title) if title else None,
        published=published,
        outlet=meta.get("og:site_name"),
    )


# --- JSONL ------------------------------------------------------------------------


def _jsonl_documents(text: str, source: str) -> Iterator[RawDocument | Problem]:
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        where = f"{source}#L{number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            yield Problem(where, Severity.ERROR, "bad-jsonl-line", f"invalid JSON: {err.msg}")
            continue
        if not isinstance(row, dict) or not (
            isinstance(row.get("text"), str) or isinstance(row.get("html"), str)
        ):
            yield Problem(
                where, Severity.ERROR, "bad-jsonl-line", "expected an object with a 'text' or 'html' string"
            )
            continue
        doc = (
            html_to_document(row["html"], where)
            if isinstance(row.get("html"), str) and not row.get("text")
            else RawDocument(source=where, text=normalize_text(row["text"]))
        )
        for key in ("url", "title", "published", "outlet"):
            if isinstance(row.get(key), str) and row[key].strip():
                setattr(doc, key, normalize_text(row[key]) if key == "title" else row[key].strip())
        yield doc


# --- files --------------------------------------------------------------------------


def read_file(path: Path) -> ReadResult:
    source = str(path)
    try:
        size = path.stat().st_size
        if size == 0:
            return ReadResult([], [Problem(source, Severity.ERROR, "empty-file", "file is empty (0 bytes)")])
        if size > MAX_BYTES:
            return ReadResult(
                [],
                [
                    Problem(
                        source,
                        Severity.ERROR,
                        "file-too-large",
                        f"file is {size / 2**20:.0f} MiB; the limit is {MAX_BYTES / 2**20:.0f} MiB per file",
                    )
                ],
            )
        data = path.read_bytes()
    except OSError as err:
        return ReadResult([], [Problem(source, Severity.ERROR, "unreadable", f"cannot read: {err.strerror}")])
    if looks_binary(data):
        return ReadResult(
            [],
            [
                Problem(
                    source,
                    Severity.ERROR,
                    "binary-file",
                    "looks like a binary file (NUL or control bytes), not text",
                )
            ],
        )
    text, problems = decode(data, source)
    if text is None:
        return ReadResult([], problems)
    kind = SUFFIXES[path.suffix.lower()]
    if kind == "jsonl":
        docs: list[RawDocument] = []
        for item in _jsonl_documents(text, source):
            (problems.append if isinstance(item, Problem) else docs.append)(item)  # type: ignore[arg-type]
        return ReadResult(docs, problems)
    if kind == "html" or (kind == "text" and text.lstrip()[:15].lower().startswith(("<!doctype", "<html"))):
        return ReadResult([html_to_document(text, source)], problems)
    normalized = normalize_text(text)
    if not normalized.strip():
        return ReadResult(
            [], [*problems, Problem(source, Severity.ERROR, "no-text", "file holds only white space")]
        )
    return ReadResult([RawDocument(source=source, text=normalized)], problems)
