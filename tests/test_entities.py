import socket
from collections import Counter

import pytest

from nienbieu import entities, nlp, pipeline
from nienbieu.models import Article, Paragraph, Sentence


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
    words = nlp.segment_pyvi("Bộ Ngoại giao Mỹ cho biết Ngoại trưởng Antony Blinken sẽ tới Hà Nội.")
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


# --- data tables, one check per row ----------------------------------------------------


@pytest.mark.parametrize(
    ("alias", "canonical", "kind"), sorted((a, k.canonical, k.type) for a, k in entities.gazetteer().items())
)
def test_every_gazetteer_alias_is_found_as_its_entity(alias, canonical, kind):
    carrier = (
        f"Phái đoàn đã tới {alias} hôm qua."
        if kind == "LOC"
        else f"Hôm qua, đại diện {alias} cho biết như vậy."
    )
    assert found(carrier) == [(alias, kind, canonical)]


def test_no_alias_names_two_entities():
    owners: dict[str, set[str]] = {}
    for name, _, aliases in entities._gazetteer_rows():
        for alias in [name, *aliases]:
            owners.setdefault(alias.lower(), set()).add(name)
    assert {a: o for a, o in owners.items() if len(o) > 1} == {}


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        # vietnamese_surnames: a run of Vietnamese syllables is a person only after a family name
        ("Ca sĩ trẻ Bùi Anh Tuấn ra mắt sản phẩm mới.", [("Bùi Anh Tuấn", "PER")]),
        ("Đoàn khách thăm Vịnh Xanh rồi về nước.", []),
        # title_modifiers count only before a title; "Tân" alone is part of a name
        ("Cựu Tổng thống Mỹ Barack Obama tới dự.", [("Mỹ", "LOC"), ("Barack Obama", "PER")]),
        ("Học sinh trường Tân Lập 2 đoạt giải.", [("Tân Lập 2", "ORG")]),
        # person_titles "Sir", name_particles inside foreign names
        ("Sir Alex nghỉ hưu năm 2013.", [("Alex", "PER")]),
        (
            "Bà Ursula von der Leyen phát biểu tại Brussels.",
            [("Ursula von der Leyen", "PER"), ("Brussels", "LOC")],
        ),
        # org_heads incl. party committees, org_place_links, org_heads_abroad, org_tails
        (
            "Chủ tịch UBND tỉnh Quảng Nam Lê Trí Thanh chỉ đạo.",
            [("UBND tỉnh Quảng Nam", "ORG"), ("Lê Trí Thanh", "PER")],
        ),
        ("Thành ủy Đà Nẵng họp phiên bất thường.", [("Thành ủy Đà Nẵng", "ORG")]),
        (
            "Đại sứ quán Việt Nam tại Nhật Bản khuyến cáo công dân.",
            [("Đại sứ quán Việt Nam tại Nhật Bản", "ORG")],
        ),
        ("Thư viện được Bảo tàng Mỹ thuật quốc gia tài trợ.", [("Bảo tàng Mỹ thuật quốc gia", "ORG")]),
        (
            "Dự án do Bộ Lao động, Thương binh và Xã hội chủ trì.",
            [("Bộ Lao động, Thương binh và Xã hội", "ORG")],
        ),
        # a title before an organisation before a person: split
        (
            "Bộ trưởng Bộ Tài chính Hồ Đức Phớc trả lời chất vấn.",
            [("Bộ Tài chính", "ORG"), ("Hồ Đức Phớc", "PER")],
        ),
        # org_cues (lower case, outside) vs org_heads (capitalised, inside)
        ("Theo hãng tin Reuters, giá dầu giảm.", [("Reuters", "ORG")]),
        ("Tập đoàn Hoa Sen công bố lợi nhuận.", [("Tập đoàn Hoa Sen", "ORG")]),
        # org_suffixes and org_word_endings
        (
            "Ông Tim Cook rời Apple Inc để lập Orion Capital Partners.",
            [("Tim Cook", "PER"), ("Apple Inc", "ORG"), ("Orion Capital Partners", "ORG")],
        ),
        ("Khách hàng Navibank được hỗ trợ.", [("Navibank", "ORG")]),
        # a foreign company and its country
        ("Giám đốc Honda Việt Nam cho biết doanh số tăng.", [("Honda Việt Nam", "ORG")]),
        # misc_heads merge with the place after them; misc_cues make a name a product
        ("Hiệp ước Bắc Đại Tây Dương có hiệu lực từ năm 1949.", [("Hiệp ước Bắc Đại Tây Dương", "MISC")]),
        (
            "Nga phóng tên lửa Iskander từ Belarus.",
            [("Nga", "LOC"), ("Iskander", "MISC"), ("Belarus", "LOC")],
        ),
        # function_words cut or open runs; not_entities abbreviations are skipped
        ("Theo Bộ Công Thương, xuất khẩu tăng 12%.", [("Bộ Công Thương", "ORG")]),
        ("Số DN lọt vào BXH năm nay tăng.", []),
        # loanwords are not names; a lone foreign word without a cue is left alone
        ("Giới trẻ dùng Internet nhiều hơn.", []),
        ("Tiền đạo này chuyền bóng cho Benzema ghi bàn.", []),
        ("Tiền đạo Benzema ghi bàn.", [("Benzema", "PER")]),
        # quoted titles of works
        ("Chương trình 'Giọng Hát Việt 2024' lên sóng.", [("Giọng Hát Việt 2024", "MISC")]),
        # a one-syllable country inside a longer name, and before a family name (a title)
        ("Anh Lê Văn Nam đến quận Thủ Đức.", [("Lê Văn Nam", "PER"), ("Thủ Đức", "LOC")]),
        ("Brunei áp dụng luật mới.", [("Brunei", "LOC")]),
        # lower-case sentences: gazetteer names and foreign names after a title
        ("bộ trưởng ngoại giao lavrov tới ấn độ", [("lavrov", "PER"), ("ấn độ", "LOC")]),
    ],
)
def test_recognition_rules(sentence, expected):
    assert [(text, kind) for text, kind, _ in found(sentence)] == expected


