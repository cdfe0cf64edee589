from datetime import date, datetime, timedelta, timezone

import pytest
from conftest import body_text
from hypothesis import given
from hypothesis import strategies as st

from nienbieu import clean, dating
from nienbieu.models import DateProvenance, RawDocument, Severity

ICT = timezone(timedelta(hours=7))


def test_titles(seeds):
    assert seeds["vtv"].title == "Mỹ - NATO thiết lập lại mối quan hệ xuyên Đại Tây Dương từng rạn nứt"
    assert seeds["vtc"].title == "Tổng thống Mỹ bị đồng minh NATO chỉ trích vì ‘đi đêm’ với Nga"
    # these pages start with prose, so there is no heading-like first line to call a title
    assert seeds["ngoaitruong"].title is None
    assert seeds["rutte"].title is None
    assert seeds["vilnius"].title is None


def test_outlets(seeds):
    assert seeds["vtv"].outlet == "VTV"
    assert seeds["vtc"].outlet == "VTC News"
    assert seeds["rutte"].outlet == "Tạp chí NƯỚC ĐỨC"
    assert seeds["ngoaitruong"].outlet is None


def test_stated_dates_keep_their_timezone(seeds):
    assert seeds["vtv"].published == datetime(2021, 2, 19, 6, 0, tzinfo=ICT)
    assert seeds["vtc"].published == datetime(2021, 12, 10, 20, 10, 46, tzinfo=ICT)
    assert seeds["vtv"].published_provenance is DateProvenance.STATED
    assert seeds["vilnius"].published is None
    assert seeds["vilnius"].published_provenance is DateProvenance.UNKNOWN


def test_byline_becomes_author(seeds):
    assert seeds["vtc"].author == "Trà Khánh"
    assert "Trà Khánh" not in body_text(seeds["vtc"])


@pytest.mark.parametrize(
    ("seed", "junk"),
    [
        ("vtv", "Mỹ - NATO thiết lập lại mối quan hệ xuyên Đại Tây Dương từng rạn nứt - Ảnh 1."),
        ("vtv", "(Nguồn: NATO)"),
        ("vtv", "Ảnh: Reuters"),
        ("vtv", "Tân Ngoại trưởng Mỹ hối thúc các thành viên NATO tăng ngân sách quốc phòng Tân"),
        ("vtv", "Mời quý độc giả"),
        ("vtv", "TIN MỚI"),
        ("vtv", "ĐANG PHÁT"),
        ("vtv", "Bản tin thời tiết"),
        ("vtv", "GMT+7"),
        ("vtv", "VTV.vn -"),
        ("vtc", "Zalo"),
        ("vtc", "Bình luận"),
        ("vtc", "vtcnews.vn"),
        ("vtc", "(Ảnh: mediaproxy)"),
        ("vtc", "với Nga - 1"),
        ("vtc", "Google News"),
        ("vtc", "(VTC News)"),
        ("ngoaitruong", "hoi nghi ngoai truong nato"),
        ("ngoaitruong", "Ảnh: NATO"),
        ("ngoaitruong", "/."),
        ("rutte", "© 2025"),
    ],
)
def test_boilerplate_is_gone(seeds, seed, junk):
    assert junk not in body_text(seeds[seed])


@pytest.mark.parametrize(
    ("seed", "kept"),
    [
        ("vtv", "Mỹ và các đồng minh NATO mong muốn thiết lập lại mối quan hệ xuyên Đại Tây Dương"),
        ("vtv", "Chính quyền của Tổng thống Biden đang có cách tiếp cận trong chính sách đối ngoại"),
        ("vtc", "Nhà lãnh đạo Mỹ bị các thành viên NATO ở Đông Âu chỉ trích"),
        ("vtc", "Về phía Nga họ cũng nhiều lần lên tiếng bác bỏ các cáo buộc"),
        ("ngoaitruong", "Hai bên dự kiến thảo luận về tình hình ở miền Đông Ukraine"),
        ("rutte", "Củng cố khả năng răn đe tập thể của NATO."),
        ("vilnius", "Ông nói thêm: “Bạn đã hội nhập NATO ở Phần Lan và hy vọng Thụy Điển sẽ sớm ra mắt.”"),
    ],
)
def test_body_is_kept(seeds, seed, kept):
    assert kept in body_text(seeds[seed])


def test_section_headings_are_marked(seeds):
    headings = [p.text for p in seeds["vilnius"].body if p.kind == "heading"]
    assert headings == [
        "Cuộc hội ngộ với Biden",
        "Viện trợ mới của Mỹ cho Ukraine",
        "Hỗ trợ cho Thụy Điển trong NATO",
    ]


def test_list_items_lose_their_bullets(seeds):
    items = [p.text for p in seeds["rutte"].body if p.kind == "list"]
    assert items[0].startswith("Hệ thống phòng không patriot:")
    assert len(items) == 7


