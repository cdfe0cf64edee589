import re
from datetime import date, time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nienbieu import timex

EXAMPLES = [
    pytest.param(text, dct, value, id=f"{rule.name}:{text[:30]}")
    for rule in timex.rules()
    for text, dct, value in rule.examples
]


@pytest.mark.parametrize(("text", "dct", "value"), EXAMPLES)
def test_every_rule_example(text, dct, value):
    found = timex.tag(text, None if dct == "-" else date.fromisoformat(dct))
    assert value in [t.value for t in found]


@pytest.mark.parametrize(
    "text",
    [
        "Sáng kiến NATO 2030",
        "vị tổng thống 80 tuổi",
        "lần thứ 40 tổng thống",
        "dành 2% GDP",
        "trị giá 325 triệu USD",
        "trong số 31 quốc gia thành viên",
        "văn kiện thành lập NATO: Điều 5",
        "tăng 1/3 dân số",
        "thứ ba là vấn đề tài chính",
        "thứ 5 là",
    ],
)
def test_not_time_expressions(text):
    assert [t.text for t in timex.tag(text, date(2023, 6, 14))] == []


def test_prepositions_are_outside_the_span():
    [found] = timex.tag("người sẽ từ chức vào tháng 9", date(2023, 6, 14))
    assert (found.text, found.value, found.tense) == ("tháng 9", "2023-09", "future")


def test_modifier_and_anchor_are_reported():
    [found] = timex.tag("hội nghị sẽ diễn ra vào cuối năm nay", date(2021, 2, 19))
    assert (found.text, found.value, found.modifier, found.anchor) == (
        "cuối năm nay",
        "2021",
        "END",
        "2021-02-19",
    )


def test_past_tense_month_resolves_to_the_previous_year_when_later_than_dct():
    [found] = timex.tag("Phần Lan đã trở thành thành viên vào tháng 9", date(2023, 6, 14))
    assert found.value == "2022-09"


def test_weekday_in_a_past_sentence_is_the_latest_one_up_to_dct():
    [found] = timex.tag("ông Stoltenberg nói hôm thứ Ba", date(2023, 6, 14))
    assert found.value == "2023-06-13"


def test_same_day_refers_to_the_previous_date_in_the_article():
    tagged = timex.tag_document(
        ["Trong ngày 6/12, các ngoại trưởng họp.", "Cùng ngày có họp khác."], date(2016, 12, 7)
    )
    assert tagged[1][0].value == tagged[0][0].value == "2016-12-06"


def test_future_tense_moves_an_underspecified_date_past_the_dct():
    [found] = timex.tag("Trong ngày 7/10, các ngoại trưởng sẽ họp.", date(2016, 12, 7))
    assert (found.value, found.tense) == ("2017-10-07", "future")


def test_underspecified_date_without_dct_keeps_unknown_year():
    [found] = timex.tag("Tại cuộc họp ngày 6/12, các bên", None)
    assert found.value == "XXXX-12-06" and not timex.is_resolved(found.value)


def test_duration_and_approximation():
    [found] = timex.tag("cuộc hội đàm kéo dài khoảng 45 phút", None)
    assert (found.type, found.value, found.modifier) == ("DURATION", "PT45M", "APPROX")


def test_invalid_calendar_dates_are_not_dates():
    assert timex.tag("ngày 31/2/2021", None) == []


@given(st.text(), st.none() | st.dates())
def test_tagger_never_crashes(text, dct):
    for found in timex.tag(text, dct):
        assert text[found.start : found.end] == found.text


_VOCAB = [
    "ngày",
    "tháng",
    "năm",
    "hôm",
    "thứ",
    "Ba",
    "đầu",
    "cuối",
    "qua",
    "tới",
    "sẽ",
    "đã",
    "vào",
    "sáng",
    "tối",
    "nay",
    "trước",
    "khoảng",
    "2021",
    "14",
    "7",
    "/",
    "-",
    "15",
    ",",
    "(",
    ")",
    "âm lịch",
    "rằm",
    "mùng",
    "Tết",
    "tuần",
    "quý",
    "III",
    "giờ",
    "30",
    "cách đây",
    "hằng",
]


