"""Render timelines, briefings and article lists as Markdown, JSON or standalone HTML, and write
them to files.

Article text is hostile until shown otherwise: every renderer passes each field taken from an
article (sentence, title, outlet, name, quote, url) through one function per format:
`markdown_text`, `html_text`, `safe_url`, and JSON goes out through `to_json`.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import stat
import tempfile
import urllib.parse
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nienbieu.models import UNKNOWN_SPEAKER, Article, Briefing, Citation, StoryRow, TimelineEntry, first_words
from nienbieu.nlp import CONTROL_CHARACTERS, strip_controls

if TYPE_CHECKING:
    from nienbieu.store import Store

FORMATS = ("md", "json", "html")
TIMELINE_FORMATS = (*FORMATS, "timelinejs")
ENTITIES_LABEL = "Liên quan"  # "involved": the entry's main people, organisations and places


# --- safe text ------------------------------------------------------------------
#
# Markdown: the least escaping that makes a CommonMark renderer show the text as it reads, so
# that `nienbieu timeline` stays readable in a terminal. Inline, everywhere: `<` and `>` as
# entities (no raw HTML, no autolink), `&` as an entity only where it would start one ("P&G"
# stays), and a backslash before `\`, a backtick (code spans), `*` and `_` (emphasis), `[` and
# `]` (links, images, reference definitions). At the start of the text, where a list item or a
# paragraph begins, a backslash before what would open a block: `#` headings, `-`/`+` list
# items, dashes alone (a `---` rule, or one with our own "- " before them), `~~~` code
# fences, "2023." or "1)" ordered lists (`>` is already an entity). Line breaks and runs of
# white space become one space: a field never starts a line of its own. Not escaped: GFM
# extensions (a bare "www.…" that GitHub turns into a visible link, `~~`, `|`), which inject
# nothing. A property test renders the result with markdown-it and compares.

_MD_INLINE = re.compile(r"[\\`*_\[\]<>]|&(?=#[0-9]+;|#[xX][0-9a-fA-F]+;|[A-Za-z][A-Za-z0-9]*;)")
_MD_ENTITIES = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}
_MD_BLOCK_START = re.compile(r"#{1,6}(?:\s|$)|[-+](?:\s|$)|-[-\s]*$|~~~")
_MD_ORDERED_LIST = re.compile(r"[0-9]{1,9}(?=[.)](?:\s|$))")  # the number: the backslash goes after it


def markdown_text(text: str) -> str:
    """One field of article text for Markdown output: shown literally by a CommonMark renderer,
    never HTML, a link, an image or a block of its own (see above)."""
    text = " ".join(strip_controls(text).split())
    text = _MD_INLINE.sub(lambda m: _MD_ENTITIES.get(m.group(), "\\" + m.group()), text)
    if _MD_BLOCK_START.match(text):
        return "\\" + text
    ordered = _MD_ORDERED_LIST.match(text)
    return f"{text[: ordered.end()]}\\{text[ordered.end() :]}" if ordered else text


def html_text(text: str) -> str:
    """One field of article text for HTML, in element content or a quoted attribute."""
    return escape(strip_controls(text))


_URL_UNSAFE = re.compile(r'[\s"<>\\^`{|}]')


def safe_url(url: str | None) -> str | None:
    """An article's url fit to link: http or https with a host, the characters that could end an
    attribute or an autolink percent-encoded; None for anything else (`javascript:`, `data:`)."""
    if not url:
        return None
    url = strip_controls(url).strip()
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:  # a malformed IPv6 host
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return _URL_UNSAFE.sub(lambda m: urllib.parse.quote(m.group(), safe=""), url)


# Raw in a JSON string these are legal, but a terminal obeys the controls and shows bidirectional
# overrides reordered; U+2028/2029 end a line in JavaScript before ES2019. json.dumps escapes C0
# only, so the rest are written as \u escapes: lossless (a file name comes back exactly).
_JSON_ESCAPED = re.compile(f"[{CONTROL_CHARACTERS}\u2028\u2029]")


def to_json(data: Any, indent: int | None = 2) -> str:
    """JSON for stdout or a file: UTF-8 text, with every control and bidirectional character
    escaped."""
    text = json.dumps(data, ensure_ascii=False, indent=indent)
    # outside strings JSON is ASCII without controls, so every match is inside a string
    return _JSON_ESCAPED.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def date_label(value: str, granularity: str) -> str:
    """Vietnamese reading order: 18/02/2021, 14–15/07/2025, tháng 07/2025, năm 2014."""
    if granularity == "range" and "/" in value:
        start, end = value.split("/", 1)
        if start[:7] == end[:7]:
            return f"{start[8:10]}–{end[8:10]}/{start[5:7]}/{start[:4]}"
        return f"{date_label(start, 'day')} – {date_label(end, 'day')}"
    if granularity == "day" and len(value) >= 10:
        return f"{value[8:10]}/{value[5:7]}/{value[:4]}"
    if granularity == "month" and len(value) >= 7:
        return f"tháng {value[5:7]}/{value[:4]}"
    if granularity == "year":
        return f"năm {value}"
    return value


def source_label(c: Citation) -> str:
    parts = [c.outlet or "nguồn không rõ"]
    if c.published:
        # stated dates are full ISO timestamps; inferred ones are "≈" + a day
        parts.append(c.published[:11] if c.published.startswith("≈") else c.published[:10])
    return ", ".join(parts) + f" — {c.title}"


def _numbering(citations: Sequence[Citation]) -> dict[str, int]:
    numbers: dict[str, int] = {}
    for c in citations:
        numbers.setdefault(c.article_id, len(numbers) + 1)
    return numbers


def _first_by_article(citations: Sequence[Citation]) -> dict[str, Citation]:
    first: dict[str, Citation] = {}
    for c in citations:
        first.setdefault(c.article_id, c)
    return first


# --- timeline ------------------------------------------------------------------


def timeline_data(entries: Sequence[TimelineEntry]) -> dict[str, Any]:
    """A timeline as `nienbieu timeline -f json` and `/api/timeline` give it."""
    rows = [{**asdict(e), "label": date_label(e.date, e.granularity), "sources": e.sources} for e in entries]
    return {"timeline": rows}


def timeline_json(entries: Sequence[TimelineEntry]) -> str:
    return to_json(timeline_data(entries))


def _entry_citations(entries: Sequence[TimelineEntry]) -> list[Citation]:
    return [c for e in entries for c in [*e.citations, *(q.citation for q in e.quotes)]]


def timeline_markdown(entries: Sequence[TimelineEntry], title: str = "Dòng thời gian") -> str:
    all_citations = _entry_citations(entries)
    numbers = _numbering(all_citations)
    md = markdown_text
    lines = [f"# {md(title)}", ""]
    for e in entries:
        flag = " *(dự kiến)*" if e.planned else ""
        lines.append(f"## {date_label(e.date, e.granularity)}{flag}")
        lines.append("")
        for text, c in zip(e.sentences, e.citations, strict=True):
            lines.append(f"- {md(text)} [{numbers[c.article_id]}]")
        for q in e.quotes:
            speaker = md(q.speaker or UNKNOWN_SPEAKER)
            lines.append(f"> “{md(q.text)}” — {speaker} [{numbers[q.citation.article_id]}]")
        if e.entities:
            lines.append(f"\n*{ENTITIES_LABEL}: {', '.join(map(md, e.entities))}*")
        lines.append("")
    lines += _sources_markdown(all_citations, numbers)
    return "\n".join(lines)


def _sources_markdown(citations: Sequence[Citation], numbers: dict[str, int]) -> list[str]:
    lines = ["## Nguồn", ""]
    for article_id, c in _first_by_article(citations).items():
        url = safe_url(c.url)
        link = f" <{url}>" if url else ""
        lines.append(f"{numbers[article_id]}. {markdown_text(source_label(c))} (`{article_id}`){link}")
    return lines


def _source_html(c: Citation) -> str:
    """A source's label, a link to the article when its url is http(s)."""
    label, url = html_text(source_label(c)), safe_url(c.url)
    return f'<a href="{escape(url)}" rel="noopener noreferrer nofollow">{label}</a>' if url else label


