from datetime import date, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nienbieu import dating, pipeline, timex
from nienbieu.models import Article, DateProvenance, Paragraph, Sentence

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
    assert estimate.date == date(2025, 7, 14)  # "sẽ … ngày 14-15 tháng 7 năm 2025": on or before
    # the posterior's 90% interval, widened by the calibrated 306 days on each side (an article's
    # own clues held the truth less often than they claimed)
    assert (estimate.start, estimate.end) == (date(2024, 5, 30), date(2026, 6, 11))


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


# --- impossible years (issue 13.1) ---------------------------------------------------------


def test_publication_dates_are_plausible_from_the_first_vietnamese_newspaper_to_two_days_ahead():
    assert dating.publication_range(TODAY) == (date(1865, 1, 1), date(2026, 11, 25))
    assert dating.is_plausible_publication(date(2026, 11, 25), TODAY)
    assert not dating.is_plausible_publication(date(2026, 11, 26), TODAY)
    assert not dating.is_plausible_publication(date(1864, 12, 31), TODAY)
    assert dating.publication_range(date.max) == (date(1865, 1, 1), date.max)  # no overflow


@pytest.mark.parametrize("year_hint", [1, 1000, 9999])
def test_an_impossible_copyright_year_is_no_evidence(year_hint):
    a = article(
        "Hội nghị sẽ diễn ra vào tháng 9 tại Brussels với sự tham dự của các bộ trưởng.", year_hint=year_hint
    )
    assert dating.infer_dct(a, today=TODAY) is None  # as without a year: nothing says which year


@pytest.mark.parametrize("bogus", [datetime(9999, 12, 31), datetime(1, 1, 1)])
def test_a_bogus_stated_date_in_the_corpus_does_not_stop_inference(bogus):
    # a store written before stated dates were checked may hold one
    corpus = [
        article("Bài cũ về một hội nghị khác ở châu Âu, không liên quan.", published=bogus),
        article(
            "Ngày 21/10, hội nghị khai mạc tại Hà Nội với sự tham dự của nhiều nước.",
            published=datetime(2013, 10, 21),
        ),
    ]
    undated = article("Năm 2013, hội nghị đã bế mạc tại Hà Nội sau ba ngày làm việc.")
    estimate = dating.infer_dct(undated, [*corpus, undated], today=TODAY)
    assert (estimate.start.year, estimate.date.year) == (2013, 2013)
    assert estimate.end <= date(2026, 11, 25)
    # the bogus date is no evidence: the corpus is the one article of 21/10/2013
    assert [note for note in estimate.evidence if note.startswith("corpus")] == [
        "corpus dated 2013-10-21..2013-10-21"
    ]


def test_an_estimate_is_never_later_than_two_days_after_today():
    a = article("Năm 2019, các nước đã thống nhất rằng hội nghị sẽ diễn ra vào năm 2030 tại Brussels.")
    estimate = dating.infer_dct(a, today=TODAY)
    # "sẽ … 2030" pulls towards 2030, but no later than the last plausible day
    assert estimate.date == date(2026, 11, 25) and estimate.end <= date(2026, 11, 25)
    # written before 2030, but nothing says when: no day before today is more likely than another
    assert dating.infer_dct(article("Hội nghị sẽ diễn ra vào năm 2030 tại Brussels."), today=TODAY) is None


_SENTENCE = st.sampled_from(
    [
        "Ngày {d}/{m}/{y}, hội nghị khai mạc.",
        "Năm {y} sẽ có bầu cử.",
        "{n} năm trước, ông đã đến.",
        "Hôm thứ Ba tháng {m}.",
    ]
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            _SENTENCE,
            st.integers(-(10**5), 10**5) | st.integers(1600, 2200),
            st.integers(-3, 40),
            st.integers(-3, 40),
            st.integers(0, 10**12),
        ),
        max_size=4,
    ),
    st.none() | st.integers(-(10**6), 10**6) | st.integers(1500, 2200),
    st.lists(st.dates(), max_size=3),
    st.dates(),
)
def test_inference_never_raises_and_stays_in_the_plausible_range(sentences, year_hint, stated, today):
    texts = [t.format(y=y, m=m, d=d, n=n) for t, y, m, d, n in sentences]
    undated = _bare_article("u", texts, year_hint=year_hint)
    corpus = [
        _bare_article(f"c{i}", [f"Bài số {i} về hội nghị."], published=datetime(s.year, s.month, s.day))
        for i, s in enumerate(stated)
    ]
    estimate = dating.infer_dct(undated, [*corpus, undated], today=today)
    if estimate is not None:
        first, last = dating.publication_range(today)
        assert first <= min(estimate.start, estimate.date) and max(estimate.date, estimate.end) <= last