@pytest.mark.parametrize(
    ("word", "vietnamese"),
    [
        ("nghiêng", True),
        ("khuỷu", True),
        ("quốc", True),
        ("giữ", True),
        ("anh", True),
        ("đường", True),
        ("trump", False),
        ("kiev", False),
        ("nato", False),
        ("stoltenberg", False),
        ("Brunei", False),
    ],
)
def test_vietnamese_syllable_shape(word, vietnamese):
    assert entities.vietnamese_syllable(word) is vietnamese


def test_a_quotation_over_several_sentences_is_one_quote():
    article = _article(
        "Ông Stoltenberg nói: “NATO sẽ bảo vệ từng tấc lãnh thổ. Không ai được nghi ngờ điều đó. "
        "Chúng tôi sẵn sàng”. Sau đó ông rời Vilnius."
    )
    quotes = [q for s in article.sentences for q in s.quotes]
    assert [(q.speaker, q.sentence_index, q.text) for q in quotes] == [
        (
            "Stoltenberg",
            0,
            "NATO sẽ bảo vệ từng tấc lãnh thổ. Không ai được nghi ngờ điều đó. Chúng tôi sẵn sàng",
        ),
    ]


def test_underthesea_ner_is_available_as_a_baseline():
    mentions = entities.recognise_underthesea("Ông Nguyễn Văn An đến Hà Nội.")
    assert ("Hà Nội", "LOC") in [(m.text, m.type) for m in mentions]


def test_quotation_marks_are_read_alike_for_in_quote_and_for_quotes():
    article = _article("Bà Mogherini nói: «EU sẽ đứng về phía Ukraine. Đó là cam kết». Sau đó bà rời Kiev.")
    assert [s.in_quote for s in article.sentences] == [False, True, False]
    quotes = [q for s in article.sentences for q in s.quotes]
    assert [(q.speaker, q.text) for q in quotes] == [
        ("Mogherini", "EU sẽ đứng về phía Ukraine. Đó là cam kết")
    ]


def test_a_title_before_a_gazetteer_name_is_not_a_place():
    text = "Ông gửi thông điệp tới Tổng thống Nga Vladimir Putin."
    assert [(m.text, m.type) for m in entities.recognise(text)] == [("Nga", "LOC"), ("Vladimir Putin", "PER")]