def _sources(citations: Sequence[Citation], numbers: dict[str, int]) -> list[dict[str, Any]]:
    """The numbered source list under an HTML export: a link only to an http(s) url."""
    return [
        {"number": numbers[aid], "label": source_label(c), "url": safe_url(c.url), "article_id": aid}
        for aid, c in _first_by_article(citations).items()
    ]


def _label(c: Citation | dict[str, Any]) -> str:
    """`source_label` of a citation as a template sees it (a record, or its JSON dict)."""
    return source_label(c if isinstance(c, Citation) else Citation(**c))


def _html(template: str, **context: Any) -> str:
    """An HTML export, rendered with the web pages' templates and stylesheet (one HTML form)."""
    from nienbieu.web import templating  # jinja2 loads only when HTML is asked for

    return templating.render(template, source_label=_label, css=templating.stylesheet(), **context)


def timeline_html(entries: Sequence[TimelineEntry], title: str = "Dòng thời gian") -> str:
    all_citations = _entry_citations(entries)
    numbers = _numbering(all_citations)
    rows = timeline_data(entries)["timeline"]
    return _html(
        "export.html", title=title, timeline=rows, numbers=numbers, sources=_sources(all_citations, numbers)
    )


def _entry_html(e: TimelineEntry, numbers: dict[str, int]) -> str:
    """One entry as the body of a TimelineJS slide, which shows the date itself and has no
    source list to link to."""
    [row] = timeline_data([e])["timeline"]
    return _html("_entry_body.html", e=row, numbers=numbers, linked=False)


