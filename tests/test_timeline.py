import math
from datetime import date, datetime

import numpy as np
import pytest
from conftest import TITLE_LEFT_OPEN

from nienbieu import pipeline, timeline
from nienbieu.models import Article, DateProvenance, Paragraph


def test_timeline_entries_have_correct_dates_and_sources(seeds):
    entries = timeline.build(list(seeds.values()), dates=12, sentences=2)
    by_date = {e.date: e for e in entries}
    assert "2021-02-18" in by_date
    assert by_date["2021-02-18"].sources == [seeds["vtv"].id]
    assert "ngày 18/2" in by_date["2021-02-18"].sentences[0]
    assert "2025-07-14/2025-07-15" in by_date
    assert by_date["2025-07-14/2025-07-15"].sources == [seeds["rutte"].id]
    assert by_date["2025-07-14/2025-07-15"].planned is True
    assert by_date["2021-12-10"].sources == [seeds["vtc"].id]
    assert [e.date for e in entries] == sorted(e.date for e in entries)


def test_every_sentence_is_quoted_from_its_cited_article(seeds):
    articles = {a.id: a for a in seeds.values()}
    for entry in timeline.build(list(seeds.values()), dates=12, sentences=3):
        for text, cite in zip(entry.sentences, entry.citations, strict=True):
            assert articles[cite.article_id].sentences[cite.sentence_index].text == text


def test_dates_and_sentences_limits(seeds):
    entries = timeline.build(list(seeds.values()), dates=3, sentences=1)
    assert len(entries) == 3 and all(len(e.sentences) == 1 for e in entries)


def test_only_dates_wholly_within_start_and_end(seeds):
    articles = list(seeds.values())
    everything = [e.date for e in timeline.build(articles, dates=30)]
    assert everything[:4] == ["2006", "2014", "2017", "2021"] and everything[-1] == "2030"
    # the year 2021 is not wholly in February–December; its months and days are
    in_2021 = timeline.build(articles, dates=30, start=date(2021, 2, 1), end=date(2021, 12, 31))
    assert [e.date for e in in_2021] == ["2021-02", "2021-02-18", "2021-02-19", "2021-05-01", "2021-12-10"]
    two_days = timeline.build(articles, dates=30, start=date(2021, 2, 18), end=date(2021, 2, 19))
    assert [e.date for e in two_days] == ["2021-02-18", "2021-02-19"]
    # the visit of 14–15/7/2025 began before the 15th
    assert [e.date for e in timeline.build(articles, dates=30, start=date(2025, 7, 15))] == ["2030"]


def test_undated_sentences_of_undated_articles_are_not_placed(seeds):
    dated = timeline.assign([seeds["ngoaitruong"]])
    # only the absolute "đầu năm 2017" can be placed without a publication date
    assert sorted(dated) == ["2017"]


def test_quote_fragments_are_not_summary_lines(seeds):
    lines = [t for e in timeline.build(list(seeds.values()), dates=20, sentences=3) for t in e.sentences]
    assert "Sử dụng NATO nhiều hơn như một nền tảng để tham vấn và phối hợp." not in lines


def _article(number: int, published: str, *paragraphs: str) -> Article:
    a = Article(
        id=f"a{number}",
        source=f"{number}.txt",
        body=[Paragraph(p) for p in paragraphs],
        outlet="VTV",
        published=datetime.fromisoformat(published),
        published_provenance=DateProvenance.STATED,
    )
    return pipeline.analyze(a)


SUMMIT = [
    _article(
        1,
        "2023-07-12T08:00:00",
        "Ngày 11/7, hội nghị thượng đỉnh NATO khai mạc tại Vilnius, có Tổng thống Mỹ Joe Biden tham dự.",
        "Hôm 11/7, Tổng thư ký NATO Jens Stoltenberg nói: “Chúng ta đoàn kết hơn bao giờ hết”.",
    ),
    _article(
        2,
        "2023-07-13T08:00:00",
        "Hội nghị thượng đỉnh NATO khai mạc ngày 11/7 tại Vilnius, có Tổng thống Mỹ Joe Biden tham dự.",
        "Trong tháng 7, các nước NATO cũng bàn về ngân sách quốc phòng năm tới tại Brussels.",
    ),
]


def test_entries_name_their_people_places_and_quotes():
    # two lines: a2's opening (closest to what both articles say) and a1's quotation
    [entry] = [e for e in timeline.build(SUMMIT, dates=5, sentences=2) if e.date == "2023-07-11"]
    assert entry.sources == ["a1", "a2"]
    assert {"Joe Biden", "Vilnius"} <= set(entry.entities)
    assert "NATO" not in entry.entities[:2]  # on every date: named, but not first
    assert [(q.speaker, q.citation.article_id) for q in entry.quotes] == [("Jens Stoltenberg", "a1")]
    assert entry.quotes[0].text.startswith("Chúng ta đoàn kết")


