import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nienbieu import rouge


def test_diacritics_are_kept_and_compared():
    assert rouge.tokens("Hà Nội, ngày 6/12: TP.HCM") == ["hà", "nội", "ngày", "6", "12", "tp", "hcm"]
    # "Hà Nội" and "Ha Noi" are different syllables, not silently equal
    assert rouge.rouge_n("Hà Nội", "Ha Noi", 1).f1 == 0.0
    assert rouge.rouge_n("Hà Nội", "hà nội", 1).f1 == 1.0
    # tones differ: "mua" (buy) is not "mưa" (rain) nor "múa" (dance)
    assert rouge.rouge_n("trời mưa", "trời múa", 1).f1 == 0.5


def test_segmented_and_plain_text_score_alike():
    assert rouge.tokens("máy_bay không_người_lái") == ["máy", "bay", "không", "người", "lái"]
    assert rouge.rouge_n("máy_bay không_người_lái", "máy bay không người lái", 2).f1 == 1.0


def test_nfd_input_is_normalised():
    import unicodedata

    nfd = unicodedata.normalize("NFD", "Nguyễn Phú Trọng")
    assert rouge.rouge_n(nfd, "Nguyễn Phú Trọng", 1).f1 == 1.0


def test_rouge_n_counts_clipped_ngrams():
    score = rouge.rouge_n("mỹ mỹ mỹ nato", "mỹ và nato", 1)
    assert score.precision == pytest.approx(2 / 4)  # "mỹ" counts once: the reference has it once
    assert score.recall == pytest.approx(2 / 3)
    assert rouge.rouge_n("mỹ và nato", "mỹ và nato họp", 2).recall == pytest.approx(2 / 3)


def test_rouge_l_is_the_longest_common_subsequence():
    assert rouge.lcs_length(["a", "b", "c", "d", "e"], ["a", "c", "e", "f"]) == 3
    score = rouge.rouge_l("Nga tấn công Ukraine hôm qua", "hôm qua Nga tấn công miền đông Ukraine")
    assert score.precision == pytest.approx(4 / 6)
    assert score.recall == pytest.approx(4 / 8)


def test_several_references_are_averaged():
    score = rouge.rouge_n("NATO họp", ["NATO họp", "EU họp"], 1)
    assert score.recall == pytest.approx((1.0 + 0.5) / 2)


def test_truncate_keeps_the_word_budget():
    assert rouge.truncate("Hà Nội, ngày 6/12 — trời mưa.", 4) == "hà nội ngày 6"


@given(st.text(max_size=80))
def test_a_text_scores_one_against_itself(text):
    score = rouge.rouge_n(text, text, 1)
    assert score.f1 == (1.0 if rouge.tokens(text) else 0.0)
    assert 0.0 <= rouge.rouge_l(text, "một bản tóm tắt khác").f1 <= 1.0


def test_timeline_metrics():
    system = {"2023-07-11": ["NATO họp ở Vilnius"], "2023-07-12": ["Ukraine được mời"]}
    reference = {"2023-07-11": ["hội nghị NATO ở Vilnius"], "2023-07-20": ["Ukraine được mời"]}
    scores = rouge.timeline_scores(system, reference)
    assert scores["date"].f1 == pytest.approx(0.5)
    # concatenation ignores dates: "Ukraine được mời" matches wherever it is
    assert scores["concat-1"].precision == pytest.approx(6 / 7)  # all but "họp"
    # agreement counts it only under the same date
    assert scores["agreement-1"].precision == pytest.approx(3 / 7)  # "nato ở vilnius"
    assert scores["agreement-1"].recall == pytest.approx(3 / 8)
    # align pairs dates one-to-one at least total cost 1 - 1/(d+1): {11↔11, 12↔20} costs 0 + 8/9,
    # {11↔20, 12↔11} 9/10 + 1/2; so "Ukraine được mời" earns its 3 syllables at 1/(8+1) both ways
    assert scores["align-1"].precision == pytest.approx((3 + 1 / 3) / 7)
    assert scores["align-1"].recall == pytest.approx((3 + 1 / 3) / 8)
    # align+ m:1 (AR-1): by date alone system 07-12 would take reference 07-11 (cost 1/2 < 8/9) and
    # share nothing; with content 07-12 -> 07-20 costs (1 - 1/9)·(1 - 1) = 0
    assert scores["align+-1"].precision == pytest.approx((3 + 1 / 3) / 7)
    assert scores["align+-1"].recall == pytest.approx((3 + 1 / 3) / 8)
    by_date_m1 = rouge.align_rouge(system, reference, 1, many_to_one=True)
    assert by_date_m1.precision == pytest.approx(3 / 7) and by_date_m1.recall == pytest.approx(
        (3 + 1 / 3) / 8
    )


