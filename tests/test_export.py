import errno
import json
import os
import stat
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from test_nlp import FORBIDDEN, PROSE

from nienbieu import export, nlp
from nienbieu.models import Briefing, BriefSentence, Citation, EntryQuote, TimelineEntry

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
    assert "[1]" in md and "1. VTV, 2021-02-19 — &lt;b&gt;Tiêu đề&lt;/b&gt; (`abc`)" in md


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
    assert "> “Liên minh &lt;b&gt;mạnh&lt;/b&gt; hơn bao giờ hết” — Mark Rutte [2]" in md
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


# --- hostile article text ---------------------------------------------------------

ESC = "\x1b"
# what an article's title, outlet, sentences, names and quotes may carry: raw HTML, Markdown
# links and images, entities, code, terminal colours, a window title, a terminal hyperlink,
# C1 controls, BEL, backspace, a carriage-return overwrite, a bidirectional override
HOSTILE = (
    "<script>alert(1)</script> <img src=x onerror=alert(1)> [click](javascript:alert(1)) "
    "![x](http://evil/x.png) &lt;b&gt; `code` "
    f"{ESC}[31mđỏ{ESC}[0m {ESC}]0;title\x07 {ESC}]8;;http://evil{ESC}\\link{ESC}]8;;{ESC}\\ "
    "\x9b31m \x85 \x07 \x08 over\rwrite \u202eabc\u202c"
)
EVIL = Citation("e1", 0, "Báo " + HOSTILE, "# " + HOSTILE, "2023-07-11T08:00:00+07:00", "javascript:alert(1)")
LINKED = Citation("e2", 1, "VTV", "Tin", None, "https://vtv.vn/nato-họp.html?a=1&b=<2>")
HOSTILE_ENTRY = TimelineEntry(
    "2023-07-11",
    "day",
    ["- " + HOSTILE, "2023. " + HOSTILE],
    [EVIL, LINKED],
    entities=["<b>Biden</b>", "*" + HOSTILE],
    quotes=[EntryQuote(HOSTILE, HOSTILE, EVIL)],
)
HOSTILE_BRIEF = Briefing(
    [BriefSentence(HOSTILE, EVIL), BriefSentence("# " + HOSTILE, LINKED)], [EVIL, LINKED], 99
)
SHOWN = (  # HOSTILE as Markdown shows it, and as the escaped Markdown reads in a terminal
    "&lt;script&gt;alert(1)&lt;/script&gt; &lt;img src=x onerror=alert(1)&gt; "
    "\\[click\\](javascript:alert(1)) !\\[x\\](http://evil/x.png) &amp;lt;b&amp;gt; \\`code\\` "
    "đỏ link overwrite abc"
)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append((tag, dict(attrs)))


_INERT_TAGS = {
    "html",
    "head",
    "meta",
    "title",
    "body",
    "h1",
    "h2",
    "main",
    "section",
    "div",
    "span",
    "ul",
    "ol",
    "li",
}
_INERT_TAGS |= {"sup", "a", "blockquote", "code", "p", "br", "em", "strong"}


def active_content(html: str) -> list[str]:
    """What in `html` could run, fetch or restyle: any tag but inert ones, event handlers, `src`
    and `style` attributes, links that are neither in-page nor http(s)."""
    parser = _Tags()
    parser.feed(html)
    found = []
    for tag, attrs in parser.tags:
        found += [tag] if tag not in _INERT_TAGS else []
        found += [f"{tag} {a}" for a in attrs if a.startswith("on") or a in ("src", "srcdoc", "style")]
        href = attrs.get("href")
        found += (
            [f"href={href}"]
            if href is not None and not href.startswith(("#src-", "http://", "https://"))
            else []
        )
    return found


def hrefs(html: str) -> list[str]:
    parser = _Tags()
    parser.feed(html)
    return [attrs["href"] for _, attrs in parser.tags if "href" in attrs]


def test_markdown_text_escapes_html_links_code_and_block_starts_and_nothing_else():
    assert export.markdown_text("<img src=x onerror=alert(1)>") == "&lt;img src=x onerror=alert(1)&gt;"
    assert export.markdown_text("[click](javascript:alert(1))") == "\\[click\\](javascript:alert(1))"
    assert (
        export.markdown_text("Ông A \x1b[31mnói\x1b[0m:\n`x` & &lt; P&G")
        == "Ông A nói: \\`x\\` & &amp;lt; P&G"
    )
    assert export.markdown_text("# Tin") == "\\# Tin" and export.markdown_text("#NATO") == "#NATO"
    assert export.markdown_text("2023. Năm") == "2023\\. Năm" and export.markdown_text("2,5%.") == "2,5%."
    plain = "Ông Stoltenberg nói: “NATO mạnh hơn” (ảnh: Reuters), chi 2% GDP - con số 3.5 tỷ USD!"
    assert export.markdown_text(plain) == plain


