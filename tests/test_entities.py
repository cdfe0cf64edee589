import socket

import pytest

from nienbieu import entities, nlp, pipeline
from nienbieu.models import Article, Paragraph


def found(text, **kw):
    return [(m.text, m.type, m.canonical) for m in entities.recognise(text, **kw)]


def test_titles_stay_outside_person_names_and_countries_are_places():
    assert found(
        "Tổng thư ký NATO Jens Stoltenberg nói hôm thứ Ba rằng Mỹ sẽ tham dự hội nghị ở Vilnius."
    ) == [
        ("NATO", "ORG", "NATO"),
        ("Jens Stoltenberg", "PER", None),
        ("Mỹ", "LOC", "Mỹ"),
        ("Vilnius", "LOC", "Vilnius"),
    ]
    assert found("Tổng thống Nga Vladimir Putin phát biểu.") == [
        ("Nga", "LOC", "Nga"),
        ("Vladimir Putin", "PER", None),
    ]


def test_organisation_heads_and_aliases():
    assert found("Bộ Quốc phòng Nga và Liên minh châu Âu (EU) lên tiếng.") == [
        ("Bộ Quốc phòng Nga", "ORG", None),
        ("Liên minh châu Âu", "ORG", "EU"),
        ("EU", "ORG", "EU"),
    ]
    assert found("Nhóm Bucharest 9 họp cùng Tổ chức Hiệp ước Bắc Đại Tây Dương.") == [
        ("Nhóm Bucharest 9", "ORG", "Bucharest 9"),
        ("Tổ chức Hiệp ước Bắc Đại Tây Dương", "ORG", "NATO"),
    ]


@pytest.mark.parametrize(
    "text",
    ["Ý kiến của ông được ghi nhận.", "Các nước đã đồng ý thông qua 40 giải pháp.", "Viện trợ tăng 2% GDP."],
)
def test_ordinary_words_are_not_entities(text):
    assert found(text) == []


def test_lower_case_names_are_found_in_hyphenated_pairs_and_sloppy_texts():
    assert found("quan hệ mỹ-nato và các nước châu âu") == [
        ("mỹ", "LOC", "Mỹ"),
        ("nato", "ORG", "NATO"),
        ("châu âu", "LOC", "châu Âu"),
    ]
    assert found("cam kết của mỹ đối với NATO") == [("NATO", "ORG", "NATO")]
    assert found("cam kết của mỹ đối với NATO", sloppy=True)[0] == ("mỹ", "LOC", "Mỹ")
    # "anh" is "you" in lower case even in a sloppy text
    assert found("anh đã nói với ông", sloppy=True) == []


def _article(*paragraphs):
    return pipeline.analyze(Article(id="a1", source="x.txt", body=[Paragraph(p) for p in paragraphs]))


def test_aliases_merge_across_the_corpus_and_shared_surnames_stay_apart():
    one = _article(
        "Tổng thống Mỹ Joe Biden gặp ông Jens Stoltenberg. Ông Stoltenberg nói rằng Biden ủng hộ NATO."
    )
    two = _article("Con trai ông, Hunter Biden, không có mặt.")
    two.id = "a2"
    linked = {(e.name, e.type): e for e in entities.link([one, two])}
    assert linked[("Jens Stoltenberg", "PER")].mentions == 2
    assert ("Stoltenberg", "PER") not in linked
    assert ("Joe Biden", "PER") in linked and ("Hunter Biden", "PER") in linked
    # "Biden" alone could be either: it is not merged into one of them
    assert ("Biden", "PER") in linked


def test_lower_case_person_names_are_truecased_from_the_corpus():
    article = _article(
        "Tổng thống Donald Trump đến Brussels. Sau đó ông trump nói các nước châu âu phải chi nhiều hơn."
    )
    entities.link([article])
    second = article.sentences[1]
    assert [(m.text, m.canonical) for m in second.mentions] == [
        ("trump", "Donald Trump"),
        ("châu âu", "châu Âu"),
    ]
    assert entities.truecase(second.text, second.mentions).startswith("Sau đó ông Trump nói các nước châu Âu")


def test_quotes_are_attributed_to_the_named_speaker_or_the_last_person():
    article = _article(
        "Ông Stoltenberg nói: “NATO sẽ bảo vệ từng tấc lãnh thổ của mình”.",
        "“Chúng tôi luôn sẵn sàng đối thoại với Nga”, ông nói thêm.",
    )
    quotes = [q for s in article.sentences for q in s.quotes]
    assert [(q.speaker, q.text.split()[:3]) for q in quotes] == [
        ("Stoltenberg", ["NATO", "sẽ", "bảo"]),
        ("Stoltenberg", ["Chúng", "tôi", "luôn"]),
    ]


def test_segmentation_runs_offline(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    words = nlp.segment("Bộ Ngoại giao Mỹ cho biết Ngoại trưởng Antony Blinken sẽ tới Hà Nội.", "underthesea")
    assert [w.text for w in words][:4] == ["Bộ", "Ngoại giao", "Mỹ", "cho"]
    assert [w.text for w in nlp.segment("Hà Nội, ngày 6/12", "syllable")] == [
        "Hà",
        "Nội",
        ",",
        "ngày",
        "6",
        "/",
        "12",
    ]


def test_seed_corpus_entities(seeds):
    linked = {(e.name, e.type): e for e in entities.link(seeds.values())}
    assert linked[("NATO", "ORG")].articles == {a.id for a in seeds.values()}
    assert {"Jens Stoltenberg", "Donald Trump", "Mark Rutte", "Joe Biden", "Vladimir Putin"} <= {
        name for name, kind in linked if kind == "PER"
    }
    assert "Hoa Kỳ" in linked[("Mỹ", "LOC")].aliases