NATO = ["NATO họp ở Vilnius"]  # 4 unigrams, 3 bigrams


def test_align_is_exact_on_identical_timelines():
    timeline = {"2021-02-18": NATO, "2021-03": ["Ukraine được mời"], "2023-07-11/2023-07-12": ["Kết thúc"]}
    for name, score in rouge.timeline_scores(timeline, timeline).items():
        assert score.precision == score.recall == pytest.approx(1.0), name


@pytest.mark.parametrize(
    ("day", "weight"),
    [
        ("2021-02-19", 1 / 2),  # one day off: 1/(1+1)
        ("2021-02-20", 1 / 3),  # two days off: 1/(2+1)
        ("2020-02-18", 1 / 367),  # a year (and a 29 February) off: next to nothing
    ],
)
def test_align_weighs_shared_ngrams_by_date_distance(day, weight):
    scores = rouge.timeline_scores({day: NATO}, {"2021-02-18": NATO})
    for name in ("align-1", "align-2", "align+-1", "align+-2"):
        assert scores[name].precision == pytest.approx(weight), name  # 4·w/4 and 3·w/3
        assert scores[name].recall == pytest.approx(weight), name
    assert scores["agreement-1"].f1 == 0.0


def test_align_is_one_to_one_and_m1_is_many_to_one():
    system = {"2021-02-18": ["NATO họp"], "2021-02-19": ["ở Vilnius"]}
    reference = {"2021-02-18": NATO}
    # one-to-one: 02-18 takes the one reference date, 02-19 is left alone and scores nothing
    one = rouge.align_rouge(system, reference, 1)
    assert one.precision == pytest.approx(2 / 4) and one.recall == pytest.approx(2 / 4)
    # many-to-one: both system dates take the reference date, P = (2·1 + 2·1/2)/4; the reference
    # date takes its nearest system date, 02-18: R = 2/4
    m1 = rouge.align_rouge(system, reference, 1, many_to_one=True)
    assert m1.precision == pytest.approx(3 / 4) and m1.recall == pytest.approx(2 / 4)
    scores = rouge.timeline_scores(system, reference)
    assert scores["align-1"] == one
    assert scores["align+-1"].precision == pytest.approx(3 / 4)  # content leaves the pairs as they are
    assert scores["agreement-1"].precision == pytest.approx(2 / 4)


def test_align_plus_follows_content_to_a_farther_date():
    system = {"2021-02-19": NATO}
    reference = {"2021-02-18": ["Ukraine được mời"], "2021-02-21": NATO}
    scores = rouge.timeline_scores(system, reference)
    # by date alone 02-19 takes 02-18 (cost 1/2 < 2/3) and shares nothing; with content 02-21 costs
    # 2/3·(1 - 1) = 0 and its 4 syllables count at 1/3.
    assert scores["align-1"].precision == 0.0
    assert scores["align+-1"].precision == pytest.approx(1 / 3)
    # recall: one-to-one, 02-19 goes to 02-18 and 02-21 is left alone; m:1, each takes 02-19
    assert scores["align-1"].recall == 0.0
    assert scores["align+-1"].recall == pytest.approx((4 / 3) / 7)
    assert rouge.align_rouge(system, reference, 1, many_to_one=True).recall == pytest.approx((4 / 3) / 7)
    plus = rouge.align_rouge(system, reference, 1, content=True)  # align+ (1:1) follows content too
    assert plus.precision == pytest.approx(1 / 3) and plus.recall == pytest.approx((4 / 3) / 7)


