"""Text normalisation and sentence splitting for Vietnamese news.

Word segmentation, POS and NER come later behind the same module; what is here
has no dependency beyond the standard library.
"""

from __future__ import annotations

import importlib.util
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache, lru_cache

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


def quote_depths(text: str, inside: bool = False) -> Iterator[tuple[int, int]]:
    """The quotation marks of `text` in order, as (offset, depth after the mark), for a text
    that starts `inside` a quotation or not. A curly mark opened inside a quotation nests
    ("“… anh Dũng “khùng” thì …”"), except at the start of the text, where it reopens the
    quotation a new paragraph or sentence continues; straight double quotes close one level
    inside a quotation and open one outside."""
    depth = 1 if inside else 0
    for index, ch in enumerate(text):
        if ch in _OPEN_QUOTES:
            depth += 0 if depth and not text[:index].strip() else 1
        elif ch in _CLOSE_QUOTES:
            depth = max(0, depth - 1)
        elif ch == '"':
            depth = depth - 1 if depth else 1
        else:
            continue
        yield index, depth


def quoted_stretches(text: str, inside: bool = False) -> list[tuple[int, int, bool]]:
    """(start, end, closed) of each stretch of `text` inside a quotation, outermost marks
    included: from 0 when the text starts `inside` one, to len(text) (closed False) when the
    last one is left open."""
    stretches, opened = [], 0 if inside else None
    for index, depth in quote_depths(text, inside):
        if depth and opened is None:
            opened = index
        elif not depth and opened is not None:
            stretches.append((opened, index + 1, True))
            opened = None
    if opened is not None and opened < len(text):
        stretches.append((opened, len(text), False))
    return stretches


def quote_states(sentences: list[str], inside: bool = False) -> list[bool]:
    """For each sentence of a paragraph: does it start inside a quotation opened earlier (or,
    `inside`, in an earlier paragraph)?"""
    states = []
    for sentence in sentences:
        states.append(inside)
        inside = runs_on(sentence, inside)
    return states


def runs_on(text: str, inside: bool = False) -> bool:
    """Whether the sentence after `text` (which starts `inside` a quotation or not) starts inside
    one: `text` leaves a quotation open, and did not open it with a curly mark right after a word
    ("với đề tài “Nghiên cứu … Yên Bái."). A quotation opened inside a clause is a title, a term
    or words woven into the writer's sentence, which goes on after it ("đề tài “…” do …"): left
    open at the end of its sentence, its closing mark was left out, and carrying it held every
    later sentence of the paragraph in the quotation. Of the 82 spans of the dev quotation gold
    that run over a sentence end, 79 open at the sentence's start or after punctuation ("X nói:
    “… .", "Theo ông X, “… ."); two mottos open after a word. A straight mark after a word may be
    a closing one read as opening (… "hack". inside a quotation): it carries as before."""
    stretches = quoted_stretches(text, inside)
    if not stretches or stretches[-1][2]:
        return False
    start = stretches[-1][0]
    if inside and start == 0:
        return True  # the quotation the text started in
    return text[start] not in _OPEN_QUOTES or not text[:start].rstrip()[-1:].isalnum()


def continues_quote(text: str) -> bool:
    """A paragraph whose first quotation mark closes a quotation: it goes on with one the
    paragraph before left open ("…”, bà Mogherini nói." after "“Quy mô …")."""
    first = next((ch for ch in text if ch in _OPEN_QUOTES or ch in _CLOSE_QUOTES or ch == '"'), "")
    return bool(first) and (first in _CLOSE_QUOTES or (first == '"' and text.count('"') % 2 == 1))


# --- word segmentation ----------------------------------------------------------
#
# Behind one small interface so the toolkit can be swapped: a segmenter maps a sentence to
# words with their character offsets. "pyvi" and "underthesea" use the CRF models shipped inside
# their PyPI wheels (no download); "syllable" treats every syllable as a word (no dependency).


