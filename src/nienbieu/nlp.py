"""Text normalisation and sentence splitting for Vietnamese news.

Word segmentation, POS and NER come later behind the same module; what is here
has no dependency beyond the standard library.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache

from nienbieu.data import load

_TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"  # huyền, sắc, ngã, hỏi, nặng
_TONED_WORD = re.compile(r"\w*[\u0300\u0301\u0303\u0309\u0323]\w*")
# Open syllables ending in these clusters carry the tone on the first vowel in the
# spelling most Vietnamese newsrooms use ("hòa", "thủy"), the other one ("hoà",
# "thuỷ") is just as common in the wild; we pick one so that search and dedup
# see a single form.
_OPEN_CLUSTER = re.compile(r"(?<!q)(oa|oe|uy)$")
_OPEN_CLUSTER_END = re.compile(  # a word ending in o-a, o-e or u-y, tone marks anywhere in it
    r"[oOuU][\u0300\u0301\u0303\u0309\u0323]?[aAeEyY][\u0300\u0301\u0303\u0309\u0323]?(?![\w\u0300-\u036f])"
)
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")


def _retone(word_nfd: str) -> str:
    tones = [c for c in word_nfd if c in _TONE_MARKS]
    if len(tones) != 1:
        return word_nfd
    base = "".join(c for c in word_nfd if c not in _TONE_MARKS)
    match = _OPEN_CLUSTER.search(base.lower())
    if not match:
        return word_nfd
    pos = match.start() + 1
    return base[:pos] + tones[0] + base[pos:]


def normalize_tone_placement(text: str) -> str:
    """Move tone marks of open oa/oe/uy syllables to the first vowel ("hoà" -> "hòa")."""
    decomposed = unicodedata.normalize("NFD", text)
    # Only words ending in oa/oe/uy can change, so look at those alone: calling back into Python
    # for every toned word (most Vietnamese words) was a tenth of the whole ingest.
    out, last = [], 0
    for match in _OPEN_CLUSTER_END.finditer(decomposed):
        start = match.start()
        while start > last and (
            decomposed[start - 1].isalnum() or unicodedata.combining(decomposed[start - 1])
        ):
            start -= 1
        for word in _TONED_WORD.finditer(decomposed, start, match.end()):
            fixed = _retone(word.group())
            if fixed != word.group():
                out += [decomposed[last : word.start()], fixed]
                last = word.end()
    return unicodedata.normalize("NFC", "".join([*out, decomposed[last:]]))


@cache
def _fold_char(c: str) -> str:
    if c in "đĐ":
        return "d"
    base = unicodedata.normalize("NFD", c)[0]
    return base.lower() if len(base.lower()) == 1 else c


class _FoldTable(dict[int, str]):
    """`_fold_char` by code point, filled as characters are met: `str.translate` looks it up in C,
    2.6 times faster than joining the characters one by one in Python."""

    def __missing__(self, code: int) -> str:
        folded = self[code] = _fold_char(chr(code))
        return folded


_FOLD = _FoldTable()


def fold(text: str) -> str:
    """Lower case without diacritics, one character per character: "Đà Nẵng" -> "da nang"
    (search matches on it; entity rules test syllable shapes on it)."""
    return text.translate(_FOLD)


# Terminal escape sequences (ECMA-48), removed as wholes so that no parameter is left behind as text:
# CSI (colours, cursor moves, erasing; ESC [ or the C1 byte U+009B), then control strings (OSC
# window titles and hyperlinks, DCS, SOS, PM, APC) up to their BEL or ST terminator, then any
# other ESC sequence. A string without its terminator loses only its introducer: what follows is
# printable text, and a real terminal would swallow all output after it.
_ESCAPE_SEQUENCES = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c\n]*(?:\x07|\x1b\\|\x9c)"
    r"|\x1b[ -/]*[0-~]"
)
# C0 controls but line feed and tab, DEL, C1 controls, and the bidirectional embeddings,
# overrides, isolates and marks that make text display in another order than it reads
# ("Trojan Source", CVE-2021-42574).
CONTROL_CHARACTERS = "\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"  # a [class]
_CONTROLS = re.compile(f"[{CONTROL_CHARACTERS}]")
# Invisible characters go; controls that separate lines or pages stay as line breaks. One table,
# so stored text is translated once (a pass over a whole text costs more than every regex here).
_STORED = {
    **dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None),
    **dict.fromkeys(map(ord, "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"), "\n"),
}


def strip_controls(text: str) -> str:
    """`text` as it may reach a terminal: no escape sequence, no control character but line feed
    and tab, no bidirectional override. Article text, file names and messages all pass through it
    before they are printed, so a hostile article cannot recolour, retitle, hyperlink or
    overwrite what the terminal shows, nor reorder it."""
    if not _CONTROLS.search(text):  # every escape sequence starts with a control: most text has none
        return text
    return _CONTROLS.sub("", _ESCAPE_SEQUENCES.sub("", text))


def normalize_text(text: str) -> str:
    """NFC, one tone-mark placement, no invisible or control characters, tidy spaces within lines.
    Carriage returns and other line or page separators become line breaks."""
    text = text.translate(_STORED).replace("\r\n", "\n").replace("\r", "\n")
    text = normalize_tone_placement(strip_controls(text))
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(lines)


@cache
def _sentence_rules() -> tuple[frozenset[str], frozenset[str]]:
    data = load("sentences")
    return frozenset(data["abbreviations"]), frozenset(data["sentence_final_abbreviations"])


# A candidate boundary: terminal punctuation, optional closing quotes/brackets, then space.
_BOUNDARY = re.compile(r"(?:[.!?…]+|\.\s\.)[\"”’»)\]]*(?=\s)")
_OPENERS = '"“‘«([-–—•*'
_TOKEN_BEFORE = re.compile(r"([\w.]+)\.$")
_NEXT_CHAR = re.compile(r"\s*(\S)")
# Longer than any abbreviation: the token before a period is looked for this far back only, so
# a run of initials ("J. J. J. …") is not checked against everything before it (quadratic).
_ABBREVIATION_WINDOW = 64

# Real sentences stay whole: over the 5,083 sentences of the MDS articles and the seeds, the
# 99.9th percentile is 694 characters and the longest 1,233 (a run of photo captions). A longer
# "sentence" is a page that lost its punctuation, and per-sentence work downstream (word
# segmentation, entity rules, tense cues, quotes) grows faster than its length: it is cut.
MAX_SENTENCE_CHARS = 2000
# Where an overlong sentence is cut, strongest break first: a cut falls where a match ends. Full
# stops the splitter passed over (lower case next), semicolons, colons, then commas and before
# a dash between spaces, then between words; closing quotes stay with the mark before them.
_CLOSERS = '["”’»)\\]]*'
_BREAKS = (
    re.compile(rf"[.!?…]+{_CLOSERS}(?=\s)"),
    re.compile(rf";{_CLOSERS}(?=\s)"),
    re.compile(rf":{_CLOSERS}(?=\s)"),
    re.compile(rf",{_CLOSERS}(?=\s)|(?=\s[-–—]\s)"),
    re.compile(r"(?<=\S)(?=\s)"),
)


def _starts_sentence(text: str, position: int) -> bool:
    """Whether what follows `position` can open a sentence (looked at in place: slicing the
    rest of a long paragraph at every candidate made splitting quadratic)."""
    match = _NEXT_CHAR.match(text, position)
    first = match.group(1) if match else ""
    return bool(first) and (first.isupper() or first.isdigit() or first in _OPENERS)


def _is_abbreviation(text: str, start: int, end: int) -> bool:
    """Whether the period at text[end - 1] belongs to an abbreviation; the sentence started at
    `start`."""
    match = _TOKEN_BEFORE.search(text, max(start, end - _ABBREVIATION_WINDOW), end)
    if not match:
        return False
    token = match.group(1)
    abbreviations, final_ok = _sentence_rules()
    if token in final_ok:
        return False
    last = token.rsplit(".", 1)[-1]
    # Single capital letters are initials ("J. Biden"), not sentence ends.
    return token in abbreviations or last in abbreviations or (len(last) == 1 and last.isupper())


def split_sentences(paragraph: str) -> list[str]:
    """Split one paragraph into sentences.

    Closing quotes stay with the sentence they close; an attribution that follows
    a quote in lower case ("…,” ông Stoltenberg nói.") stays in the same sentence;
    "1.000", "2%", "TP. Hồ Chí Minh" and initials do not split. No sentence is longer
    than MAX_SENTENCE_CHARS: a longer one is cut at clause marks (`cap_length`).
    """
    return [piece for sentence in _sentences(paragraph) for piece in cap_length(sentence)]


def overlong_sentences(paragraph: str) -> int:
    """How many sentences of the paragraph `split_sentences` cuts for being too long."""
    return sum(len(sentence) > MAX_SENTENCE_CHARS for sentence in _sentences(paragraph))


def _sentences(paragraph: str) -> Iterator[str]:
    """The paragraph's sentences, whatever their length."""
    text = paragraph.strip()
    start = 0
    for match in _BOUNDARY.finditer(text):
        end = match.end()
        if not _starts_sentence(text, end):
            continue
        if match.group(0).startswith(".") and _is_abbreviation(text, start, match.start() + 1):
            continue
        if sentence := _tidy(text[start:end]):
            yield sentence
        start = end
    if sentence := _tidy(text[start:]):
        yield sentence


