import json

from nienbieu import export
from nienbieu.models import Citation, EntryQuote, TimelineEntry

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


QUOTE_CITE = Citation("def", 3, "VTC News", "Tin khác", "2025-07-10T09:00:00+07:00")
RICH = TimelineEntry(
    "2025-07-14/2025-07-15",
    "range",
    ["Ông Rutte <i>thăm</i> Washington."],
    [CITE],
    3.0,
    planned=True,
    entities=["Mark Rutte", "Washington"],
    quotes=[EntryQuote("Mark Rutte", "Liên minh <b>mạnh</b> hơn bao giờ hết", QUOTE_CITE)],
)


def test_markdown_shows_quotes_and_people_with_their_sources():
    md = export.timeline_markdown([RICH])
    assert "> “Liên minh <b>mạnh</b> hơn bao giờ hết” — Mark Rutte [2]" in md
    assert "*Liên quan: Mark Rutte, Washington*" in md
    assert "2. VTC News, 2025-07-10 — Tin khác (`def`)" in md


def test_timelinejs_has_dates_ranges_groups_and_escaped_text():
    data = json.loads(export.timeline_timelinejs([ENTRY, RICH]))
    first, second = data["events"]
    assert first["start_date"] == {"year": "2021", "month": "2", "day": "18"} and "end_date" not in first
    assert second["start_date"] == {"year": "2025", "month": "7", "day": "14"}
    assert second["end_date"] == {"year": "2025", "month": "7", "day": "15"}
    assert second["display_date"] == "14–15/07/2025 (dự kiến)" and second["group"] == "Dự kiến"
    assert first["text"]["headline"] == "NATO họp &lt;script&gt;alert(1)&lt;/script&gt;."
    assert "<script>" not in json.dumps(data) and "&lt;b&gt;mạnh&lt;/b&gt;" in second["text"]["text"]
    assert len({e["unique_id"] for e in data["events"]}) == 2


def test_timelinejs_month_and_year_dates_leave_out_what_they_do_not_know():
    month = TimelineEntry("2022-02", "month", ["Nga tấn công Ukraine."], [CITE])
    year = TimelineEntry("2014", "year", ["NATO cam kết chi 2% GDP."], [CITE])
    events = json.loads(export.render_timeline([month, year], "timelinejs"))["events"]
    assert [e["start_date"] for e in events] == [{"year": "2022", "month": "2"}, {"year": "2014"}]
    assert [e["display_date"] for e in events] == ["tháng 02/2022", "năm 2014"]


def test_timelinejs_slides_cite_without_links_to_a_missing_source_list():
    [event] = json.loads(export.timeline_timelinejs([RICH]))["events"]
    assert 'href="#src-' not in event["text"]["text"]
    assert '<sup title="VTV, 2021-02-19 — &lt;b&gt;Tiêu đề&lt;/b&gt;">[1]</sup>' in event["text"]["text"]
    assert "[2] VTC News, 2025-07-10 — Tin khác" in event["text"]["text"]


def test_timelinejs_headlines_are_short_and_the_slide_keeps_the_whole_sentence():
    long = "Tổng thư ký NATO Mark Rutte sẽ có chuyến thăm quan trọng tới Washington vào ngày 14-15 tháng 7."
    entry = TimelineEntry("2025-07-14", "day", [long], [CITE])
    [event] = json.loads(export.timeline_timelinejs([entry]))["events"]
    assert (
        event["text"]["headline"]
        == "Tổng thư ký NATO Mark Rutte sẽ có chuyến thăm quan trọng tới Washington …"
    )
    assert long in event["text"]["text"]