def test_one_event_is_told_once_across_dates():
    lines = [t for e in timeline.build(SUMMIT, dates=10, sentences=2) for t in e.sentences]
    opening = [t for t in lines if "khai mạc" in t]
    assert len(opening) == 1  # both articles' openings say the same: one line, not one per article


def test_short_quoted_terms_are_not_entry_quotes():
    a = _article(3, "2021-12-10T08:00:00", "Ngày 9/12, ông Putin đòi “đảm bảo chính trị” từ phương Tây.")
    assert all(not e.quotes for e in timeline.build([a]))


def _dated_article(source: str, text: str) -> Article:
    from nienbieu import clean
    from nienbieu.models import RawDocument

    raw = RawDocument(source=source, text=text, published="2023-07-12T08:00:00+07:00")
    return pipeline.analyze(clean.clean(raw)[0], "syllable")


def test_an_entry_names_and_quotes_only_what_its_own_articles_say_of_the_date():
    """Two unrelated stories on one day: the entry's names and quotation come from the article
    its line is taken from (the concert's), never from the other story of that day."""
    summit = _dated_article(
        "nato.txt",
        "Thượng đỉnh NATO tại Vilnius\n\nNgày 11/7/2023, hội nghị thượng đỉnh NATO khai mạc tại Vilnius "
        "với sự tham dự của Tổng thống Mỹ Joe Biden và Tổng thư ký Jens Stoltenberg. Ngày 11/7/2023, "
        "các nhà lãnh đạo NATO thảo luận về Ukraine và chi tiêu quốc phòng tại Vilnius.",
    )
    concert = _dated_article(
        "nhac.txt",
        "Đêm nhạc ở Hà Nội\n\nNgày 11/7/2023, ca sĩ Hồ Ngọc Hà tổ chức đêm nhạc tại Hà Nội. "
        "Ngày 11/7/2023, ca sĩ Hồ Ngọc Hà nói: “Tôi rất xúc động khi được hát cho khán giả thủ đô.”",
    )
    [entry] = timeline.build([summit, concert], dates=1, sentences=1)
    assert entry.date == "2023-07-11" and entry.sources == [concert.id]
    assert entry.entities == ["Hồ Ngọc Hà", "Hà Nội"]  # not Joe Biden, Jens Stoltenberg, Vilnius
    assert [(q.speaker, q.citation.article_id) for q in entry.quotes] == [("Hồ Ngọc Hà", concert.id)]


def _record(number: int, published: str, *lines: tuple[str, list[tuple[str, str]]]) -> Article:
    """An article as bench_t17 builds them: sentences with their time expressions given."""
    from nienbieu.models import Sentence, TimeExpression

    sentences = [
        Sentence(
            i,
            text,
            i,
            timexes=[TimeExpression(0, 1, "x", "DATE", value, granularity) for value, granularity in timexes],
        )
        for i, (text, timexes) in enumerate(lines)
    ]
    return Article(
        id=f"r{number}",
        source=f"r{number}",
        body=[Paragraph(text) for text, _ in lines],
        published=datetime.fromisoformat(published),
        published_provenance=DateProvenance.STATED,
        sentences=sentences,
    )


OIL = [
    _record(
        1,
        "2010-04-21",
        ("The rig exploded on Tuesday in the Gulf of Mexico .", [("2010-04-20", "day")]),
        ("Eleven workers are missing after the rig explosion .", []),
        ("BP said on Tuesday that the rig burned all night .", [("2010-04-20", "day")]),
    ),
    _record(
        2,
        "2010-04-20",
        ("The rig is burning today in the Gulf of Mexico .", [("2010-04-20", "day")]),
        ("Coast guard boats search the Gulf for workers .", []),
        ("Drilling in the Gulf began in 2010 .", [("2010", "year")]),
    ),
]