def _tidy(sentence: str) -> str:
    # Stray duplicate periods (". .") are an artefact of copy-paste, not content.
    return re.sub(r"\s+\.(?=\s*$)", "", sentence.strip()).strip()


def cap_length(sentence: str, level: int = 0) -> list[str]:
    """`sentence` alone if it is within MAX_SENTENCE_CHARS (nothing if it is empty), else its
    pieces: cut at the strongest breaks of `_BREAKS`, pieces as long as the limit allows; a
    stretch between two breaks that is itself too long is cut at the next weaker ones, and a
    run without spaces at the limit itself. Only whitespace at the cuts is lost."""
    if len(sentence) <= MAX_SENTENCE_CHARS:
        return [sentence] if sentence else []
    if level == len(_BREAKS):
        return [sentence[i : i + MAX_SENTENCE_CHARS] for i in range(0, len(sentence), MAX_SENTENCE_CHARS)]
    pieces: list[str] = []
    start = end = 0  # the piece being built is sentence[start:end]
    for cut in [*_cuts(sentence, level), len(sentence)]:
        if cut - start > MAX_SENTENCE_CHARS:
            if end > start:
                pieces.append(sentence[start:end])
                start = end
            if cut - start > MAX_SENTENCE_CHARS:  # too long between two breaks of this level
                pieces += cap_length(sentence[start:cut].strip(), level + 1)
                start = cut
        end = cut
    pieces.append(sentence[start:end])
    return [piece for piece in map(str.strip, pieces) if piece]