@given(st.lists(st.sampled_from(_VOCAB), max_size=14))
def test_indexed_search_equals_scanning_every_rule(words):
    text = " ".join(words)
    fast = [(s, e, r.name) for s, e, r, _ in timex.find(text)]
    slow = [(s, e, r.name) for s, e, r, _ in timex.find(text, exhaustive=True)]
    assert fast == slow


def test_indexed_search_equals_scanning_every_rule_on_the_seeds(seeds):
    for article in seeds.values():
        for sentence in article.sentences:
            fast = [(s, e, r.name) for s, e, r, _ in timex.find(sentence.text)]
            assert fast == [(s, e, r.name) for s, e, r, _ in timex.find(sentence.text, exhaustive=True)]


def test_trie_alternation_prefers_the_longest_word():
    pattern = re.compile(timex._alternation(["tháng", "tháng Giêng", "thập", "th"]))
    assert [pattern.match(w).group() for w in ["tháng Giêng", "tháng Hai", "thập niên", "thứ"]] == [
        "tháng Giêng",
        "tháng",
        "thập",
        "th",
    ]


def test_giua_before_a_second_date_means_between():
    found = timex.tag("bị tấn công ở Yemen giữa tháng 9/2012 và tháng 6/2013.", None)
    assert [(t.text, t.value, t.modifier) for t in found] == [
        ("tháng 9/2012", "2012-09", None),
        ("tháng 6/2013", "2013-06", None),
    ]
    assert timex.tag("giữa tháng 9/2012, ông nói", None)[0].modifier == "MID"


def test_vague_references_are_not_calendar_values():
    assert not timex.is_resolved("PAST_REF") and not timex.is_resolved("FUTURE_REF")
    assert timex.is_resolved("2013-10-22") and timex.is_resolved("2021-02")


# --- the ends of the calendar (issue 13.1) ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "dct", "value"),
    [
        # the nearest year that has the day, never year 10000 or year 0
        ("ngày 18/2", date(9999, 12, 31), "9999-02-18"),
        ("ngày 18/2", date(1, 1, 1), "0001-02-18"),
        ("rằm tháng Giêng", date(9999, 12, 31), "9999-02-22"),
        ("rằm tháng Giêng", date(1, 1, 1), "0001-02-26"),
        ("mùng 1 Tết", date(1, 1, 1), "0001-02-12"),
        # a value that would fall off the calendar is left unresolved
        ("ngày mai", date.max, None),
        ("hôm qua", date.min, None),
        ("sáng mai", date.max, None),
        ("10 giờ sáng mai", date.max, "T10:00"),  # the clock time, on no known day
        ("thứ Hai tuần tới", date.max, None),
        ("tuần sau", date.max, None),
        ("năm sau", date(9999, 6, 1), None),
        ("năm ngoái", date(1, 6, 1), None),
        ("tháng sau", date(9999, 12, 15), None),
        ("tháng 3 năm sau", date(9999, 6, 1), None),
        ("quý I năm sau", date(9999, 6, 1), None),
        ("10000 năm trước", date(2021, 2, 19), None),
        ("hai năm trước", date(1, 6, 1), None),
        ("cách đây 30000 tháng", date(2021, 2, 19), None),
        ("cách đây 200000 tuần", date(2021, 2, 19), None),
        ("cách đây 1000000000 ngày", date(2021, 2, 19), None),
    ],
)
def test_expressions_that_would_fall_off_the_calendar_stay_unresolved(text, dct, value):
    [found] = timex.tag(text, dct)
    assert found.value == value


def test_a_borrowed_year_never_makes_a_day_that_does_not_exist():
    # 2021 has no 29 February: the first end keeps the year the DCT gave it
    found = timex.tag("từ ngày 29/2 đến tháng 8/2021", date(2020, 6, 1))
    assert [t.value for t in found] == ["2020-02-29", "2021-08"]
    assert [t.value for t in timex.tag("từ ngày 29/2 đến tháng 8/2021", None)] == ["XXXX-02-29", "2021-08"]


