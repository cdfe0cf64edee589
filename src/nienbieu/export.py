"""Render timelines, briefings and article lists as Markdown, JSON or standalone HTML."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import asdict
from html import escape
from typing import Any

from nienbieu.models import Article, Briefing, Citation, TimelineEntry, first_words

FORMATS = ("md", "json", "html")
TIMELINE_FORMATS = (*FORMATS, "timelinejs")
ENTITIES_LABEL = "Liên quan"  # "involved": the entry's main people, organisations and places


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


def timeline_json(entries: Sequence[TimelineEntry]) -> str:
    rows = [{**asdict(e), "label": date_label(e.date, e.granularity), "sources": e.sources} for e in entries]
    return json.dumps({"timeline": rows}, ensure_ascii=False, indent=2)


def _entry_citations(entries: Sequence[TimelineEntry]) -> list[Citation]:
    return [c for e in entries for c in [*e.citations, *(q.citation for q in e.quotes)]]


def timeline_markdown(entries: Sequence[TimelineEntry], title: str = "Dòng thời gian") -> str:
    all_citations = _entry_citations(entries)
    numbers = _numbering(all_citations)
    lines = [f"# {title}", ""]
    for e in entries:
        flag = " *(dự kiến)*" if e.planned else ""
        lines.append(f"## {date_label(e.date, e.granularity)}{flag}")
        lines.append("")
        for text, c in zip(e.sentences, e.citations, strict=True):
            lines.append(f"- {text} [{numbers[c.article_id]}]")
        for q in e.quotes:
            lines.append(f"> “{q.text}” — {q.speaker} [{numbers[q.citation.article_id]}]")
        if e.entities:
            lines.append(f"\n*{ENTITIES_LABEL}: {', '.join(e.entities)}*")
        lines.append("")
    lines += _sources_markdown(all_citations, numbers)
    return "\n".join(lines)


def _sources_markdown(citations: Sequence[Citation], numbers: dict[str, int]) -> list[str]:
    lines = ["## Nguồn", ""]
    for article_id, c in _first_by_article(citations).items():
        lines.append(f"{numbers[article_id]}. {source_label(c)} (`{article_id}`)")
    return lines


_PAGE = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body{{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;
  line-height:1.5;color:#1d1d1f}}
h1{{font-size:1.6rem}} .entry{{border-left:3px solid #b3261e;padding:.2rem 0 .2rem 1rem;margin:1.2rem 0}}
.date{{font-weight:700;font-size:1.1rem}} .planned{{color:#8a5a00;font-size:.85rem;margin-left:.5rem}}
.src{{color:#555;font-size:.85rem}} .who{{color:#555;font-size:.85rem}}
blockquote{{margin:.4rem 0 .4rem 1rem;font-style:italic;color:#333}}
ol.sources{{font-size:.9rem;color:#333}} sup a{{text-decoration:none}}
</style></head><body>
<h1>{title}</h1>
{body}
</body></html>
"""


def _sources_html(citations: Sequence[Citation], numbers: dict[str, int]) -> str:
    items = "".join(
        f'<li id="src-{numbers[aid]}">{escape(source_label(c))} <code>{escape(aid)}</code></li>'
        for aid, c in _first_by_article(citations).items()
    )
    return f'<h2>Nguồn</h2><ol class="sources">{items}</ol>'


def _cite_html(c: Citation, numbers: dict[str, int], linked: bool = True) -> str:
    """[n] with the source in its tooltip; a link to the page's source list when there is one."""
    n, label = numbers[c.article_id], escape(source_label(c))
    if not linked:
        return f'<sup title="{label}">[{n}]</sup>'
    return f'<sup><a href="#src-{n}" title="{label}">[{n}]</a></sup>'


def timeline_html(entries: Sequence[TimelineEntry], title: str = "Dòng thời gian") -> str:
    all_citations = _entry_citations(entries)
    numbers = _numbering(all_citations)
    blocks = [_entry_html(e, numbers) for e in entries]
    body = "\n".join(blocks) + _sources_html(all_citations, numbers)
    return _PAGE.format(title=escape(title), body=body)


def _entry_html(e: TimelineEntry, numbers: dict[str, int], standalone: bool = True) -> str:
    """One entry as HTML: a section of our page, or (not `standalone`) the body of a TimelineJS
    slide, which shows the date itself and has no source list to link to."""
    cite = functools.partial(_cite_html, numbers=numbers, linked=standalone)
    items = "".join(f"<li>{escape(t)} {cite(c)}</li>" for t, c in zip(e.sentences, e.citations, strict=True))
    quotes = "".join(
        f"<blockquote>“{escape(q.text)}” — {escape(q.speaker)} {cite(q.citation)}</blockquote>"
        for q in e.quotes
    )
    names = f'<div class="who">{ENTITIES_LABEL}: {escape(", ".join(e.entities))}</div>' if e.entities else ""
    if not standalone:
        return f"<ul>{items}</ul>{quotes}{names}"
    planned = '<span class="planned">dự kiến</span>' if e.planned else ""
    return (
        f'<section class="entry"><div class="date">{escape(date_label(e.date, e.granularity))}'
        f"{planned}</div><ul>{items}</ul>{quotes}{names}</section>"
    )


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
                "headline": escape(first_words(e.sentences[0])) if e.sentences else "",
                "text": _entry_html(e, numbers, standalone=False)
                + "<p>"
                + "<br>".join(escape(f"[{numbers[a]}] {source_label(c)}") for a, c in sources.items())
                + "</p>",
            },
            "unique_id": f"d{e.date.replace('/', '_')}",
        }
        if end:
            event["end_date"] = _timelinejs_date(end)
        if e.planned:
            event["group"] = "Dự kiến"
        events.append(event)
    return json.dumps(
        {"title": {"text": {"headline": escape(title)}}, "events": events}, ensure_ascii=False, indent=2
    )


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
    text = " ".join(f"{s.text} [{numbers[s.citation.article_id]}]" for s in b.sentences)
    return "\n".join([f"# {title}", "", text, "", *_sources_markdown(b.articles, numbers)])


def brief_json(b: Briefing) -> str:
    return json.dumps(asdict(b), ensure_ascii=False, indent=2)


def brief_html(b: Briefing, title: str = "Tóm tắt") -> str:
    numbers = _numbering(b.articles)
    text = " ".join(f"{escape(s.text)} {_cite_html(s.citation, numbers)}" for s in b.sentences)
    return _PAGE.format(title=escape(title), body=f"<p>{text}</p>" + _sources_html(b.articles, numbers))


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
            "speaker": q.speaker,
            "quote": q.text,
            "article_id": a.id,
            "outlet": a.outlet,
            "published": a.published.date().isoformat() if a.published else None,
            "sentence_index": q.sentence_index,
        }
        for a, q in quotes
    ]
