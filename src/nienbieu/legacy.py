"""Text written in the legacy Vietnamese font encodings TCVN3 (ABC) and VNI-Windows.

Both put Vietnamese letters on Latin-1 byte values, so a file in either reads as Western
text: "Hµ Néi" (TCVN3) or "Haø Noäi" (VNI) for "Hà Nội". The same strings turn up as valid
UTF-8 when someone converted such a file as if it were Windows-1252. Nothing in the bytes
names the encoding, so `detect` converts with each table and keeps a result only when it
reads as Vietnamese words while the input does not (see `detect` for the rule).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache

from nienbieu.data import load

SCHEMES = ("tcvn3", "vni")
NAMES = {"tcvn3": "TCVN3 (ABC)", "vni": "VNI-Windows"}

# Detection thresholds, as shares of the words with a non-ASCII character (see `detect`).
MIN_CHANGED_WORDS = 2  # one odd word is no evidence
MIN_CONVERTED_SHARE = 0.9  # the converted words must nearly all be Vietnamese syllables
MAX_ORIGINAL_SHARE = 0.5  # and the input words mostly not (else it is already good text)
SAMPLE_CHARS = 20000  # the decision reads this much; the conversion covers the whole text


@dataclass(frozen=True, slots=True)
class Tables:
    decode: dict[str, dict[str, str]]  # scheme -> legacy form -> letter
    encode: dict[str, dict[str, str]]  # scheme -> letter -> legacy form
    pattern: dict[str, re.Pattern[str]]  # scheme -> any legacy form, longest first


@cache
def tables() -> Tables:
    rows = load("legacy_encodings")["letters"]
    decode = {s: {row[s]: row["letter"] for row in rows if s in row} for s in SCHEMES}
    encode = {s: {letter: form for form, letter in decode[s].items()} for s in SCHEMES}
    # VN3 has no capital toned letters: a capital is written with its lower-case byte.
    for row in rows:
        encode["tcvn3"].setdefault(row["letter"], encode["tcvn3"].get(row["letter"].lower(), ""))
    pattern = {s: _alternation(decode[s]) for s in SCHEMES}
    return Tables(decode, {s: {k: v for k, v in e.items() if v} for s, e in encode.items()}, pattern)


def _alternation(forms: dict[str, str]) -> re.Pattern[str]:
    # Longest first, so VNI "ôø" (ờ) wins over "ô" (ơ) followed by a stray mark.
    return re.compile("|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True)))


def to_unicode(text: str, scheme: str) -> str:
    """Legacy text (as read in Windows-1252) to NFC Unicode."""
    t = tables()
    return unicodedata.normalize("NFC", t.pattern[scheme].sub(lambda m: t.decode[scheme][m[0]], text))


def from_unicode(text: str, scheme: str) -> str:
    """The reverse, for tests and fixtures; encode the result as cp1252 to get the file bytes."""
    table = tables().encode[scheme]
    return "".join(table.get(ch, ch) for ch in unicodedata.normalize("NFC", text))


# --- telling Vietnamese words from mojibake ----------------------------------------------

_LETTERS = frozenset(
    "abcdeghiklmnopqrstuvxyđàáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ"
)
_TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")
# A syllable without its tone: initial, a vowel cluster Vietnamese spells, final consonant;
# a cluster ending in a semivowel ("ai", "ươi") takes no final ("cauc" is VNI mojibake).
# Stricter than `entities.vietnamese_syllable`, which drops vowel marks: "néi" (TCVN3
# mojibake) would pass there but not here.
_SYLLABLE = re.compile(
    r"^(?:ngh|ng|gh|gi|kh|nh|ph|qu|th|tr|ch|[bcdđghklmnprstvx])?"
    r"(?:(?:iêu|yêu|oai|oay|oao|oeo|uây|uôi|ươi|ươu|uya|uyu"
    r"|ai|ao|au|ay|âu|ây|eo|êu|ia|iu|oi|ôi|ơi|ua|ui|ưa|ưi|ưu)"
    r"|(?:uyê|iê|yê|oa|oă|oe|oo|uâ|uê|uô|uơ|uy|ươ|[aăâeêioôơuưy])(?:ch|nh|ng|[cmnpt])?)$"
)
_SPLIT = re.compile(r"[\s\-/]+")
_EDGE = "\"'.,;:!?()[]{}“”‘’…*"


@lru_cache(maxsize=65536)  # news text repeats its words; the cache makes a file's check cheap
def vietnamese_word(word: str) -> bool:
    """Is `word` one Vietnamese syllable: Vietnamese letters, at most one tone, a valid shape?"""
    low = word.lower()
    if not low or not set(low) <= _LETTERS:
        return False
    parts = unicodedata.normalize("NFD", low)
    if sum(c in _TONES for c in parts) > 1:
        return False
    toneless = unicodedata.normalize("NFC", "".join(c for c in parts if c not in _TONES))
    return bool(_SYLLABLE.match(toneless))


def _words(text: str) -> list[str]:
    return [w for w in (t.strip(_EDGE) for t in _SPLIT.split(text)) if w and not w.isascii()]


@dataclass(frozen=True, slots=True)
class Verdict:
    scheme: str
    changed: int  # words of the sample the conversion changed
    original_share: float  # of the non-ASCII words, how many were Vietnamese syllables before
    converted_share: float  # and after the conversion


def judge(text: str, scheme: str) -> Verdict:
    return _judge(_words(_sample(text)), scheme)


def _sample(text: str) -> str:
    # NFC first: decomposed Unicode Vietnamese must not count as "changed" by the conversion.
    return unicodedata.normalize("NFC", text[:SAMPLE_CHARS])


def _judge(words: list[str], scheme: str) -> Verdict:
    converted = [to_unicode(w, scheme) for w in words]
    n = max(1, len(words))
    return Verdict(
        scheme,
        sum(w != c for w, c in zip(words, converted, strict=True)),
        sum(map(vietnamese_word, words)) / n,
        sum(map(vietnamese_word, converted)) / n,
    )


def convincing(v: Verdict) -> bool:
    return (
        v.changed >= MIN_CHANGED_WORDS
        and v.converted_share >= MIN_CONVERTED_SHARE
        and v.original_share <= MAX_ORIGINAL_SHARE
    )


def detect(text: str) -> str | None:
    """The legacy scheme `text` is written in, or None to leave it alone.

    Only words with a non-ASCII character count (in the first `SAMPLE_CHARS` characters):
    ASCII is the same in every encoding. A scheme is convincing when it changes at least
    `MIN_CHANGED_WORDS` of them, at least `MIN_CONVERTED_SHARE` of them are Vietnamese
    syllables after the conversion, and at most `MAX_ORIGINAL_SHARE` were before. Good Unicode
    Vietnamese fails the last test; English has no word to change; French or German keeps
    words no table turns Vietnamese ("été", "reçu"), so it fails the second. If both schemes
    convince, the higher converted share wins, then the one changing more words.
    """
    words = _words(_sample(text))
    # Most files are good Unicode: judging their words once is enough to leave them alone.
    if sum(map(vietnamese_word, words)) > MAX_ORIGINAL_SHARE * len(words):
        return None
    verdicts = [v for v in (_judge(words, s) for s in SCHEMES) if convincing(v)]
    if not verdicts:
        return None
    return max(verdicts, key=lambda v: (v.converted_share, v.changed)).scheme