def _bare_article(
    id_: str, texts: list[str], published: datetime | None = None, year_hint: int | None = None
) -> Article:
    """An article with sentences but no entity analysis: all date inference reads."""
    return Article(
        id=id_,
        source=f"{id_}.txt",
        body=[Paragraph(t) for t in texts],
        published=published,
        published_provenance=DateProvenance.STATED if published else DateProvenance.UNKNOWN,
        year_hint=year_hint,
        sentences=[Sentence(i, t, i, article_id=id_) for i, t in enumerate(texts)],
    )


# --- calibration (issue 15) ----------------------------------------------------------------


def test_clues_that_contradict_each_other_give_a_wide_window_not_a_confident_day():
    # announced for 15/7/2025 with "sẽ", yet another clue reports 20/3/2026 as past
    a = article(
        "Hội nghị thượng đỉnh sẽ diễn ra vào ngày 15/7/2025 tại Brussels.",
        "Ngày 20/3/2026, các bộ trưởng đã ký tuyên bố chung tại Hà Nội.",
    )
    grid, evidence = dating._posterior(a, (), TODAY)
    assert dating._raw(grid, evidence).conflicts == 1  # the rest all but rules one of them out
    estimate = dating.infer_dct(a, today=TODAY)
    assert estimate.date == date(2026, 3, 20)
    assert (estimate.start, estimate.end) == (date(2023, 12, 8), date(2026, 11, 25))  # holds both readings
    assert estimate.confidence == 0.069


def test_a_clue_the_rest_rules_out_is_averaged_in_left_out():
    days = np.arange(1000)
    sharp = lambda centre: np.log(0.1 / 1000 + 0.9 * (np.abs(days - centre) <= 2) / 5)  # noqa: E731

    def blend(*centres: int) -> tuple[np.ndarray, int]:
        evidence = dating._Evidence(np.zeros(1000))
        for term in map(sharp, centres):
            evidence.loglik += term
            evidence.terms.append(term)
            evidence.own.append(True)
        return dating._blend(evidence)

    # one clue against one: either may be the wrong one, both readings stay
    posterior, conflicts = blend(100, 800)
    assert conflicts == 2
    assert [round(float(posterior[c - 2 : c + 3].sum()), 2) for c in (100, 800)] == [
        0.46,
        0.46,
    ]  # and the floor
    # two against one: the lone clue is contradicted, the two are not; the two's reading wins
    posterior, conflicts = blend(100, 100, 800)
    assert conflicts == 1
    assert round(float(posterior[98:103].sum()), 2) == 1.0


def test_agreeing_clues_are_no_conflict():
    # "hôm qua (22/10)" does not say the year: its best day alone lies in any October, yet it agrees
    a = article("Ngày 21/10/2013, hội nghị đã khai mạc.", "Hôm qua (22/10), các bộ trưởng đã ký tuyên bố.")
    grid, evidence = dating._posterior(a, (), TODAY)
    assert dating._raw(grid, evidence).conflicts == 0


def test_calibration_is_read_from_the_data_table():
    # written by bench/bench_dating.py --calibrate from the `fit` clusters
    assert dating._calibration("alone")["margin_days"] == 306
    assert dating._calibration("corpus")["level"] == 0.6615
    # p: the posterior's mass within 3 days, through each regime's logistic map
    assert round(dating.calibrated_p(0.5, dating._calibration("alone")), 3) == 0.424
    assert round(dating.calibrated_p(0.5, dating._calibration("corpus")), 3) == 0.861
    assert round(dating.calibrated_p(0.0, dating._calibration("corpus")), 4) == 0.0001
    assert dating.calibrated_p(1.0, dating._calibration("corpus")) > 0.999