def _timelinejs_date(iso_day: str) -> dict[str, str]:
    parts = iso_day.split("-")
    return dict(zip(("year", "month", "day"), (str(int(p)) for p in parts), strict=False))


def timeline_timelinejs(entries: Sequence[TimelineEntry], title: str = "Dòng thời gian") -> str:
    """TimelineJS 3 JSON (https://timeline.knightlab.com/docs/json-format.html): what newsrooms
    publish interactive timelines with. Its `text` fields are HTML, so article text is escaped."""
    numbers = _numbering(_entry_citations(entries))
    events = []
    for e in entries:
        start, _, end = e.date.partition("/")
        sources = _first_by_article(_entry_citations([e]))
        event: dict[str, Any] = {
            "start_date": _timelinejs_date(start),
            "display_date": date_label(e.date, e.granularity) + (" (dự kiến)" if e.planned else ""),
            "text": {
                "headline": html_text(first_words(e.sentences[0])) if e.sentences else "",
                "text": _entry_html(e, numbers)
                + "<p>"
                + "<br>".join(f"[{numbers[a]}] {_source_html(c)}" for a, c in sources.items())
                + "</p>",
            },
            "unique_id": f"d{e.date.replace('/', '_')}",
        }
        if end:
            event["end_date"] = _timelinejs_date(end)
        if e.planned:
            event["group"] = "Dự kiến"
        events.append(event)
    return to_json({"title": {"text": {"headline": html_text(title)}}, "events": events})


def render_timeline(entries: Sequence[TimelineEntry], fmt: str) -> str:
    renderers = {
        "md": timeline_markdown,
        "json": timeline_json,
        "html": timeline_html,
        "timelinejs": timeline_timelinejs,
    }
    return renderers[fmt](entries)


# --- briefing ------------------------------------------------------------------


def brief_markdown(b: Briefing, title: str = "Tóm tắt") -> str:
    numbers = _numbering(b.articles)
    text = " ".join(f"{markdown_text(s.text)} [{numbers[s.citation.article_id]}]" for s in b.sentences)
    return "\n".join([f"# {markdown_text(title)}", "", text, "", *_sources_markdown(b.articles, numbers)])


def brief_data(b: Briefing) -> dict[str, Any]:
    """A briefing as `nienbieu brief -f json` and `/api/brief` give it."""
    return asdict(b)


def brief_json(b: Briefing) -> str:
    return to_json(brief_data(b))


def brief_html(b: Briefing, title: str = "Tóm tắt") -> str:
    numbers = _numbering(b.articles)
    sentences = brief_data(b)["sentences"]
    return _html(
        "export.html",
        title=title,
        sentences=sentences,
        numbers=numbers,
        sources=_sources(b.articles, numbers),
    )


def render_brief(b: Briefing, fmt: str) -> str:
    return {"md": brief_markdown, "json": brief_json, "html": brief_html}[fmt](b)


# --- article list -------------------------------------------------------------


