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
