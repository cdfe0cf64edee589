import tomllib
import unicodedata
from importlib import resources

import pytest

from nienbieu import legacy

ROWS = tomllib.loads(
    resources.files("nienbieu.data").joinpath("legacy_encodings.toml").read_text(encoding="utf-8")
)["letters"]
SENTENCES = [
    "Tổng thư ký NATO Jens Stoltenberg đã gặp gỡ các quan chức Mỹ tại Hà Nội ngày 18/2.",
    "Người phát ngôn Bộ Ngoại giao cho biết Việt Nam ủng hộ giải pháp hòa bình, tuân thủ luật pháp quốc tế.",
    "Quốc hội khóa XV thông qua nghị quyết về phát triển kinh tế - xã hội năm 2024 "
    "với 91,5% đại biểu tán thành.",
    "Ông Nguyễn Phú Trọng tiếp Tổng thống Joe Biden; hai bên nhất trí nâng cấp quan hệ "
    "lên Đối tác chiến lược toàn diện.",
]


def test_the_table_has_every_vietnamese_letter_once():
    letters = [row["letter"] for row in ROWS]
    assert len(letters) == len(set(letters)) == 134  # 67 non-ASCII letters, each in two cases
    assert all(unicodedata.is_normalized("NFC", letter) and len(letter) == 1 for letter in letters)
    for scheme in legacy.SCHEMES:
        forms = [row[scheme] for row in ROWS if scheme in row]
        assert len(forms) == len(set(forms)), scheme
        assert all(f.encode("cp1252") for f in forms)  # every form is a byte string in the file


@pytest.mark.parametrize("row", ROWS, ids=[r["letter"] for r in ROWS])
def test_each_legacy_form_converts_to_its_letter(row):
    for scheme in legacy.SCHEMES:
        if scheme in row:
            assert legacy.to_unicode(row[scheme], scheme) == row["letter"]
            assert legacy.to_unicode("x" + row[scheme] + "x", scheme) == "x" + row["letter"] + "x"


def test_tcvn3_has_capital_toned_letters_only_as_lower_case_bytes():
    assert legacy.from_unicode("HÀ NỘI", "tcvn3") == "Hµ NéI"
    assert legacy.to_unicode("Hµ NéI", "tcvn3") == "Hà NộI"


@pytest.mark.parametrize(
    ("scheme", "legacy_text", "expected"),
    [
        # examples printed by public converters (vietnamese-conversion README, tcvn3 snippets)
        ("vni", "Xin chaøo caùc baïn", "Xin chào các bạn"),
        ("tcvn3", "B¶o Th¾ng", "Bảo Thắng"),
        ("tcvn3", "M\u00adêng Kh\u00ad¬ng", "Mường Khương"),
        ("tcvn3", "Ninh B×nh", "Ninh Bình"),
        ("tcvn3", "Hµ Néi", "Hà Nội"),
        ("vni", "Haø Noäi", "Hà Nội"),
        ("vni", "ngöôøi ÑAÏI BIEÅU Quoác hoäi", "người ĐẠI BIỂU Quốc hội"),
    ],
)
def test_known_examples(scheme, legacy_text, expected):
    assert legacy.to_unicode(legacy_text, scheme) == expected


@pytest.mark.parametrize("scheme", legacy.SCHEMES)
@pytest.mark.parametrize("sentence", SENTENCES)
def test_sentences_round_trip_through_the_bytes(scheme, sentence):
    data = legacy.from_unicode(sentence, scheme).encode("cp1252")
    assert not data.isascii()
    assert legacy.detect(data.decode("cp1252")) == scheme
    assert legacy.to_unicode(data.decode("cp1252"), scheme) == sentence


@pytest.mark.parametrize(
    "text",
    [
        " ".join(SENTENCES),
        unicodedata.normalize("NFD", " ".join(SENTENCES)),
        "The NATO secretary general met US officials in Hanoi on February 18; the café was closed.",
        "Le président a été reçu à l'Élysée, où il a rencontré le ministre des Affaires étrangères. "
        "Où ? Au mois d'août, le coût du goût, où qu'il aille, où qu'il soit.",
        "Müller über Straße: größere Bäume sind schön, sagte der Bürgermeister.",
        "Hà Nội",
    ],
)
def test_good_text_is_left_alone(text):
    assert legacy.detect(text) is None


@pytest.mark.parametrize(
    ("word", "ok"),
    [
        ("người", True),
        ("nghiêng", True),
        ("khuya", True),
        ("Quốc", True),
        ("gì", True),
        ("thuở", True),
        ("Néi", False),  # TCVN3 "Nội" read as Windows-1252
        ("caùc", False),  # VNI "các" read as Windows-1252
        ("été", False),
        ("hóà", False),  # two tones
        ("quang", True),
        ("giữa", True),
        ("ươu", True),
    ],
)
def test_vietnamese_word(word, ok):
    assert legacy.vietnamese_word(word) is ok
