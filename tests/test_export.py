import json

from nienbieu import export
from nienbieu.models import Citation, TimelineEntry

CITE = Citation("abc", 0, "VTV", "<b>Tiêu đề</b>", "2021-02-19T06:00:00+07:00")
ENTRY = TimelineEntry("2021-02-18", "day", ["NATO họp <script>alert(1)</script>."], [CITE], 2.0)


def test_date_labels():
    assert export.date_label("2021-02-18", "day") == "18/02/2021"
    assert export.date_label("2025-07-14/2025-07-15", "range") == "14–15/07/2025"
    assert export.date_label("2023-06-30/2023-07-02", "range") == "30/06/2023 – 02/07/2023"
    assert export.date_label("2022-02", "month") == "tháng 02/2022"
    assert export.date_label("2014", "year") == "năm 2014"


def test_html_escapes_article_text():
    html = export.timeline_html([ENTRY])
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert "<b>Tiêu đề</b>" not in html


def test_markdown_numbers_sources():
    md = export.timeline_markdown([ENTRY])
    assert "## 18/02/2021" in md
    assert "[1]" in md and "1. VTV, 2021-02-19 — <b>Tiêu đề</b> (`abc`)" in md


def test_json_is_parseable_and_labelled():
    data = json.loads(export.timeline_json([ENTRY]))
    assert data["timeline"][0]["label"] == "18/02/2021"
    assert data["timeline"][0]["sources"] == ["abc"]


def test_source_label_keeps_the_whole_day_of_an_inferred_date():
    stated = Citation("a", 0, "VTV", "Tiêu đề", "2021-02-19T08:00:00+07:00")
    inferred = Citation("b", 0, None, "Tiêu đề", "≈2022-04-05")
    assert export.source_label(stated) == "VTV, 2021-02-19 — Tiêu đề"
    assert export.source_label(inferred) == "nguồn không rõ, ≈2022-04-05 — Tiêu đề"