def article_rows(
    articles: Sequence[Article], copies: dict[str, list[str]] | None = None
) -> list[dict[str, Any]]:
    """One row per stored article; `copies`: canonical id -> ids of its near-duplicate copies."""
    copies = copies or {}
    outlet = {a.id: a.outlet for a in articles}
    copy_of = {copy: canonical for canonical, ids in copies.items() for copy in ids}
    return [
        {
            "id": a.id,
            "copy_of": copy_of.get(a.id),
            "also_published_by": [{"id": c, "outlet": outlet.get(c)} for c in copies.get(a.id, [])],
            "outlet": a.outlet,
            "title": a.display_title,
            "title_stated": a.title is not None,
            "published": a.published.isoformat() if a.published else None,
            "published_provenance": str(a.published_provenance),
            "published_evidence": a.published_evidence,
            "published_window": [d.isoformat() for d in a.published_window] if a.published_window else None,
            "published_confidence": a.published_confidence,
            "author": a.author,
            "sentences": len(a.sentences),
            "source": a.source,
        }
        for a in articles
    ]


def entity_rows(
    found: Sequence[Any], kind: str | None = None, top: int | None = None
) -> list[dict[str, Any]]:
    """Canonical entities for `nienbieu entities`: most mentioned first."""
    rows = [
        {
            "name": e.name,
            "type": e.type,
            "aliases": [alias for alias, _ in e.aliases.most_common() if alias != e.name],
            "mentions": e.mentions,
            "articles": len(e.articles),
            "first": e.first,
            "last": e.last,
        }
        for e in found
        if kind is None or e.type == kind
    ]
    return rows[:top] if top else rows


def quote_rows(quotes: Sequence[tuple[Article, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "speaker": q.speaker,  # None below the attribution threshold: UNKNOWN_SPEAKER
            "candidate": q.candidate,
            "confidence": q.confidence,
            "quote": q.text,
            "article_id": a.id,
            "outlet": a.outlet,
            "published": a.published.date().isoformat() if a.published else None,
            "sentence_index": q.sentence_index,
        }
        for a, q in quotes
    ]


# --- files ----------------------------------------------------------------------


def write_atomic(path: Path, text: str) -> None:
    """Replace `path` by `text` (UTF-8) in one step: the text goes to a temporary file in the same
    folder, is synced to disk and renamed over `path`. A full disk, a missing permission or a
    directory in the way raises OSError and leaves any earlier file as it was, with no temporary
    file behind. The new file keeps the permissions of the one it replaces (a new one gets the
    umask's, not a temporary file's 0600); a symbolic link stays a link and its target is
    replaced; a device or a pipe (`-o /dev/stdout`) cannot be replaced and is written directly."""
    data = text.encode("utf-8")
    try:
        existing: os.stat_result | None = path.stat()
    except FileNotFoundError:
        existing = None
    if existing is not None and stat.S_ISDIR(existing.st_mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
    if existing is not None and not stat.S_ISREG(existing.st_mode):
        with path.open("wb") as stream:  # by its own name: /dev/stdout resolves to "pipe:[…]"
            stream.write(data)
        return
    target = Path(os.path.realpath(path))
    mode = stat.S_IMODE(existing.st_mode) & 0o777 if existing else 0o666 & ~_umask()
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        try:
            _write_all(fd, data)
            os.fchmod(fd, mode)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, target)
    except BaseException:  # an interrupt too: never leave the temporary file behind
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _sync_folder(target.parent)


def _write_all(fd: int, data: bytes) -> None:
    """os.write may write less than asked; a full disk raises OSError (ENOSPC)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _umask() -> int:
    umask = os.umask(0)  # the umask can only be read by setting it: set it back at once
    os.umask(umask)
    return umask


def _sync_folder(folder: Path) -> None:
    """Make the rename durable too. Some file systems cannot sync a folder; after a crash there
    the file is then the old one or the new one, never a mix."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def parquet(store: Store, folder: Path) -> dict[str, int]:
    """The store's articles, sentences, mentions, time expressions, quotes and stories as
    Parquet files in `folder`, streamed in batches (`nienbieu.parquet`); rows per file."""
    from nienbieu import parquet as tables  # needs nothing optional until it writes

    return tables.write(store, folder)


def story_rows(rows: Iterable[StoryRow]) -> list[dict[str, Any]]:
    """Stories as `nienbieu stories --json` prints them."""
    return [
        {
            "id": r.id,
            "label": r.label,
            "articles": r.size,
            "copies": r.copies,
            "first": r.first,
            "last": r.last,
            "outlets": r.outlets,
        }
        for r in rows
    ]