def test_quotations_that_never_close_are_looked_for_once_per_sentence(monkeypatch):
    # One paragraph whose every sentence opens a quotation and none closes: looking for the end
    # from every opening sentence read the rest of the paragraph each time (quadratic).
    texts = ["“Ông ấy nói rằng liên minh cần thêm thời gian."] * 2000
    sentences = [Sentence(i, t, 0, i > 0, article_id="x") for i, t in enumerate(texts)]
    looked_at = []
    closes = entities.closes_quote
    monkeypatch.setattr(entities, "closes_quote", lambda text: looked_at.append(text) or closes(text))
    assert entities.attribute_quotes(sentences) == []
    assert len(looked_at) <= len(sentences)


def test_a_quotation_closed_after_unclosed_ones_is_still_found():
    sentences = [
        Sentence(0, "Ông Stoltenberg nói: “NATO sẽ bảo vệ đồng minh.", 0, False),
        Sentence(1, "“Không ai được nghi ngờ điều đó.", 0, True),
        Sentence(2, "Chúng tôi sẵn sàng”.", 0, True),
        Sentence(3, "Sau đó ông rời Vilnius.", 0, False),
    ]
    quotes = entities.attribute_quotes(sentences)
    assert [(q.sentence_index, q.text) for q in quotes] == [
        (0, "NATO sẽ bảo vệ đồng minh. “Không ai được nghi ngờ điều đó. Chúng tôi sẵn sàng")
    ]


@pytest.mark.parametrize(
    ("typed", "name", "same"),
    [
        ("Mỹ", "mỹ", True),
        ("Mỹ", "My", False),  # typed with diacritics: as typed
        ("my", "Mỹ", True),  # typed without: any
        ("my", "My", True),
        ("nhat ban", "Nhật Bản", True),
        ("Nhật Bản", "Nhật Bạn", False),
        ("  Hoà Bình ", "Hòa Bình", True),  # one tone-mark placement, as stored
    ],
)
def test_a_name_is_matched_with_the_diacritics_typed_or_any(typed, name, same):
    assert entities.name_test(typed)(name) is same


def test_names_of_an_entity_are_its_gazetteer_names():
    assert {"Mỹ", "Hoa Kỳ", "USA", "United States"} <= entities.names_of("hoa ky")
    assert entities.names_of("Nhật") == {"Nhật", "Nhật Bản", "Japan"}
    assert entities.names_of("Jens Stoltenberg") == {"Jens Stoltenberg"}
    assert entities.last_words("Nhật") == {("Nhật", False), ("Bản", False), ("Japan", False)}
    assert entities.last_words("jens stoltenberg") == {("stoltenberg", True)}


def test_naming_links_names_as_the_corpus_does():
    one = _article("Tổng thống Mỹ Joe Biden gặp ông Jens Stoltenberg. Ông Stoltenberg cảm ơn Hoa Kỳ.")
    two = _article("Con trai ông, Hunter Biden, không có mặt. Ông Biden nói.")
    three = _article("Ngoại trưởng Mỹ nói ông Stoltenberg đến Washington.")
    mentions = [(a, m) for a, article in [("1", one), ("2", two), ("3", three)]
                for s in article.sentences for m in s.mentions]  # fmt: skip
    assert entities.naming("Jens Stoltenberg", mentions) == {"1", "3"}
    assert entities.naming("stoltenberg", mentions) == {"1", "3"}
    assert entities.naming("Hoa Kỳ", mentions) == {"1", "3"}  # "Mỹ" in 1 and 3
    assert entities.naming("Joe Biden", mentions) == {"1"}
    # "Biden" alone could be either Biden: only where the short name is written
    assert entities.naming("Biden", mentions) == {"2"}
    assert entities.naming("Putin", mentions) == set()


def test_naming_names_decides_on_counts_alone():
    # what `naming` needs of the mentions: how many of each (surface, type, gazetteer name)
    names = Counter({("Jens Stoltenberg", "PER", None): 1, ("Stoltenberg", "PER", None): 2,
                     ("Mỹ", "LOC", "Mỹ"): 2, ("Hoa Kỳ", "LOC", "Mỹ"): 1, ("Biden", "PER", None): 1,
                     ("Joe Biden", "PER", None): 1, ("Hunter Biden", "PER", None): 1})  # fmt: skip
    stoltenberg = {("Jens Stoltenberg", "PER"), ("Stoltenberg", "PER")}
    assert entities.naming_names("stoltenberg", names) == stoltenberg
    assert entities.naming_names("hoa ky", names) == {("Mỹ", "LOC"), ("Hoa Kỳ", "LOC")}
    assert entities.naming_names("Biden", names) == {("Biden", "PER")}
    # a second "… Stoltenberg" leaves the short name on its own
    names[("Marianne Stoltenberg", "PER", None)] = 1
    assert entities.naming_names("Jens Stoltenberg", names) == {("Jens Stoltenberg", "PER")}
    # the type most of a name's mentions give it decides whether it is a person's full name
    names[("Stoltenberg", "ORG", None)] = 3
    assert entities.naming_names("Stoltenberg", names) == {("Stoltenberg", "PER"), ("Stoltenberg", "ORG")}


