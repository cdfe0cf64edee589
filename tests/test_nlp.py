import re
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from nienbieu import nlp
from nienbieu.nlp import normalize_text, normalize_tone_placement, quote_states, split_sentences


def test_nfd_input_becomes_nfc():
    nfd = unicodedata.normalize("NFD", "Hà Nội, Việt Nam")
    assert normalize_text(nfd) == "Hà Nội, Việt Nam"


def test_tone_moves_to_first_vowel_of_open_oa_oe_uy():
    assert normalize_tone_placement("hoà bình, khoẻ, thuỷ, Hoà") == "hòa bình, khỏe, thủy, Hòa"


def test_tone_stays_where_a_consonant_or_qu_decides_it():
    assert normalize_tone_placement("hoàn thành, quý, hoạch, tuyển") == "hoàn thành, quý, hoạch, tuyển"


def test_invisible_characters_and_nbsp_are_removed():
    assert normalize_text("Mỹ\u200b và\u00a0 NATO\ufeff") == "Mỹ và NATO"


def test_split_keeps_abbreviations_numbers_and_percentages():
    text = "Ông ấy đến TP. Hồ Chí Minh với 1.000 người, tăng 2%. Sau đó ông về Tp. Huế."
    assert split_sentences(text) == [
        "Ông ấy đến TP. Hồ Chí Minh với 1.000 người, tăng 2%.",
        "Sau đó ông về Tp. Huế.",
    ]


def test_split_etc_ends_a_sentence_only_before_a_capital():
    assert split_sentences("Gồm Anh, Pháp v.v. và Đức. Các nước khác v.v. Sau đó họp.") == [
        "Gồm Anh, Pháp v.v. và Đức.",
        "Các nước khác v.v.",
        "Sau đó họp.",
    ]


def test_split_on_the_word_ong_at_a_sentence_end():
    assert split_sentences("Họ đã gặp ông. Cuộc gặp kéo dài.") == ["Họ đã gặp ông.", "Cuộc gặp kéo dài."]


def test_split_initials_do_not_end_sentences():
    assert split_sentences("Tổng thống J. Biden phát biểu.") == ["Tổng thống J. Biden phát biểu."]


def test_closing_quote_stays_with_its_sentence_and_attribution_is_not_split():
    text = "“Tôi nghĩ bạn đã làm tốt,” Biden nói với Stoltenberg. “Các đồng minh chưa bao giờ đoàn kết hơn.”"
    assert split_sentences(text) == [
        "“Tôi nghĩ bạn đã làm tốt,” Biden nói với Stoltenberg.",
        "“Các đồng minh chưa bao giờ đoàn kết hơn.”",
    ]


def test_stray_double_period_is_dropped():
    assert split_sentences("thất bại kể từ đó. .") == ["thất bại kể từ đó."]


def test_quote_states_track_quotes_across_sentences():
    sentences = ['Ông nói: "Một.', "Hai.", 'Ba". Xong.']
    assert quote_states(sentences) == [False, True, True]


@given(st.text())
def test_splitting_never_crashes_and_loses_no_letters(text):
    pieces = split_sentences(text)
    joined = "".join("".join(p.split()) for p in pieces)
    original = "".join(text.split())
    assert all(ch in original for ch in joined)


@given(st.text())
def test_normalize_is_idempotent(text):
    once = normalize_text(text)
    assert normalize_text(once) == once


def test_align_finds_multi_syllable_words_across_extra_spaces():
    text = "Bộ  Quốc phòng Nhật Bản: Nhật  Bản họp."
    words = nlp._align(text, ["Bộ", "Quốc phòng", "Nhật Bản", ":", "Nhật Bản", "họp", "."])
    assert [(w.start, w.end, w.text) for w in words] == [
        (0, 2, "Bộ"), (4, 14, "Quốc phòng"), (15, 23, "Nhật Bản"), (23, 24, ":"),
        (25, 34, "Nhật  Bản"), (35, 38, "họp"), (38, 39, "."),
    ]  # fmt: skip


def test_align_skips_a_first_syllable_not_followed_by_the_rest():
    # "Nhật" first appears alone; the word "Nhật Bản" is the later one
    assert nlp._find_syllables("Nhật hoàng thăm Nhật Bản", ["Nhật", "Bản"], 0) == (16, 24)