_POINT = re.compile(
    r"(?:(?P<y>\d{4}|XXXX)(?:-(?P<m>\d{2})(?:-(?P<d>\d{2}))?|-W(?P<w>\d{2})(?:-WE)?|-Q[1-4])?|\d{2,3})?"
    r"(?:T(?:MO|MI|AF|EV|NI|(?P<h>\d{2}):(?P<mi>\d{2})(?::(?P<s>\d{2}))?))?"
)
_OTHER_VALUE = re.compile(r"PAST_REF|FUTURE_REF|PT?(?:\d+(?:\.\d+)?|X\d*)[YMWDH]")


def is_valid_value(value: str | None) -> bool:
    """None, or a TIMEX3 value all of whose calendar parts exist: no year 0 or 10000, no month 13,
    no 30 February, no week 53 in a year of 52, no hour 24."""
    if value is None or _OTHER_VALUE.fullmatch(value):
        return True
    return all(_is_valid_point(part) for part in value.split("/"))


def _is_valid_point(part: str) -> bool:
    m = _POINT.fullmatch(part)
    if not part or m is None:
        return False
    year = 2000 if m["y"] in (None, "XXXX") else int(m["y"])  # 2000: a leap year, for "XXXX-02-29"
    try:
        if m["w"]:
            date.fromisocalendar(year, int(m["w"]), 1)
        else:
            date(year, int(m["m"] or 1), int(m["d"] or 1))
        time(int(m["h"] or 0), int(m["mi"] or 0), int(m["s"] or 0))
    except ValueError:
        return False
    return True


def test_the_value_checker_knows_what_the_calendar_lacks():
    assert [
        is_valid_value(v) for v in ("2021-02-28", "XXXX-02-29", "2020-W53-WE", "2021-08T10:00", "P3Y")
    ] == [True] * 5
    assert [is_valid_value(v) for v in ("0000", "10000", "-7979", "2021-02-29", "2021-13", "2021-W53")] == [
        False
    ] * 6


_TEMPLATES = [
    "ngày {d}/{m}/{y}",
    "ngày {d}/{m}",
    "ngày {d} tháng {m} năm {y}",
    "năm {y}",
    "tháng {m} năm {y}",
    "tháng {m}/{y}",
    "tháng {m} năm sau",
    "từ ngày {d}/{m} đến tháng 8/{y}",
    "từ {y} đến {y2}",
    "{n} năm trước",
    "cách đây {n} ngày",
    "cách đây {n} tuần",
    "cách đây {n} tháng",
    "{n} năm qua",
    "thế kỷ {n}",
    "rằm tháng {m}",
    "mùng {d} Tết",
    "ngày {d} tháng {m} âm lịch năm {y}",
    "quý {m} năm tới",
    "{h}:{mi} ngày {d}/{m}/{y}",
    "{h} giờ sáng mai",
    "sáng {d}/{m}",
    "hôm qua",
    "ngày mai",
    "tối qua",
    "thứ Hai tuần tới",
    "hôm thứ Ba",
    "cuối tuần này",
    "tuần sau",
    "tháng trước",
    "năm ngoái",
    "cùng ngày",
]
_ANY_INT = st.integers(-5, 100) | st.integers()


@given(
    st.sampled_from(_TEMPLATES),
    st.integers(-(10**6), 10**6) | st.integers(1500, 2300),
    _ANY_INT,
    _ANY_INT,
    st.integers(0, 10**15) | st.integers(0, 100),
    st.none() | st.dates() | st.sampled_from([date.min, date.max]),
)
def test_any_numbers_against_any_dct_give_valid_values_or_none(template, y, m, d, n, dct):
    text = template.format(y=y, y2=y + n, m=m, d=d, n=n, h=m, mi=d)
    for found in timex.tag(text, dct):
        assert is_valid_value(found.value), (text, dct, found)