def test_a_posterior_level_and_interval_agree():
    days = np.arange(10, 15)
    raw = dating._Raw(days, np.array([0.05, 0.1, 0.7, 0.1, 0.05]), 2, "alone", 0.9, 0)
    assert raw.interval(0.7) == (2, 2)  # the middle day's mid-CDF is 0.5: level 0
    assert raw.interval(0.9) == (1, 3)
    assert round(raw.level(date.fromordinal(11)), 3) == 0.8
    assert raw.level(date.fromordinal(30)) == 2.0  # off the candidate days


def test_split_conformal_quantile_and_platt_scaling():
    import bench_dating  # the calibration's own code (bench/ is on the path, see conftest)

    # the ceil((n + 1) * 0.9)-th smallest of 9 values: the largest
    assert bench_dating.conformal(list(range(1, 10)), 0.9) == 9
    assert bench_dating.conformal(list(range(1, 20)), 0.9) == 18
    # all best days right: the ridge keeps the map finite and increasing
    intercept, slope = bench_dating.platt([0.2, 0.5, 0.8], [True, True, True])
    assert slope > 0 and 0 < intercept < 5


def test_calibration_narrows_overwide_windows_and_widens_narrow_ones():
    import bench_dating

    def score(regime: str, level: float, outside: int) -> bench_dating.Score:
        return bench_dating.Score("c", regime, level, outside, 0.5, outside == 0)

    # corpus: every truth inside the 90% interval, needing levels 0.01 … 0.19: narrowed
    corpus = [score("corpus", n / 100, 0) for n in range(1, 20)]
    # alone: 15 of 19 inside, 4 outside by 10, 20, 30 and 400 days: widened
    alone = [score("alone", 0.5, 0)] * 15 + [score("alone", 2.0, d) for d in (10, 20, 30, 400)]
    table = bench_dating.calibrate(corpus + alone, target=0.9)
    assert (table["corpus"]["level"], table["corpus"]["margin_days"]) == (0.18, 0)
    assert (table["alone"]["level"], table["alone"]["margin_days"]) == (0.9, 30)


@given(st.dates(min_value=date(1, 1, 1), max_value=date(9998, 1, 1)), st.integers(0, 800))
def test_a_grid_s_years_and_months_are_the_calendar_s(start, span):
    grid = dating._Grid.between(start, start + timedelta(days=span))
    days = [date.fromordinal(int(d)) for d in grid.days]
    assert grid.years.tolist() == [d.year for d in days] and grid.months.tolist() == [d.month for d in days]


def test_an_unyeared_day_is_weighed_by_its_nearest_occurrence():
    grid = dating._Grid.between(date(2023, 1, 1), date(2025, 12, 31))
    peak = 0.5 / 1.5 + 0.5 / 20  # at distance 0
    ides = dating._underspecified_day(grid, 3, 15, None)
    at = {date.fromordinal(int(d)): v for d, v in zip(grid.days, ides, strict=True)}
    assert [at[date(y, 3, 15)] for y in (2023, 2024, 2025)] == pytest.approx([peak] * 3)
    assert at[date(2024, 3, 17)] == pytest.approx(0.5 * np.exp(-2 / 1.5) / 1.5 + 0.5 * np.exp(-2 / 20) / 20)
    # 29 February exists in 2024 only: a day of 2023 is as far from it as it is
    leap = dating._underspecified_day(grid, 2, 29, "future")
    at = {date.fromordinal(int(d)): v for d, v in zip(grid.days, leap, strict=True)}
    assert at[date(2024, 2, 29)] == pytest.approx(0.45 / 1.5 + 0.55 / 40)
    a_year = 0.45 * np.exp(-365 / 1.5) / 1.5 + 0.55 * np.exp(-365 / 40) / 40
    assert at[date(2023, 3, 1)] == pytest.approx(a_year)
    assert at[date(2024, 3, 1)] < 1e-10  # the next one is four years ahead, beyond any year tried