def test_align_falls_back_to_syllables_when_the_toolkit_changed_the_text():
    words = nlp._align("Ông nói “xin chào”.", ["Ông", "nói", '"', "xin", "chào", '"', "."])
    assert [w.text for w in words] == ["Ông", "nói", "“", "xin", "chào", "”", "."]


def test_tone_stays_on_vowels_with_other_marks():
    # "ặ" is a + dot below + breve: the old word regex stopped at the breve and made "họăc"
    assert nlp.normalize_tone_placement("hoặc loằng ngoằng") == "hoặc loằng ngoằng"
    assert nlp.normalize_tone_placement("Hoà-Bình, thuỷ") == "Hòa-Bình, thủy"


# --- control characters ----------------------------------------------------------

ESC = "\x1b"
# what no stripped text, printed line or exported file may hold (spelled out, not taken from nlp)
FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def test_terminal_sequences_are_removed_whole():
    assert nlp.strip_controls(f"Ông {ESC}[1;31mBiden{ESC}[0m nói") == "Ông Biden nói"
    assert nlp.strip_controls(f"{ESC}]0;bị chiếm{ESC}\\Tiêu đề{ESC}]2;x\x07") == "Tiêu đề"
    hyperlink = f"{ESC}]8;;http://evil{ESC}\\bấm đây{ESC}]8;;{ESC}\\"
    assert nlp.strip_controls(hyperlink) == "bấm đây"
    assert nlp.strip_controls("\x9b31mđỏ \x9d0;tên\x9c xanh") == "đỏ  xanh"  # C1 CSI, C1 OSC … ST
    assert nlp.strip_controls(f"a{ESC}(Bb{ESC}c") == "ab"  # charset and reset sequences


def test_other_controls_and_bidi_overrides_are_removed_line_feeds_and_tabs_kept():
    text = "chuông\x07 xoá\x08\x08 đè\rlên \x85NEL \x7f \u202egnp.exe\u202c \u2066x\u2069\nhàng 2\tcột"
    assert nlp.strip_controls(text) == "chuông xoá đèlên NEL  gnp.exe x\nhàng 2\tcột"


def test_an_unterminated_control_string_loses_only_its_introducer():
    assert nlp.strip_controls(f"{ESC}]0;tiêu đề\nsau") == "0;tiêu đề\nsau"


def test_normalize_text_strips_controls_and_keeps_paragraphs():
    text = f"Đoạn {ESC}[31mmột\x07.\r\nĐoạn\u202e hai.\x85Đoạn ba.\x0cĐoạn bốn."
    assert normalize_text(text) == "Đoạn một.\nĐoạn hai.\nĐoạn ba.\nĐoạn bốn."


VIETNAMESE = (
    "aăâbcdđeêghiklmnoôơpqrstuưvxyAĂÂĐÊÔƠƯáàảãạắằẳẵặấầẩẫậéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ"
)
WORDS = st.text(alphabet=VIETNAMESE, min_size=1, max_size=8)
# ordinary news prose: words, spaces, punctuation, numbers, line breaks between paragraphs
PROSE = st.lists(
    st.tuples(WORDS, st.sampled_from(["", ",", ".", ":", "%", "”", "…", " 2.000", " (VTV)", "!", "?"])),
    min_size=1,
    max_size=12,
).map(lambda ws: " ".join(w + p for w, p in ws))
HOSTILE = st.text(
    alphabet=st.sampled_from(list(f"{ESC}[]\\\x07\x9b\x9c\x9d\x85\x00\r\n\t\x7f\u202e\u2066\u200f01;mPaế ")),
    max_size=40,
)


@given(st.one_of(HOSTILE, st.text(max_size=60)))
def test_stripped_text_holds_no_control_and_stripping_twice_changes_nothing(text):
    once = nlp.strip_controls(text)
    assert FORBIDDEN.search(once) is None
    assert nlp.strip_controls(once) == once
    assert once.count("\n") == text.count("\n")


@given(PROSE)
def test_ordinary_vietnamese_text_is_left_as_it_is(text):
    assert nlp.strip_controls(text) == text