def _cuts(sentence: str, level: int) -> Iterator[int]:
    for match in _BREAKS[level].finditer(sentence):
        if level == 0 and match.group().startswith(".") and _is_abbreviation(sentence, 0, match.start() + 1):
            continue  # "TP. hồ chí minh" in a text written in lower case
        yield match.end()


_OPEN_QUOTES = "“«"
_CLOSE_QUOTES = "”»"


def quote_marks(text: str, inside: bool = False) -> Iterator[tuple[int, bool]]:
    """The quotation marks of `text` in order, as (offset, opens), for a text that starts
    `inside` a quotation or not. Curly quotes open and close explicitly; straight double
    quotes toggle."""
    for index, ch in enumerate(text):
        if ch in _OPEN_QUOTES:
            inside = True
        elif ch in _CLOSE_QUOTES:
            inside = False
        elif ch == '"':
            inside = not inside
        else:
            continue
        yield index, inside


def quote_states(sentences: list[str]) -> list[bool]:
    """For each sentence of a paragraph: does it start inside a quotation opened earlier?"""
    states = []
    inside = False
    for sentence in sentences:
        states.append(inside)
        marks = [opens for _, opens in quote_marks(sentence, inside)]
        inside = marks[-1] if marks else inside
    return states


# --- word segmentation ----------------------------------------------------------
#
# Behind one small interface so the toolkit can be swapped: a segmenter maps a sentence to
# words with their character offsets. "underthesea" uses the CRF model shipped inside its
# PyPI wheel (no download); "syllable" treats every syllable as a word (no dependency).


@dataclass(frozen=True, slots=True)
class Word:
    start: int
    end: int
    text: str  # syllables joined by spaces, as in the sentence

    @property
    def syllables(self) -> list[str]:
        return self.text.split()


Segmenter = Callable[[str], list[Word]]
_TOKEN = re.compile(r"\w+(?:[-.]\w+)*|[^\w\s]", re.UNICODE)


def segment_syllables(text: str) -> list[Word]:
    return [Word(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(text)]


def segment_underthesea(text: str) -> list[Word]:
    from underthesea import word_tokenize

    return _align(text, word_tokenize(text))


def _align(text: str, words: list[str]) -> list[Word]:
    """Offsets of a toolkit's words, found in order in the original text."""
    found: list[Word] = []
    position = 0
    for word in words:
        span = _find_syllables(text, word.split() or [word], position)
        if span is None:  # the toolkit changed the text (quotes, spacing): keep the rest syllable-wise
            return found + [w for w in segment_syllables(text) if w.start >= position]
        found.append(Word(span[0], span[1], text[span[0] : span[1]]))
        position = span[1]
    return found


def _find_syllables(text: str, syllables: list[str], position: int) -> tuple[int, int] | None:
    """First place at or after `position` where the syllables follow each other, spaces between
    optional. Plain string search: a regex per word made segmenting twice as slow."""
    start = text.find(syllables[0], position)
    while start >= 0:
        end = start + len(syllables[0])
        for syllable in syllables[1:]:
            while end < len(text) and text[end].isspace():
                end += 1
            if not text.startswith(syllable, end):
                break
            end += len(syllable)
        else:
            return start, end
        start = text.find(syllables[0], start + 1)
    return None


SEGMENTERS: dict[str, Segmenter] = {"underthesea": segment_underthesea, "syllable": segment_syllables}


@cache
def default_segmenter() -> str:
    try:
        import underthesea  # noqa: F401
    except ImportError:
        return "syllable"
    return "underthesea"


def segment(text: str, backend: str | None = None) -> list[Word]:
    return SEGMENTERS[backend or default_segmenter()](text)