def test_scare_quotes_and_titles_get_no_speaker():
    article = _article(
        "Thủ tướng Shinzo Abe nói Nhật Bản cần tăng cường năng lực quân sự. "
        "Bắc Kinh chỉ trích việc Nhật Bản sử dụng cái gọi là “mối đe dọa bên ngoài” làm cái cớ.",
        "Ca sĩ Đàm Vĩnh Hưng cho biết fan của anh lập tức “thức tỉnh”, "
        "bình chọn cho ca khúc “Chiếc vòng cầu hôn”.",
    )
    # the rules give them no speaker; attribution then leaves them out of the quotes altogether
    found = entities.attribute_quotes(article.sentences)
    assert [(q.text, q.speaker) for q in found] == [
        ("mối đe dọa bên ngoài", None),
        ("thức tỉnh", None),
        ("Chiếc vòng cầu hôn", None),
    ]
    assert [q for s in article.sentences for q in s.quotes] == []


def test_short_quotations_framed_as_speech_keep_their_speaker():
    article = _article(
        "Ông Stoltenberg nói: “Không bao giờ”.",
        "“Hoàn toàn sai lầm”, ông Stoltenberg nói.",
        "Ông Stoltenberg cho rằng đó là hành vi “khiêu khích trắng trợn”.",
    )
    quotes = [q for s in article.sentences for q in s.quotes]
    assert [(q.text, q.speaker) for q in quotes] == [
        ("Không bao giờ", "Stoltenberg"),
        ("Hoàn toàn sai lầm", "Stoltenberg"),
        ("khiêu khích trắng trợn", "Stoltenberg"),
    ]


def test_a_body_or_a_country_that_says_it_is_the_speaker():
    article = _article(
        "Ông Dmitry Peskov cho biết cuộc tập trận đã kết thúc. "
        "Thông báo của Bộ Quốc phòng Nga cho biết: “Cả hai tên lửa đều bắn trúng mục tiêu đã định”.",
        "“Các lực lượng tên lửa đã phóng một tên lửa đạn đạo Topol”, Bộ Quốc phòng Nga thông báo.",
        "Thủ tướng Shinzo Abe thăm Mỹ. Đồng thời, Trung Quốc cho biết, máy bay quân đội của họ "
        "“sẽ không xâm phạm không phận nước khác”.",
    )
    quotes = [q for s in article.sentences for q in s.quotes]
    # the best candidate; it is shown as the speaker only when sure enough (attribution)
    assert [(q.text.split()[0], q.candidate) for q in quotes] == [
        ("Cả", "Bộ Quốc phòng Nga"),
        ("Các", "Bộ Quốc phòng Nga"),
        ("sẽ", "Trung Quốc"),
    ]


def test_a_body_in_a_persons_title_or_a_nationality_is_not_the_speaker():
    article = _article(
        "Chiến sĩ Nguyễn Minh Thắng (Đội CSGT số 1, Công an TP Hà Nội) cho biết: "
        "“Chúng tôi đã xử lý nhiều trường hợp vi phạm”.",
        "Trên trang cá nhân, tay vợt Rafael Nadal người Tây Ban Nha chia sẻ: "
        "“Tôi rất tiếc vì không thể đến Basel”.",
        "“Chúng tôi sẽ công bố kết quả vào tuần tới”, hãng RIA-Novosti dẫn lời ông Dmitry Peskov.",
    )
    quotes = [q for s in article.sentences for q in s.quotes]
    # the best candidate; it is shown as the speaker only when sure enough (attribution)
    assert [(q.text.split()[0], q.candidate) for q in quotes] == [
        ("Chúng", "Nguyễn Minh Thắng"),
        ("Tôi", "Rafael Nadal"),
        ("Chúng", "Dmitry Peskov"),
    ]