def test_parse_dateline_checks_the_weekday():
    line = clean.parse_dateline("Thứ Năm, 10/12/2021 20:10 GMT+7")
    assert line is not None and line.weekday_ok is False
    assert clean.parse_dateline("Thứ Sáu, 10/12/2021 20:10 GMT+7").weekday_ok is True


def test_dateline_with_negative_offset_and_iso():
    line = clean.parse_dateline("Cập nhật 2024-03-05 09:15 GMT-5")
    assert line.published == datetime(2024, 3, 5, 9, 15, tzinfo=timezone(timedelta(hours=-5)))


def test_a_long_body_line_with_a_source_note_is_not_a_caption():
    long_line = (
        "Theo số liệu NATO công bố hôm qua, chi tiêu quốc phòng của các nước châu Âu thành viên và Canada "
        "đã tăng mạnh trong năm thứ bảy liên tiếp, với 24 nước đạt hoặc vượt ngưỡng hai phần trăm GDP, "
        "trong khi một số nước Nam Âu vẫn còn cách xa mục tiêu đã cam kết tại xứ Wales (Nguồn: NATO)"
    )
    assert clean.drop_reason(long_line) is None


def test_metadata_date_wins_over_nothing():
    doc = RawDocument(
        "x.jsonl#L1",
        "Nội dung bài báo dài đủ để là một câu văn hoàn chỉnh.",
        published="2023-06-14T08:00:00+07:00",
    )
    article, _ = clean.clean(doc)
    assert article.published == datetime(2023, 6, 14, 8, 0, tzinfo=ICT)


def test_same_body_gives_the_same_id_whatever_the_title():
    a, _ = clean.clean(RawDocument("a.txt", "Tiêu đề một\n\nThân bài giống hệt nhau ở cả hai nơi đăng."))
    b, _ = clean.clean(RawDocument("b.txt", "Tiêu đề khác hẳn\n\nThân bài giống hệt nhau ở cả hai nơi đăng."))
    assert a.id == b.id and a.title != b.title


def test_page_of_only_chrome_is_an_error():
    _, problems = clean.clean(RawDocument("junk.txt", "Zalo\nBình luận\nTIN MỚI\nX"))
    assert [p.code for p in problems] == ["no-body"]


@given(st.text())
def test_cleaning_never_crashes(text):
    article, _ = clean.clean(RawDocument("h.txt", text))
    assert article.id