def test_align_maps_month_year_and_range_to_their_first_day():
    def align(system: str, reference: str) -> float:
        return rouge.align_rouge({system: NATO}, {reference: NATO}).precision

    assert align("2021-02", "2021-02-01") == pytest.approx(1.0)
    assert align("2021-02", "2021-02-18") == pytest.approx(1 / 18)  # 17 days after the 1st
    assert align("2021", "2021-01-03") == pytest.approx(1 / 3)
    assert align("2023-07-11/2023-07-12", "2023-07-12") == pytest.approx(1 / 2)
    # a month and its 1st are the same day: the same date string wins the tie
    same_day = {"2021-02": ["Ukraine được mời"], "2021-02-01": NATO}
    assert rouge.align_rouge({"2021-02-01": NATO}, same_day).precision == pytest.approx(1.0)
    # a date that is not ISO aligns only with the same string
    assert align("không rõ", "không rõ") == pytest.approx(1.0)
    assert align("không rõ", "2021-02-18") == 0.0
    assert align("2021-02-30", "2021-02-28") == 0.0


@pytest.mark.parametrize(
    ("system", "reference"),
    [({}, {}), ({}, {"2021-02-18": NATO}), ({"2021-02-18": NATO}, {}), ({"2021-02-18": []}, {"2021": []})],
)
def test_empty_timelines_score_zero(system, reference):
    for name, score in rouge.timeline_scores(system, reference).items():
        assert score.precision == score.recall == score.f1 == 0.0, name


def test_hungarian_finds_the_cheapest_one_to_one_assignment():
    # greedy (each row its cheapest free column, in order) would take (0, 0) and pay 1 + 10
    assert rouge.hungarian(np.array([[1.0, 2.0], [1.0, 10.0]])) == [(0, 1), (1, 0)]  # 2 + 1
    # more rows than columns: one row stays unassigned
    assert rouge.hungarian(np.array([[5.0], [1.0], [3.0]])) == [(1, 0)]
    assert rouge.hungarian(np.array([[4.0, 1.0, 3.0], [2.0, 0.0, 5.0]])) == [(0, 1), (1, 0)]  # 1 + 2 < 3 + 0
    assert rouge.hungarian(np.zeros((0, 3))) == []


def test_average_is_f_of_mean_precision_and_mean_recall():
    mean = rouge.average([rouge.Score(1.0, 0.0), rouge.Score(0.0, 1.0)])
    assert (mean.precision, mean.recall, mean.f1) == (0.5, 0.5, 0.5)  # the mean of the two F is 0
    assert rouge.average([]).f1 == 0.0


def test_english_units_are_rouge_155_with_stemming_and_stopwords():
    english = rouge.english()
    # lower case, [a-z0-9] runs, "-" splits; SMART stopwords ("the", "up", "of", "is", "says") dropped; only
    # words longer than 3 characters stemmed (Porter); WordNet exceptions first ("children")
    assert english.tokens("The Clean-Up of the Gulf is ongoing, BP says -LRB- 84km -RRB-") == [
        "clean", "gulf", "ongo", "bp", "lrb", "84km", "rrb",
    ]  # fmt: skip
    assert english.tokens("Children running ran was explosions") == ["child", "run", "ran", "explos"]
    assert english.tokens("Hà Nội") == []  # "h", "n", "i" as ROUGE-1.5.5 splits them: SMART stopwords
    # the align+ content cost is on raw whitespace tokens, as tilse's ROUGE approximation
    assert english.approximate("The Clean-Up .") == ["The", "Clean-Up", "."]
    assert rouge.rouge_n("oil spills", "the spilled oil", 1, english).f1 == 1.0


def test_english_timeline_scores_use_the_english_units():
    system = {"2010-04-20": ["The rig explodes ."]}
    reference = {"2010-04-20": ["An explosion on the rig kills 11 ."], "2010-04-22": ["The rig sinks ."]}
    scores = rouge.timeline_scores(system, reference, rouge.english())
    # units: [rig, explod] against [explos, rig, kill, 11] and [rig, sink]: "rig" is shared
    assert scores["align+-1"].precision == pytest.approx(1 / 2)
    # m:1 recall: 04-20 takes 04-20 ("rig", 1/1) and 04-22 takes 04-20 too ("rig" at 1/3)
    assert scores["align+-1"].recall == pytest.approx((1 + 1 / 3) / 6)
    assert scores["align-1"].recall == pytest.approx(1 / 6)  # one-to-one: 04-22 is left alone
