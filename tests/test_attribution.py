"""Quotation attribution (nienbieu.attribution): word lists row by row, the issue's own
examples on the seed article, scare quotes, calibrated confidence and the shown speaker."""

from __future__ import annotations

import pytest

from nienbieu import attribution, entities
from nienbieu.attribution import Candidate, QuoteModel
from nienbieu.data import load
from nienbieu.models import Mention, Sentence

TABLE = load("quotes")


@pytest.mark.parametrize("marker", TABLE["addressee_markers"])
def test_each_addressee_marker_marks_the_name_after_it(marker):
    words = attribution._words(f"Biden nói chuyện rồi {marker} Tổng thống")
    assert attribution.marked_by(words, "addressee_markers", 4)


@pytest.mark.parametrize("marker", TABLE["cited_markers"])
def test_each_cited_marker_marks_the_name_after_it(marker):
    assert attribution.marked_by(attribution._words(f"“Chúng tôi sẵn sàng”, {marker} bà"), "cited_markers", 2)


@pytest.mark.parametrize("subject", TABLE["pronoun_subjects"])
def test_each_pronoun_subject_starts_a_subject(subject):
    assert attribution.starts_with(attribution._words(f"{subject} nói thêm"), "pronoun_subjects")


@pytest.mark.parametrize("subject", TABLE["unnamed_subjects"])
def test_each_unnamed_subject_starts_a_subject(subject):
    assert attribution.starts_with(attribution._words(f"{subject} giấu tên cho biết"), "unnamed_subjects")


@pytest.mark.parametrize("verb", TABLE["framing_verbs"])
def test_each_framing_verb_frames_a_quotation(verb):
    text = f"Ông Hùng {verb}: “Chúng tôi sẽ tiếp tục làm việc với các đối tác.”"
    sentence = Sentence(0, text, 0, mentions=[Mention(4, 8, "Hùng", "PER")])
    span = attribution.Span(0, 0, text.index("“"), len(text))
    assert [m.group() for _, m in attribution.framing_verbs([sentence], span)] == [verb]


def test_plain_words_are_in_no_list():
    assert not attribution.starts_with(attribution._words("Hà Nội cho biết"), "pronoun_subjects")
    assert not attribution.marked_by(attribution._words("Biden nói"), "addressee_markers", 4)


def _quotes(article):
    return {q.text[:30]: q for s in article.sentences for q in s.quotes}


def test_the_speaker_of_a_quotation_said_to_somebody_is_the_one_who_says_it(seeds):
    # issue 18's own example: "“…,” Biden nói với Stoltenberg" went to the addressee
    quote = _quotes(seeds["vilnius"])["Tôi nghĩ bạn đã hoàn thành một"]
    assert quote.candidate == "Biden"
    assert quote.confidence is not None and 0 < quote.confidence < 1


def test_a_quotation_following_another_goes_to_its_speaker(seeds):
    # “Các đồng minh NATO chưa bao giờ…” follows Biden's quotation with no speech verb of its own
    quote = _quotes(seeds["vilnius"])["Các đồng minh NATO chưa bao gi"]
    assert quote.candidate == "Biden"


def test_speaker_after_the_quotation(seeds):
    quote = _quotes(seeds["vilnius"])["Chúng tôi đã tăng cường sức mạ"]
    assert quote.candidate == "Biden"


def test_a_scare_quote_is_not_a_quote():
    text = "Bắc Kinh nói Nhật Bản dựa vào cái gọi là “mối đe dọa bên ngoài” để tăng chi tiêu."
    mentions = [Mention(0, 8, "Bắc Kinh", "LOC"), Mention(13, 21, "Nhật Bản", "LOC")]
    sentence = Sentence(0, text, 0, mentions=mentions)
    [term] = entities.attribute_quotes([sentence])
    assert term.text == "mối đe dọa bên ngoài"
    assert attribution.attribute([sentence], [term]) == []


MODEL = QuoteModel({"same_sentence": 1.0, "verb_subject": 2.0}, (1.0, 0.0), 0.8)


def test_the_confidence_is_a_logistic_of_the_margin():
    found = [
        Candidate(None, {"nobody": 1.0}),
        Candidate("A", {"same_sentence": 1.0, "verb_subject": 1.0}),
        Candidate("B", {"same_sentence": 1.0}),
    ]
    name, confidence = attribution.choose(found, MODEL)
    assert name == "A"
    assert confidence == pytest.approx(1 / (1 + 2.718281828459045**-2.0))


def test_a_speaker_below_the_threshold_is_not_shown_but_kept_as_candidate():
    text = "“Chúng tôi sẽ tiếp tục đàm phán trong tuần tới với các đối tác”, ông An nói với ông Bình."
    mentions = [Mention(text.index("An"), text.index("An") + 2, "An", "PER"),
                Mention(text.index("Bình"), text.index("Bình") + 4, "Bình", "PER")]  # fmt: skip
    sentence = Sentence(0, text, 0, mentions=mentions)
    found = entities.attribute_quotes([sentence])
    sure = QuoteModel({"verb_subject": 5.0, "addressee": -5.0}, (1.0, 0.0), 0.5)
    unsure = QuoteModel(sure.weights, (1.0, 0.0), 0.9999999)
    [shown] = attribution.attribute([sentence], found, sure)
    [hidden] = attribution.attribute([sentence], found, unsure)
    assert (shown.speaker, shown.candidate) == ("An", "An")
    assert (hidden.speaker, hidden.candidate, hidden.confidence) == (None, "An", shown.confidence)


def test_the_shipped_model_names_every_feature():
    model = attribution.model()
    assert set(model.weights) == set(attribution.FEATURES)
    assert 0 < model.threshold < 1


@pytest.mark.parametrize("opener", TABLE["clause_openers"])
def test_each_clause_opener_is_passed_over_to_the_subject(opener):
    words = attribution._words(f"{opener} một nhà ngoại giao giấu tên")
    assert attribution.starts_with(attribution._without_openers(words), "unnamed_subjects")


def test_quotations_running_over_paragraphs_are_found_with_their_speaker(seeds):
    # issue 18: "“…" in one paragraph, "…”, bà Mogherini nói." in the next; "ông Kerry cho biết:
    # “…" closed a paragraph later
    quotes = _quotes(seeds["ngoaitruong"])
    mogherini = quotes["Quy mô và bản chất của những t"]
    assert mogherini.candidate == "Mogherini" and mogherini.text.endswith("phải đảm bảo an ninh cho họ")
    kerry = quotes["Tôi tin tưởng chính quyền mới "]
    assert kerry.candidate == "Kerry" and kerry.text.endswith("thì đó sẽ là sự lựa chọn của họ")


def test_the_source_that_cites_a_speaker_is_not_the_speaker():
    text = "“Chúng tôi sẽ công bố kết quả vào tuần tới”, hãng RIA-Novosti dẫn lời ông Dmitry Peskov."
    mentions = [
        Mention(text.index("RIA"), text.index("RIA") + 11, "RIA-Novosti", "ORG"),
        Mention(text.index("Dmitry"), len(text) - 1, "Dmitry Peskov", "PER"),
    ]
    sentence = Sentence(0, text, 0, mentions=mentions)
    [quote] = attribution.attribute([sentence], entities.attribute_quotes([sentence]))
    assert quote.candidate == "Dmitry Peskov"