def test_hostile_fields_in_a_markdown_timeline_are_shown_literally_never_run():
    md = export.timeline_markdown([HOSTILE_ENTRY])
    assert f"- \\- {SHOWN} [1]" in md and f"- 2023\\. {SHOWN} [2]" in md
    assert f"> “{SHOWN}” — {SHOWN} [1]" in md
    assert "*Liên quan: &lt;b&gt;Biden&lt;/b&gt;, \\*&lt;script&gt;" in md
    assert f"1. Báo {SHOWN}, 2023-07-11 — # {SHOWN} (`e1`)\n" in md  # "#" only opens a line
    assert "2. VTV — Tin (`e2`) <https://vtv.vn/nato-họp.html?a=1&b=%3C2%3E>" in md
    assert FORBIDDEN.search(md) is None
    html = MarkdownIt("commonmark").render(md)
    assert active_content(html) == [] and "<script" not in html and "<img" not in html
    assert hrefs(html) == ["https://vtv.vn/nato-h%E1%BB%8Dp.html?a=1&b=%3C2%3E"]
    # every hostile sentence reads in the page exactly as the article wrote it, controls aside
    literal = export.html_text(" ".join(nlp.strip_controls(HOSTILE).split())).replace("&#x27;", "'")
    assert html.count(literal) == 7  # two sentences, quote, speaker, a name, outlet, title


def test_hostile_fields_in_a_markdown_briefing_are_shown_literally_never_run():
    md = export.brief_markdown(HOSTILE_BRIEF)
    assert md.splitlines()[2] == f"{SHOWN} [1] \\# {SHOWN} [2]"
    html = MarkdownIt("commonmark").render(md)
    assert active_content(html) == [] and hrefs(html) == [
        "https://vtv.vn/nato-h%E1%BB%8Dp.html?a=1&b=%3C2%3E"
    ]


@pytest.mark.parametrize(
    "page",
    [
        export.timeline_html([HOSTILE_ENTRY]),
        export.brief_html(HOSTILE_BRIEF),
        "".join(e["text"]["text"] for e in json.loads(export.timeline_timelinejs([HOSTILE_ENTRY]))["events"]),
    ],
)
def test_html_exports_hold_no_control_no_script_and_link_only_http_sources(page):
    assert FORBIDDEN.search(page) is None
    assert [a for a in active_content(page) if a != "style"] == []  # our own stylesheet only
    links = [h for h in hrefs(page) if not h.startswith("#src-")]
    assert links == ["https://vtv.vn/nato-họp.html?a=1&b=%3C2%3E"]
    assert (
        '<a href="https://vtv.vn/nato-họp.html?a=1&amp;b=%3C2%3E" rel="noopener noreferrer nofollow">' in page
    )


def test_json_exports_escape_controls_and_keep_the_text_exactly():
    for text in (export.timeline_json([HOSTILE_ENTRY]), export.brief_json(HOSTILE_BRIEF)):
        assert FORBIDDEN.search(text) is None and "\\u202e" in text and "\\u009b" in text
    [row] = json.loads(export.timeline_json([HOSTILE_ENTRY]))["timeline"]
    assert row["sentences"][0] == "- " + HOSTILE and row["citations"][0]["url"] == "javascript:alert(1)"
    assert FORBIDDEN.search(export.timeline_timelinejs([HOSTILE_ENTRY])) is None


def test_safe_url_links_only_http_and_https():
    assert export.safe_url("https://vtv.vn/the-gioi/nato-họp.htm") == "https://vtv.vn/the-gioi/nato-họp.htm"
    assert export.safe_url(' http://a.vn/x y"<z>`\x1b[31m ') == "http://a.vn/x%20y%22%3Cz%3E%60"
    for bad in ("javascript:alert(1)", " JavaScript:alert(1)", "data:text/html,<script>", "//evil.vn/x"):
        assert export.safe_url(bad) is None
    assert export.safe_url("http://[::1") is None and export.safe_url("https:///x") is None
    assert export.safe_url(None) is None


MARKDOWN_TEXT = st.lists(  # pieces of CommonMark syntax, entities, controls and letters
    st.sampled_from([*"\\`*_[]<>&#;!()-+=~|.) \n\t\x1b\u202e0123456789aăĐếx", "&amp;", "&#60;", "&copy;"]),
    max_size=30,
).map("".join)
_COMMONMARK = MarkdownIt("commonmark")


@given(st.one_of(MARKDOWN_TEXT, st.text(max_size=40)))
def test_markdown_text_is_shown_literally_as_a_paragraph_and_as_list_items(text):
    shown = " ".join(nlp.strip_controls(text).split())
    html = shown.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    escaped = export.markdown_text(text)
    assert FORBIDDEN.search(escaped) is None
    assert _COMMONMARK.render(escaped) == (f"<p>{html}</p>\n" if shown else "")
    assert _COMMONMARK.render(f"- {escaped}") == f"<ul>\n<li>{html}</li>\n</ul>\n"
    assert _COMMONMARK.render(f"1. {escaped}") == f"<ol>\n<li>{html}</li>\n</ol>\n"


