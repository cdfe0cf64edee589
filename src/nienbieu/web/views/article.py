"""One article: its cleaned text, sentence by sentence, with names and time expressions marked
(the normalised value on hover), its publication date with provenance, and its copies."""

from __future__ import annotations

from typing import Any

from nienbieu import export
from nienbieu.store import Store
from nienbieu.web.views import segments


class NotFound(LookupError):
    pass


def data(store: Store, article_id: str) -> dict[str, Any]:
    found = store.articles(ids=[article_id])
    if not found:
        raise NotFound(f"no article {article_id!r} in this store")
    article = found[0]
    row = export.article_rows([article], store.duplicates())[0]
    sentences = []
    for s in article.sentences:
        spans = [(m.start, m.end, {"entity": m.type, "title": m.canonical or m.text}) for m in s.mentions]
        spans += [(t.start, t.end, {"timex": t.type, "title": t.value or "?"}) for t in s.timexes]
        sentences.append({"index": s.index, "paragraph": s.paragraph, "pieces": segments(s.text, spans)})
    return {**row, "url": export.safe_url(article.url), "text": sentences}
