"""One module per page type: each computes the one dict its page shows, which the app renders
as HTML (a template) or returns as JSON."""

from __future__ import annotations

from collections.abc import Sequence


def segments(text: str, spans: Sequence[tuple[int, int, dict[str, str]]]) -> list[dict[str, str]]:
    """`text` cut at the given (start, end, attributes) spans, in order, overlapping ones
    dropped: the pieces a template wraps (a highlighted match, an entity, a time expression)."""
    pieces: list[dict[str, str]] = []
    last = 0
    for start, end, attributes in sorted(spans, key=lambda s: (s[0], -s[1])):
        if start < last or end > len(text) or start >= end:
            continue
        if start > last:
            pieces.append({"text": text[last:start]})
        pieces.append({"text": text[start:end], **attributes})
        last = end
    if last < len(text):
        pieces.append({"text": text[last:]})
    return pieces