def test_date_features_count_the_evidence_of_each_date_against_the_largest():
    buckets = timeline.assign(OIL)
    assert sorted(buckets) == ["2010", "2010-04-20", "2010-04-21"]
    rows = dict(zip(buckets, timeline.date_features(buckets, OIL), strict=True))
    named = dict(zip(timeline.DATE_FEATURES, rows["2010-04-20"], strict=True))
    # 3 sentences in 2 articles name 04-20; r1 was published after it, r2 on it; one article each
    # was published on 04-20 and 04-21. Every count is the largest of its column, so 1.0
    assert named == {
        "mentions": 1.0,
        "mention_sources": 1.0,
        "reported_after": 1.0,
        "announced_before": 0.0,
        "same_day": 1.0,
        "published": 1.0,
        "first_mentions": 1.0,
        "lead_mentions": 1.0,
        "reported_soon": 1.0,
        "background": 0.0,
        "month": 0.0,
        "year": 0.0,
    }
    # 04-21 is only r1's publication day (its undated sentence): log1p(1) / log1p(1) for "published"
    assert list(rows["2010-04-21"]) == [0, 0, 0, 0, 0, 1.0, 0, 0, 0, 0, 0, 0]
    # the year is named once by one article: log1p(1) / log1p(3) mentions, log1p(1) / log1p(2) sources
    year = dict(zip(timeline.DATE_FEATURES, rows["2010"], strict=True))
    assert year["mentions"] == pytest.approx(math.log(2) / math.log(4))
    assert year["mention_sources"] == pytest.approx(math.log(2) / math.log(3))
    assert year["year"] == 1.0


def test_the_ranker_orders_dates_and_lines_filter_the_entries():
    shipped = timeline.default_ranker()
    assert len(shipped.weights) == len(timeline.DATE_FEATURES)
    # the shipped ranker: the day named by both articles first, the year last
    assert [e.date for e in timeline.build(OIL, dates=1)] == ["2010-04-20"]
    # a ranker that counts only publications takes the two publication days before the year
    by_publication = timeline.DateRanker(tuple(float(f == "published") for f in timeline.DATE_FEATURES))
    assert [e.date for e in timeline.build(OIL, dates=2, ranker=by_publication)] == [
        "2010-04-20",
        "2010-04-21",
    ]
    # lines: only sentences with "BP" may be shown; a date without one is passed over
    only_bp = timeline.build(OIL, dates=3, sentences=2, lines=lambda s: "BP" in s.text)
    assert [(e.date, e.sentences) for e in only_bp] == [
        ("2010-04-20", ["BP said on Tuesday that the rig burned all night ."])
    ]


def test_knee_point_is_where_a_falling_curve_bends():
    assert timeline._knee(np.array([1.0, 0.9, 0.2, 0.15, 0.1])) == 2
    assert timeline._knee(np.array([1.0, 0.5])) == 0


def test_a_date_recalled_months_later_is_background():
    recalled = _record(
        3,
        "2013-10-22",
        ("The crash recalls the accident of 1998 .", [("1998", "year")]),
        ("A month ago the airline bought the plane .", [("2013-09-20", "day")]),
    )
    buckets = timeline.assign([recalled])
    rows = dict(zip(buckets, timeline.date_features(buckets, [recalled]), strict=True))
    column = timeline.DATE_FEATURES.index("background")
    assert rows["1998"][column] == 1.0  # 1998 ended 15 years before
    assert rows["2013-09-20"][column] == 0.0  # 32 days: still news


def test_a_time_of_day_places_its_sentence_on_that_day():
    from nienbieu.models import TimeExpression

    crash = TimeExpression(0, 14, "16h ngày 16/10", "TIME", "2013-10-16T16:00", "time", "APPROX")
    evening = TimeExpression(0, 10, "chiều 16/10", "TIME", "2013-10-16TAF", "time")
    assert timeline.calendar_date(crash) == ("2013-10-16", "day")
    assert timeline.calendar_date(evening) == ("2013-10-16", "day")
    assert timeline.calendar_date(TimeExpression(0, 3, "16h", "TIME", "XXXX-XX-XXT16:00", "time")) is None
    assert timeline.calendar_date(TimeExpression(0, 6, "4 năm", "DURATION", "P4Y", "duration")) is None
    before = TimeExpression(0, 9, "trước 2020", "DATE", "2020", "year", "BEFORE")
    assert timeline.calendar_date(before) is None
    a = _article(4, "2013-10-17T08:00:00", "Khoảng 16h ngày 16/10, máy bay ATR-72 rơi xuống sông Mekong.")
    assert sorted(timeline.assign([a])) == ["2013-10-16"]  # not its publication day


def test_a_title_left_open_does_not_keep_a_dated_event_out_of_the_timeline():
    # the rescue of 4/9/2013 is named by one sentence only, after a title the source left open
    a = _article(5, "2013-11-03T18:29:00", " ".join(TITLE_LEFT_OPEN))
    entries = {e.date: e.sentences for e in timeline.build([a], dates=3, sentences=1)}
    assert entries["2013-09-04"] == [TITLE_LEFT_OPEN[-1]]
