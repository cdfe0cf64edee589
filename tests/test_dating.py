from datetime import date, datetime

from nienbieu import dating, pipeline, timex
from nienbieu.models import Article, DateProvenance, Paragraph

TODAY = date(2026, 11, 23)


def article(*paragraphs: str, published: datetime | None = None, year_hint: int | None = None) -> Article:
    a = Article(
        id=str(hash(paragraphs)),
        source="t.txt",
        body=[Paragraph(p) for p in paragraphs],
        published=published,
        year_hint=year_hint,
        published_provenance=DateProvenance.STATED if published else DateProvenance.UNKNOWN,
    )
    return pipeline.analyze(a)


def test_planned_event_with_full_date_bounds_the_dct(seeds):
    estimate = dating.infer_dct(seeds["rutte"], today=TODAY)
    assert estimate.start >= date(2025, 1, 1)
    assert estimate.date <= date(2025, 7, 15)
    assert estimate.end <= date(2025, 12, 31)


def test_unyeared_dates_and_a_tight_corpus_pin_the_day():
    dated = [
        article(
            "Ngày 21/10, hội nghị khai mạc tại Hà Nội với sự tham dự của nhiều nước.",
            published=datetime(2013, 10, 21, 9, 0),
        ),
        article(
            "Hội nghị bế mạc chiều 23/10 sau ba ngày làm việc tại Hà Nội.",
            published=datetime(2013, 10, 23, 18, 0),
        ),
    ]
    undated = article("Hôm qua (22/10), các bộ trưởng đã ký tuyên bố chung tại hội nghị ở Hà Nội.")
    estimate = dating.infer_dct(undated, [*dated, undated], today=TODAY)
    assert abs((estimate.date - date(2013, 10, 23)).days) <= 1
    assert estimate.confidence >= dating.HIGH_CONFIDENCE


def test_historical_years_alone_give_a_wide_window_not_a_confident_date():
    a = article("Hiệp ước được ký năm 1992 và sửa đổi năm 1998, theo các nhà sử học.")
    estimate = dating.infer_dct(a, today=TODAY)
    assert estimate.start <= date(1999, 1, 1) and estimate.end >= date(2020, 1, 1)
    assert estimate.confidence < 0.1


def test_no_year_and_no_corpus_means_unknown():
    assert (
        dating.infer_dct(article("Hôm thứ Ba, ông ấy phát biểu tại Quốc hội về ngân sách."), today=TODAY)
        is None
    )


def test_a_spread_out_corpus_does_not_pull_the_estimate(seeds):
    corpus = list(seeds.values())
    alone = dating.infer_dct(seeds["vilnius"], today=TODAY)
    with_corpus = dating.infer_dct(seeds["vilnius"], corpus, today=TODAY)
    # the two dated seeds are ten months apart: a long-running story, no range prior
    assert not any(e.startswith("corpus dated") for e in with_corpus.evidence)
    assert (alone.start, alone.end) == (with_corpus.start, with_corpus.end)


def test_copyright_year_is_evidence():
    a = article(
        "Hội nghị sẽ diễn ra vào tháng 9 tại Brussels với sự tham dự của các bộ trưởng.", year_hint=2024
    )
    estimate = dating.infer_dct(a, today=TODAY)
    assert estimate.start.year == 2024 or estimate.date.year == 2024
    assert "© 2024" in estimate.evidence


def test_window_leaves_values_that_depend_on_the_exact_dct_unresolved():
    sentences = ["Hôm thứ Ba, ông phát biểu.", "Hội nghị sẽ họp vào tháng 9."]
    wide = timex.tag_document(sentences, date(2023, 6, 14), window=(date(2023, 5, 1), date(2023, 7, 1)))
    assert wide[0][0].value is None  # which Tuesday depends on the exact DCT
    assert wide[1][0].value == "2023-09"  # every DCT in the window gives the same September


def test_is_reliable():
    stated = Article(
        id="a",
        source="a",
        body=[],
        published=datetime(2021, 1, 1),
        published_provenance=DateProvenance.STATED,
    )
    weak = Article(
        id="b",
        source="b",
        body=[],
        published=datetime(2021, 1, 1),
        published_provenance=DateProvenance.INFERRED,
        published_confidence=0.3,
    )
    assert dating.is_reliable(stated) and not dating.is_reliable(weak)


def test_dated_corpus_finds_the_retold_story_among_unrelated_ones():
    story = "Bộ trưởng Quốc phòng Nhật Bản Itsunori Onodera trình kế hoạch bắn hạ máy bay không người lái."
    others = [
        article(
            f"Đội tuyển bóng đá thắng trận thứ {n} liên tiếp tại sân Mỹ Đình.", published=datetime(2013, 9, n)
        )
        for n in range(1, 8)
    ]
    retold = article(story + " Trung Quốc phản đối.", published=datetime(2013, 10, 22, 8, 0))
    undated = article(story)
    corpus = dating.DatedCorpus.build([*others, retold, undated])
    assert [day for day, _ in corpus.neighbours(undated)] == [date(2013, 10, 22)]
    assert corpus.neighbours(retold) == []  # an undated article is no neighbour, nor the article itself
    assert corpus.date_range(undated) == (date(2013, 9, 1), date(2013, 10, 22))
    assert corpus.date_range(retold) == (date(2013, 9, 1), date(2013, 9, 7))  # not its own date