@dataclass(frozen=True, slots=True)
class Word:
    start: int
    end: int
    text: str  # syllables joined by spaces, as in the sentence

    @property
    def syllables(self) -> list[str]:
        return self.text.split()


Segmenter = Callable[[str], list[Word]]
# An initialism keeps its final period ("U.S.", "v.v.": the gazetteer and underthesea spell them
# so); other words keep inner hyphens and periods ("Suk-yeol", "TP.HCM", "1.000") but not a final one.
_TOKEN = re.compile(r"(?:[^\W\d_]\.){2,}(?!\w)|\w+(?:[-.]\w+)*|[^\w\s]", re.UNICODE)


def segment_syllables(text: str) -> list[Word]:
    return [Word(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(text)]


def segment_underthesea(text: str) -> list[Word]:
    from underthesea import word_tokenize

    return _align(text, word_tokenize(text))


def segment_pyvi(text: str) -> list[Word]:
    """pyvi's CRF labels over our syllables: its own syllable splitter cuts "Suk-yeol" and "T.Ư"
    and keeps a final period in "USD.", which the entity rules then see as words."""
    from pyvi.ViTokenizer import ViTokenizer

    tokens = list(_TOKEN.finditer(text))
    if not tokens:
        return []
    names = [token.group() for token in tokens]
    labels = ViTokenizer.model.predict_single(ViTokenizer.sent2features(names, False))
    words = [[tokens[0]]]
    for token, label, before in zip(tokens[1:], labels[1:], names[:-1], strict=True):
        if label == "I_W" and _may_join(before, token.group()):
            words[-1].append(token)
        else:
            words.append([token])
    return [Word(w[0].start(), w[-1].end(), text[w[0].start() : w[-1].end()]) for w in words]


def _may_join(before: str, syllable: str) -> bool:
    """pyvi's own guard on its labels: a word joins neither punctuation nor numbers, and a
    capitalised syllable does not continue a lower-case one."""
    return (
        before[0].isalpha()
        and syllable[0].isalpha()
        and not (syllable[0].isupper() and not before[0].isupper())
    )


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


SEGMENTERS: dict[str, Segmenter] = {
    "underthesea": segment_underthesea,
    "syllable": segment_syllables,
    "pyvi": segment_pyvi,
}


# The package each statistical segmenter imports (its model loads on first use, in each worker).
_TOOLKITS = {"underthesea": "underthesea", "pyvi": "pyvi"}


def available(backend: str) -> bool:
    """Whether the segmenter's toolkit is installed, without loading it: the main process of an
    ingest segments nothing."""
    return backend not in _TOOLKITS or importlib.util.find_spec(_TOOLKITS[backend]) is not None


# News repeats sentences: across an article's copies and outlets' rewrites of one wire story,
# and in standing lines ("Ảnh minh họa", bylines). A statistical segmenter costs about 1 ms a
# sentence and a lookup a microsecond, so each process keeps the words of its last sentences.
# Over the MDS articles in reading order 4.0% of sentences repeat one seen before, and a cache of
# 4,096 catches them all (as 16,384 does); an entry holds about 5 KB of words: ~20 MiB a worker.
SEGMENT_CACHE_SIZE = 4_096


@lru_cache(maxsize=SEGMENT_CACHE_SIZE)
def _segmented(text: str, backend: str) -> tuple[Word, ...]:
    return tuple(SEGMENTERS[backend](text))


# Best first (README, Speed: word F1 on UD Vietnamese-VTB and entity F1 on the NER gold equal
# within their intervals, pyvi about 3x faster than underthesea); the syllable splitter always works.
PREFERENCE = ("pyvi", "underthesea", "syllable")


@cache
def default_segmenter() -> str:
    return next(name for name in PREFERENCE if available(name))


def segment(text: str, backend: str | None = None) -> list[Word]:
    """The words of `text` by a segmenter of SEGMENTERS (default: the best installed); a new list
    each call, the words themselves (frozen) shared with earlier calls on the same text."""
    return list(_segmented(text, backend or default_segmenter()))
