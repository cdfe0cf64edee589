import re
from datetime import date

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