@given(PROSE)
def test_ordinary_vietnamese_text_is_written_to_markdown_as_it_is(text):
    assert export.markdown_text(text) == text


@given(st.recursive(st.text(), lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner)))
def test_to_json_round_trips_and_writes_no_raw_control(data):
    text = export.to_json(data)
    assert json.loads(text) == data and FORBIDDEN.search(text) is None
    assert "\u2028" not in text and "\u2029" not in text


# --- writing files ----------------------------------------------------------------


def test_write_atomic_replaces_the_file_and_keeps_its_mode(tmp_path):
    path = tmp_path / "dòng thời gian.md"
    path.write_text("cũ", encoding="utf-8")
    path.chmod(0o640)
    export.write_atomic(path, "mới\n")
    assert path.read_text(encoding="utf-8") == "mới\n" and stat.S_IMODE(path.stat().st_mode) == 0o640
    assert os.listdir(tmp_path) == [path.name]


def test_a_new_file_gets_the_umask_mode_not_a_temporary_files(tmp_path):
    old = os.umask(0o027)
    try:
        export.write_atomic(tmp_path / "a.md", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a.md").stat().st_mode) == 0o640


def test_write_atomic_through_a_symlink_keeps_the_link(tmp_path):
    (tmp_path / "real.md").write_text("cũ", encoding="utf-8")
    (tmp_path / "link.md").symlink_to("real.md")
    export.write_atomic(tmp_path / "link.md", "mới")
    assert (tmp_path / "link.md").is_symlink() and (tmp_path / "real.md").read_text(encoding="utf-8") == "mới"


def test_write_atomic_to_a_pipe_writes_into_it(tmp_path):
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    reader = os.open(pipe, os.O_RDONLY | os.O_NONBLOCK)  # a reader waits: opening to write won't block
    try:
        export.write_atomic(pipe, "xin chào")
        assert os.read(reader, 100) == "xin chào".encode() and stat.S_ISFIFO(pipe.stat().st_mode)
    finally:
        os.close(reader)
    reader, writer = os.pipe()  # what `-o /dev/stdout` opens when stdout is a pipe
    try:
        export.write_atomic(Path(f"/proc/self/fd/{writer}"), "xin chào")
        assert os.read(reader, 100) == "xin chào".encode()
    finally:
        os.close(reader), os.close(writer)


def test_a_directory_in_the_way_is_an_error_and_stays(tmp_path):
    (tmp_path / "out.md").mkdir()
    with pytest.raises(IsADirectoryError):
        export.write_atomic(tmp_path / "out.md", "x")
    assert (tmp_path / "out.md").is_dir() and os.listdir(tmp_path) == ["out.md"]


_FILE_SIZE_LIMIT = """
import resource, signal, sys
from pathlib import Path
from nienbieu import export
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
resource.setrlimit(resource.RLIMIT_FSIZE, (4096, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
try:
    export.write_atomic(Path(sys.argv[1]), "mới " * 10000)
except OSError as exc:
    print(exc.errno)
"""


def test_a_write_the_kernel_cuts_short_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "out.json"
    old = ('{"timeline": []}' * 100).encode()
    path.write_bytes(old)
    done = subprocess.run([sys.executable, "-c", _FILE_SIZE_LIMIT, str(path)], capture_output=True, text=True)
    assert done.stdout.strip() == str(errno.EFBIG), done.stderr
    assert path.read_bytes() == old and os.listdir(tmp_path) == ["out.json"]


UNSURE = TimelineEntry(
    "2025-07-14",
    "day",
    ["Ông Rutte thăm Washington."],
    [CITE],
    quotes=[EntryQuote(None, "Chúng tôi sẽ tiếp tục đàm phán", QUOTE_CITE, "Mark Rutte", 0.41)],
)


def test_a_quotation_without_a_sure_speaker_says_so_and_json_keeps_the_guess():
    assert "> “Chúng tôi sẽ tiếp tục đàm phán” — không rõ người nói [2]" in export.timeline_markdown([UNSURE])
    assert "— không rõ người nói" in export.timeline_html([UNSURE])
    assert "Mark Rutte" not in export.timeline_html([UNSURE])
    [row] = json.loads(export.render_timeline([UNSURE], "json"))["timeline"]
    assert row["quotes"][0] | {"citation": None} == {
        "speaker": None,
        "text": "Chúng tôi sẽ tiếp tục đàm phán",
        "citation": None,
        "candidate": "Mark Rutte",
        "confidence": 0.41,
    }