def _doubled_by_brute_force(words: list[str], min_len: int = 4) -> bool:
    n = len(words)
    return any(
        words[i : i + size] == words[i + size : i + 2 * size]
        for size in range(min_len, n // 2 + 1)
        for i in range(n - 2 * size + 1)
    )


@given(st.lists(st.sampled_from(["Mỹ", "NATO", "họp", "ngày", "18/2"]), max_size=30))
def test_doubled_run_agrees_with_trying_every_run(words):
    assert clean.has_doubled_run(" ".join(words)) == _doubled_by_brute_force(clean._words(" ".join(words)))


def test_doubled_run_found_in_a_pasted_headline_list():
    line = "Mỹ rút quân khỏi châu Âu Mỹ rút quân khỏi châu Âu NATO họp khẩn NATO họp khẩn"
    assert clean.has_doubled_run(line)
    assert not clean.has_doubled_run("Mỹ rút quân khỏi châu Âu, NATO họp khẩn về việc Mỹ rút quân khỏi Đức")


# --- stated dates that cannot be (issue 13.1, 13.10) -----------------------------------------

_LEAD = "Các bộ trưởng sẽ họp vào ngày 18/2 tại Brussels để bàn về ngân sách quốc phòng."


@pytest.mark.parametrize(
    ("published", "code"),
    [
        ("9999-12-31", "implausible-date"),
        ("0001-01-01", "implausible-date"),
        ("1800-05-01T08:00:00+07:00", "implausible-date"),
        ("10000-01-01", "bad-date"),
        ("2021-02-30", "bad-date"),
        ("31/02/2021 10:00", "bad-date"),
        ("hôm qua", "bad-date"),
        ("2021-02-19T10:00:00+99:00", "bad-date"),
        ("19/02/2021 10:00 GMT+99", "bad-date"),
    ],
)
def test_an_impossible_or_implausible_stated_date_is_refused_by_name(published, code):
    article, problems = clean.clean(RawDocument("x.jsonl#L2", _LEAD, published=published))
    assert (article.published, article.published_provenance) == (None, DateProvenance.UNKNOWN)
    assert [(p.source, p.severity, p.code) for p in problems] == [("x.jsonl#L2", Severity.WARNING, code)]
    assert f'"{published}"' in problems[0].message
    assert problems[0].message.endswith("ignored; the date will be inferred from the text")


def test_a_date_days_after_today_is_refused_and_tomorrow_is_not():
    week_ahead = (date.today() + timedelta(days=7)).isoformat()
    article, problems = clean.clean(RawDocument("x.jsonl#L1", _LEAD, published=week_ahead))
    assert article.published is None and [p.code for p in problems] == ["implausible-date"]
    tomorrow = date.today() + timedelta(days=1)
    article, problems = clean.clean(RawDocument("x.jsonl#L1", _LEAD, published=tomorrow.isoformat()))
    assert article.published == datetime(tomorrow.year, tomorrow.month, tomorrow.day) and problems == []


@pytest.mark.parametrize(
    ("dateline", "code"),
    [("Thứ Sáu, 31/12/9999 10:00 GMT+7", "implausible-date"), ("Thứ Ba, 30/02/2021 10:00 GMT+7", "bad-date")],
)
def test_an_impossible_dateline_is_refused_and_not_kept_as_text(dateline, code):
    text = f"Hội nghị NATO ở Brussels\n\n{dateline}\n\n{_LEAD}"
    article, problems = clean.clean(RawDocument("tin.txt", text))
    assert (article.title, article.published) == ("Hội nghị NATO ở Brussels", None)
    assert body_text(article) == _LEAD
    assert [(p.source, p.code) for p in problems] == [("tin.txt", code)]
    assert problems[0].message.startswith(f'dateline "{dateline}"')


def test_a_refused_metadata_date_gives_way_to_the_dateline():
    text = f"Thứ Sáu, 19/02/2021 06:00 GMT+7\n\n{_LEAD}"
    article, problems = clean.clean(RawDocument("x.jsonl#L3", text, published="9999-12-31"))
    assert article.published == datetime(2021, 2, 19, 6, 0, tzinfo=ICT)
    assert article.published_provenance is DateProvenance.STATED
    assert [p.code for p in problems] == ["implausible-date"]
    assert problems[0].message.endswith("ignored; the dateline's date is used")


def test_a_dateline_with_an_impossible_date_is_still_a_dateline():
    line = clean.parse_dateline("Thứ Ba, 30/02/2021 10:00 GMT+7")
    assert (line.published, line.weekday_ok, line.evidence) == (None, None, "Thứ Ba, 30/02/2021 10:00 GMT+7")
    assert clean.parse_dateline("Năm 30/02/2021") is None  # a bare date is not a dateline


def _moment(y: int, mo: int, d: int, h: int, mi: int, offset: int | None) -> datetime | None:
    """What a parser should return for these fields: the datetime, or None when there is none."""
    try:
        zone = None if offset is None else timezone(timedelta(minutes=offset))
        return datetime(y, mo, d, h, mi, tzinfo=zone)
    except (ValueError, OverflowError):
        return None


def _zone(offset: int) -> str:
    sign, hours, minutes = "-" if offset < 0 else "+", abs(offset) // 60, abs(offset) % 60
    return f"{sign}{hours:02d}:{minutes:02d}"


_YEAR = st.integers(-(10**6), 10**6) | st.integers(1, 9999) | st.integers(1800, 2100)
_SMALL = st.integers(0, 99)  # what the one- and two-digit fields of a date can hold
_OFFSET = st.integers(-99 * 60 - 59, 99 * 60 + 59) | st.integers(-14 * 60, 14 * 60)


@given(_YEAR, _SMALL, _SMALL, _SMALL, _SMALL, _OFFSET)
def test_metadata_dates_parse_exactly_when_they_are_dates(y, mo, d, h, mi, offset):
    iso = f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:00{_zone(offset)}"
    assert clean.parse_metadata_date(iso) == _moment(y, mo, d, h, mi, offset)
    assert clean.parse_metadata_date(f"{d}/{mo}/{y:04d} {h}:{mi:02d}") == _moment(y, mo, d, h, mi, None)
    local = f"{d}/{mo}/{y:04d} {h}:{mi:02d} GMT{_zone(offset)}"
    assert clean.parse_metadata_date(local) == _moment(y, mo, d, h, mi, offset)


@given(_YEAR, _SMALL, _SMALL, _SMALL, _SMALL, _OFFSET)
def test_datelines_parse_exactly_when_they_are_dates(y, mo, d, h, mi, offset):
    line = clean.parse_dateline(f"Thứ Sáu, {d}/{mo}/{y:04d} {h}:{mi:02d} GMT{_zone(offset)}")
    assert (line.published if line else None) == _moment(y, mo, d, h, mi, offset)


@given(_YEAR, _SMALL, _SMALL, _SMALL, _SMALL, _OFFSET, st.booleans())
def test_a_stated_date_is_plausible_or_refused_by_name(y, mo, d, h, mi, offset, in_dateline):
    stated = f"{d}/{mo}/{y:04d} {h}:{mi:02d} GMT{_zone(offset)}"
    doc = RawDocument(
        "x.txt",
        f"Cập nhật {stated}\n\n{_LEAD}" if in_dateline else _LEAD,
        published=None if in_dateline else stated,
    )
    article, problems = clean.clean(doc)
    first, last = dating.publication_range()
    codes = [p.code for p in problems]
    if article.published is not None:
        assert first <= article.published.date() <= last and codes == []
    elif in_dateline:  # a line with no four-digit year is no dateline at all, and stays text
        assert codes in ([], ["bad-date"], ["implausible-date"])
    else:  # metadata is always read as a date, or refused
        assert codes in (["bad-date"], ["implausible-date"])
