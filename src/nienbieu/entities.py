"""Named entities (PER, ORG, LOC, MISC), quotes, and one canonical entity per real thing.

Recognition is rule-based over the words of a segmenter (`nlp.segment`): a gazetteer of
countries, cities and organisations with their aliases (`data/entities.toml`), then runs of
capitalised words classified by what stands around them: a title before a person
("Ngoại trưởng Mỹ John Kerry"), an organisation head word ("Bộ Ngoại giao"), a place cue
("tại Vilnius"); the gazetteer rows live in `data/gazetteer.toml`. The statistical NER
shipped with underthesea is far less accurate on our gold set (README); it is kept only as a
baseline (`recognise_underthesea`, `nienbieu eval ner --model underthesea`).

Across a corpus, `link` merges aliases ("Jens Stoltenberg" / "ông Stoltenberg"), settles each
surface's type by majority, and finds lower-cased names a sloppy source wrote ("ông trump",
"châu âu") when the corpus or the gazetteer knows their cased form.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

from nienbieu import nlp
from nienbieu.data import load
from nienbieu.models import Article, Mention, Quote, Sentence


def tables() -> dict[str, Any]:
    return load("entities")


@dataclass(frozen=True, slots=True)
class Known:
    canonical: str
    type: str


def _gazetteer_rows() -> Iterable[tuple[str, str, list[str]]]:
    for row in tables()["entity"]:
        yield row["name"], row["type"], row.get("aliases", [])
    for kind, rows in load("gazetteer").items():
        for name, aliases in rows.items():
            yield name, kind, aliases


@cache
def gazetteer() -> dict[str, Known]:
    """Alias (as written) -> entity; entities.toml rows win over gazetteer.toml."""
    found: dict[str, Known] = {}
    for name, kind, aliases in _gazetteer_rows():
        known = Known(name, kind)
        for alias in [name, *aliases]:
            found.setdefault(alias, known)
    return found


@cache
def _lower_gazetteer() -> dict[str, Known]:
    found: dict[str, Known] = {}
    for alias, known in gazetteer().items():
        found.setdefault(alias.lower(), known)
    return found


@cache
def _longest_alias() -> dict[str, int]:
    """First syllable (lower case) -> an upper bound on the syllables of the aliases that
    start with it: the gazetteer scan tries only windows that can match. An alias is keyed by
    its first word both whole and cut at a hyphen, as `_syllables` may split "Guinea-Bissau"
    but keeps "U-crai-na" whole; every token counts, punctuation too ("St. Petersburg")."""
    longest: dict[str, int] = defaultdict(int)
    for alias in _lower_gazetteer():
        size = len(re.findall(r"\w+|[^\w\s]", alias))
        first = alias.split()[0]
        word = _leading_word(first) or first
        for key in {first, first.split("-")[0] or first, word}:
            longest[key] = max(longest[key], size)
    return dict(longest)


@cache
def _syllable_sets() -> dict[str, frozenset[tuple[str, ...]]]:
    t = tables()
    names = (
        "person_titles",
        "title_modifiers",
        "org_heads",
        "org_cues",
        "place_cues",
        "speech_verbs",
        "quote_leads",
        "name_leads",
        "org_subject_leads",
        "misc_heads",
        "misc_cues",
        "org_tails",
    )
    return {name: frozenset(tuple(entry.lower().split()) for entry in t[name]) for name in names}


@cache
def _word_set(name: str) -> frozenset[str]:
    return frozenset(tables()[name])


def _starts_with(syllables: list[str], table: str) -> int:
    """Length of the longest entry of `table` that `syllables` begins with (0 if none)."""
    entries = _syllable_sets()[table]
    lowered = [s.lower() for s in syllables[:5]]
    for n in range(len(lowered), 0, -1):
        if tuple(lowered[:n]) in entries:
            return n
    return 0


def _title_length(syllables: list[str]) -> int:
    """A person's title at the start, with its "cựu"/"tân" modifiers ("Cựu Tổng thống")."""
    modifiers = _starts_with(syllables, "title_modifiers")
    title = _starts_with(syllables[modifiers:], "person_titles")
    return modifiers + title if title else 0


# Vietnamese syllable shape without tones and vowel marks: initial, vowel cluster, final.
# A word outside it ("trump", "kiev", "nato") is foreign, hence a name in lower-case text.
_VIETNAMESE_SYLLABLE = re.compile(
    r"^(?:ngh|ng|gh|gi|kh|nh|ph|qu|th|tr|ch|[bcdghklmnprstvx])?(?!\w*(?:aa|ee|ii|uu|yy|oo(?!ng)))"
    r"[aeiouy]{1,3}(?:ch|nh|ng|[cmnpt])?$"
)


def vietnamese_syllable(word: str) -> bool:
    """Could `word` be one Vietnamese syllable? Hyphenated words are judged by their parts."""
    if "-" in word.strip("-"):
        return all(vietnamese_syllable(part) for part in word.split("-") if part)
    return bool(_VIETNAMESE_SYLLABLE.match(nlp.fold(word)))


# --- one sentence ----------------------------------------------------------------

_ACRONYM = re.compile(r"^[A-ZĐ][A-ZĐ0-9&.]{1,7}$")
_PRODUCT = re.compile(r"^(?:[A-Z][A-Za-z]*-?\d+[A-Za-z]*|i[A-Z]\w+)$")
_ROMAN = re.compile(r"^[IVXLC]+$")
_CAMEL = re.compile(r"^[A-ZĐ][a-zà-ỹđ]+[A-ZĐ]\w*$")


@dataclass(slots=True)
class _Syl:
    start: int
    end: int
    text: str
    word: int  # index of the segmenter word it belongs to


def _syllables(text: str, words: list[nlp.Word]) -> list[_Syl]:
    """Syllables with their word index; hyphenated pairs of names ("Mỹ-NATO") are split."""
    found = []
    for index, word in enumerate(words):
        for m in re.finditer(r"[^\s]+", text[word.start : word.end]):
            start = word.start + m.start()
            parts = m.group().split("-")
            if len(parts) > 1 and all(_capitalised(p) or p.lower() in _lower_gazetteer() for p in parts if p):
                offset = start
                for part in parts:
                    if part:
                        found.append(_Syl(offset, offset + len(part), part, index))
                    offset += len(part) + 1
                continue
            found.append(_Syl(start, start + len(m.group()), m.group(), index))
    return found


def _capitalised(syllable: str) -> bool:
    return syllable[:1].isupper() or (syllable[:1].isdigit() and any(c.isupper() for c in syllable))


def _is_word_char(syllable: str) -> bool:
    return bool(re.match(r"\w", syllable))


def recognise(
    text: str, backend: str | None = None, sloppy: bool = False, words: list[nlp.Word] | None = None
) -> list[Mention]:
    """Entity mentions in one sentence, left to right. `sloppy`: the text is known to write
    names in lower case, so a lone "mỹ" is a name too; a sentence without any capital letter
    is taken as such. `words`: the sentence already segmented."""
    sloppy = sloppy or _written_in_lower_case(text)
    syls = _syllables(text, words if words is not None else nlp.segment(text, backend))
    taken = [False] * len(syls)
    mentions = _quoted_titles(text, syls, taken)
    mentions += _gazetteer_mentions(text, syls, taken, sloppy)
    mentions += _run_mentions(text, syls, taken)
    if sloppy:
        mentions += _lowercase_names(text, syls, taken)
    return _extend_names(text, sorted(mentions, key=lambda m: m.start))


def _written_in_lower_case(text: str) -> bool:
    """No capital letter at all, not even the first: a source that does not capitalise."""
    return any(c.isalpha() for c in text) and not any(c.isupper() for c in text)


def _gazetteer_mentions(text: str, syls: list[_Syl], taken: list[bool], sloppy: bool) -> list[Mention]:
    """Longest aliases first; a match must start and end on word boundaries."""
    found = []
    longest = _longest_alias()
    i = 0
    while i < len(syls):
        match = None
        for n in range(min(longest.get(syls[i].text.lower(), 0), len(syls) - i), 0, -1):
            known = _known_at(text, syls, taken, i, i + n - 1, sloppy)
            if known and known.type != "PER":
                match = (i + n - 1, known)
                break
        if match:
            j, known = match
            surface = text[syls[i].start : syls[j].end]
            found.append(Mention(syls[i].start, syls[j].end, surface, known.type, known.canonical))
            for k in range(i, j + 1):
                taken[k] = True
            i = j + 1
        else:
            i += 1
    return found


def _known_at(text: str, syls: list[_Syl], taken: list[bool], i: int, j: int, sloppy: bool) -> Known | None:
    if not _word_aligned(text, syls, i, j) and not _name_boundary(syls, i, j):
        return None
    surface = text[syls[i].start : syls[j].end]
    single = i == j
    known = gazetteer().get(surface)
    if known is None and not single and sum(_capitalised(s.text) for s in syls[i : j + 1]) >= 2:
        known = _lower_gazetteer().get(surface.lower())  # "Liên Hợp Quốc" for "Liên hợp quốc"
    if known is None and _lower_case_name(text, syls, i, j, sloppy):
        known = _lower_gazetteer().get(surface)  # "nước mỹ", "mỹ-nato", "châu âu"
    if known and single and (_ordinary_word_start(syls, i) or _inside_name(text, syls, taken, i)):
        return None
    if known and known.type == "ORG" and _longer_org(text, syls, i, j):
        return None
    return known


def _longer_org(text: str, syls: list[_Syl], i: int, j: int) -> bool:
    """ "Đảng Dân chủ Tự do" is not "Đảng Dân chủ": a headed organisation name that goes on in
    capitalised Vietnamese words is a longer name, left to the run rules."""
    if j + 1 >= len(syls) or text[syls[j].end : syls[j + 1].start] != " ":
        return False
    after = syls[j + 1].text
    return (
        _starts_with([s.text for s in syls[i : j + 1]], "org_heads") > 0
        and _capitalised(after)
        and vietnamese_syllable(after)
        and after not in _word_set("vietnamese_surnames")
        and after.lower() not in _longest_alias()
        and not _title_length([s.text for s in syls[j + 1 : j + 6]])
    )


def _lower_case_name(text: str, syls: list[_Syl], i: int, j: int, sloppy: bool) -> bool:
    surface = text[syls[i].start : syls[j].end]
    return (
        surface.islower()
        and (i == j or _space_joined(text, syls, i, j))
        and surface not in _word_set("ambiguous_lowercase")
        and (sloppy or _lowercase_context(text, syls, i))
    )


def _ordinary_word_start(syls: list[_Syl], i: int) -> bool:
    # "Ý kiến", "Anh ấy": a one-syllable name opening a sentence before a lower-case word
    # is more often an ordinary word; "Anh Nguyễn Anh Duy": before a family name, a title.
    # A foreign name ("Brunei") or an acronym ("eu") is never an ordinary word.
    opening = i == 0 or _after_opening(syls, i)
    word = syls[i].text
    if not opening or i + 1 >= len(syls) or word.lower() not in _word_set("ambiguous_lowercase"):
        return False
    after = syls[i + 1].text
    title = (word.lower(),) in _syllable_sets()["person_titles"]
    return after[:1].islower() or (title and after in _word_set("vietnamese_surnames"))


def _inside_name(text: str, syls: list[_Syl], taken: list[bool], i: int) -> bool:
    """ "Bùi Anh Tuấn", "quận Thủ Đức": a one-syllable alias right after another capitalised
    word is part of a longer name, not a country."""
    if i == 0 or taken[i - 1] or text[syls[i - 1].end : syls[i].start] != " ":
        return False
    before = syls[i - 1].text
    return (
        _capitalised(before)
        and before.lower() not in _word_set("function_words")
        and not (i - 1 == 0 or _after_opening(syls, i - 1))
    ) or before in _word_set("vietnamese_surnames")


def _word_aligned(text: str, syls: list[_Syl], i: int, j: int) -> bool:
    starts = i == 0 or syls[i - 1].word != syls[i].word
    ends = j == len(syls) - 1 or syls[j + 1].word != syls[j].word
    # a hyphen-split pair ("Mỹ-NATO") shares a word but each part stands alone
    return (starts or _hyphen_between(text, syls, i - 1, i)) and (
        ends or _hyphen_between(text, syls, j, j + 1)
    )


def _name_boundary(syls: list[_Syl], i: int, j: int) -> bool:
    """A segmenter may glue a name to its neighbours ("NATO Mark", "pháp Anh"); a
    capitalised alias still stands alone where the case changes or the neighbour in that
    word is a name too; a lower-case continuation ("Ngoại giao") is the same word."""
    if not all(_capitalised(s.text) for s in syls[i : j + 1]):
        return False
    left = i == 0 or syls[i - 1].word != syls[i].word or _is_word_char(syls[i - 1].text)
    right = j == len(syls) - 1 or syls[j + 1].word != syls[j].word or _capitalised(syls[j + 1].text)
    return left and right


def _hyphen_between(text: str, syls: list[_Syl], a: int, b: int) -> bool:
    return 0 <= a < len(syls) and b < len(syls) and text[syls[a].end : syls[b].start] == "-"


def _space_joined(text: str, syls: list[_Syl], i: int, j: int) -> bool:
    return all(text[syls[k].end : syls[k + 1].start] in (" ", "-") for k in range(i, j))


_LOWER_CUES = frozenset({"nước", "tại", "ở", "phía", "người", "quân", "đội", "thủ", "đô", "chính", "quyền"})


def _lowercase_context(text: str, syls: list[_Syl], i: int) -> bool:
    """Where a name in lower case ("mỹ") is a name in a text that otherwise capitalises:
    after a place word or in a hyphenated pair."""
    before = syls[i - 1].text.lower() if i else ""
    hyphen = _hyphen_between(text, syls, i - 1, i) or _hyphen_between(text, syls, i, i + 1)
    return before in _LOWER_CUES or hyphen


def _lowercase_names(text: str, syls: list[_Syl], taken: list[bool]) -> list[Mention]:
    """In a text that writes names in lower case, foreign words are names: a person's after
    a title, maybe past the country or party named with it ("thủ tướng malaysia anwar
    ibrahim"), a place's after a place word ("ở rafah")."""
    found = []
    i = 1
    while i < len(syls):
        start = i
        while (
            i < len(syls)
            and not taken[i]
            and syls[i].text.isalpha()
            and not vietnamese_syllable(syls[i].text)
        ):
            i += 1
        if i > start:
            cue = start
            while cue > 0 and taken[cue - 1]:
                cue -= 1  # past "malaysia", "đảng cộng hòa"
            kind = "PER" if _cue_before(syls, cue, "person_titles") else None
            kind = kind or ("LOC" if _cue_before(syls, start, "place_cues") else None)
            if kind:
                surface = text[syls[start].start : syls[i - 1].end]
                found.append(Mention(syls[start].start, syls[i - 1].end, surface, kind))
        i = max(i, start + 1)
    return found


def _run_mentions(text: str, syls: list[_Syl], taken: list[bool]) -> list[Mention]:
    found = []
    i = 0
    while i < len(syls):
        if taken[i] or not _capitalised(syls[i].text):
            i += 1
            continue
        j = i
        while j + 1 < len(syls) and not taken[j + 1] and _continues(syls, j + 1, i):
            j += 1
        found += _classify_run(text, syls, taken, i, j)
        i = j + 1
    return found


def _continues(syls: list[_Syl], k: int, start: int) -> bool:
    """A run of names goes on through capitalised syllables and the rest of their words
    ("Bộ Ngoại giao": "giao" belongs to the word "Ngoại giao"), through particles of foreign
    names ("Ursula von der Leyen") and through a head the segmenter split ("Đảng" "ủy"); it
    stops before a function word ("An Sơn Trong đó") and before a title ("Won-Giám đốc")."""
    word = syls[k].text
    if syls[k].start - syls[k - 1].end > 1:
        return False
    if _capitalised(word):
        if syls[k].word != syls[k - 1].word and _title_length([s.text for s in syls[k : k + 5]]):
            so_far = [s.text for s in syls[start:k]]
            if _starts_with(so_far, "org_heads") != len(so_far):  # "Văn phòng Tổng thống" goes on
                return False
        return word.lower() not in _word_set("function_words") or syls[k].word == syls[k - 1].word
    if word in _word_set("name_particles"):
        particles = _word_set("name_particles")
        following = next((s.text for s in syls[k + 1 :] if s.text not in particles), "")
        preceding = next((s.text for s in reversed(syls[:k]) if s.text not in particles), "")
        return _capitalised(following) and not vietnamese_syllable(preceding)
    if word in _word_set("function_words"):
        return False  # "Thương binh và": the segmenter glued a conjunction to a name
    if (syls[k - 1].text.lower(), word.lower()) in _syllable_sets()["org_heads"]:
        return True
    return syls[k].word == syls[k - 1].word and _is_word_char(word)


def _classify_run(text: str, syls: list[_Syl], taken: list[bool], i: int, j: int) -> list[Mention]:
    # Leading function words and common abbreviations are not part of a name ("Theo Bộ GD",
    # "PV Báo Giao thông").
    while i < j and (
        syls[i].text.lower() in _word_set("function_words") or syls[i].text in _word_set("not_entities")
    ):
        i += 1
    while j > i and syls[j].text in _word_set("not_entities"):
        j -= 1  # "Số DN"
    i = _past_opening_word(syls, i, j)
    names = [s.text for s in syls[i : j + 1]]
    # Strip titles, repeatedly, when they end on a word boundary: "Cựu Tổng thống" -> "Donald
    # Trump", but "Đại sứ quán" is not "Đại sứ" + "quán".
    person = False
    while True:
        n = _title_length(names)
        if n == 0 or n == len(names) or syls[i + n - 1].word == syls[i + n].word:
            break
        names, i, person = names[n:], i + n, True
    if _title_length(names) == len(names):
        return []  # a title alone ("Tổng thống" before a name the gazetteer took: "Nga")
    head = _starts_with(names, "org_heads")
    org = False
    opening = i == 0 or _after_opening(syls, i)
    n = 0 if head else _starts_with(names, "org_cues")
    if n and not opening:
        head = n  # "Thẩm mỹ viện Cát Tường": a capitalised head inside a sentence is part of the name
    elif 0 < n < len(names):
        names, i, org = names[n:], i + n, True
    if not head and not _starts_with(names, "misc_heads"):
        while j > i and syls[j].text[:1].islower() and syls[j].text not in _word_set("name_particles"):
            j -= 1  # "bà Bẩy tổn hại": the segmenter glued a verb to the name
        names = [s.text for s in syls[i : j + 1]]
    org = org or _cue_before(syls, i, "org_cues")
    person = person or _cue_before(syls, i, "person_titles")
    if _title_length(names) == len(names):
        return []  # a title alone ("Tổng thống", "Ngoại trưởng")
    if head or _starts_with(names, "misc_heads"):
        return _headed(text, syls, taken, i, j, head, person)
    if org and j + 1 < len(syls) and syls[j + 1].text.isdigit() and syls[j + 1].start == syls[j].end + 1:
        j += 1  # "trường Tân Lập 1"
    split = _name_after_foreign(syls, i, j)
    if split:  # "The Voice Bùi Anh Tuấn"
        return [*_classify_run(text, syls, taken, i, split - 1), _mention(text, syls, split, j, "PER")]
    if org and not person:
        kind: str | None = "ORG"
    elif _cue_before(syls, i, "misc_cues") and not person:
        kind = "MISC"
    else:
        kind = _kind(names, person, _place_cue(syls, i), sentence_initial=opening)
    return [_mention(text, syls, i, j, kind)] if kind else []


def _cue_before(syls: list[_Syl], i: int, table: str) -> bool:
    """Do the whole words before syllable i end with an entry of `table`? ("tờ" + name, but
    not the "trường" of "quảng trường")."""
    entries = _syllable_sets()[table]
    for n in range(1, min(4, i) + 1):
        first = i - n
        if (first == 0 or syls[first - 1].word != syls[first].word) and tuple(
            s.text.lower() for s in syls[first:i]
        ) in entries:
            return True
    return False


def _place_cue(syls: list[_Syl], i: int) -> str | None:
    """ "strong" after a place noun ("tỉnh", "đường"), "weak" after a preposition ("tại")."""
    if not _cue_before(syls, i, "place_cues"):
        return None
    weak = i > 0 and syls[i - 1].text.lower() in _word_set("place_prepositions")
    return "weak" if weak else "strong"


def _past_opening_word(syls: list[_Syl], i: int, j: int) -> int:
    """ "Khách hàng Navibank": a sentence's first word, capitalised only because it opens the
    sentence ("Khách hàng"), is not part of the name after it; names capitalise every
    syllable. Heads and titles ("Tập đoàn", "Bộ trưởng") are kept for the rules after."""
    if not (i == 0 or _after_opening(syls, i)):
        return i
    k = i + 1
    while k <= j and syls[k].word == syls[i].word and syls[k].text[:1].islower():
        k += 1
    names = [s.text for s in syls[i : j + 1]]
    kept = _starts_with(names, "org_heads") or _starts_with(names, "misc_heads") or _title_length(names)
    return k if i + 1 < k <= j and not kept else i


def _mention(text: str, syls: list[_Syl], i: int, j: int, kind: str) -> Mention:
    return Mention(syls[i].start, syls[j].end, text[syls[i].start : syls[j].end], kind)


def _person_after_org(syls: list[_Syl], i: int, j: int, head: int) -> int | None:
    """Where a person's name starts after an organisation in one capitalised run: a family
    name that opens a new word and leaves two to four syllables."""
    for k in range(i + head + 1, j):
        surname = syls[k].text in _word_set("vietnamese_surnames")
        if surname and syls[k].word != syls[k - 1].word and 2 <= j - k + 1 <= 4:
            return k
    return None


def _after_opening(syls: list[_Syl], i: int) -> bool:
    return i > 0 and syls[i - 1].text in ("“", '"', "(", ":", "-", "–", "‘", "'")


def _kind(names: list[str], person: bool, place: str | None, sentence_initial: bool) -> str | None:
    surface = " ".join(names)
    acronym = bool(_ACRONYM.match(surface)) and surface not in _word_set("not_entities")
    if person:
        return "ORG" if acronym else "PER"  # "Giám đốc NSA": people are not acronyms
    if surface in _word_set("loanwords") or _ROMAN.match(surface):
        return None
    if names[-1] in _word_set("org_suffixes") or (
        len(names) == 1 and surface.lower().endswith(tuple(tables()["org_word_endings"]))
    ):
        return "ORG"
    if names[-1] in _word_set("misc_suffixes") or _PRODUCT.match(surface):
        return "MISC"
    if _ACRONYM.match(surface):  # an acronym that names nothing ("DN") is no entity
        return "ORG" if acronym else None
    if len(names) == 1 and _CAMEL.match(surface):
        return "ORG"  # "VinFast", "VietjetAir": brand names
    surname = names[0] in _word_set("vietnamese_surnames") and 2 <= len(names) <= 4
    if place == "strong" or (place == "weak" and not surname):
        return "LOC"
    proper = [n for n in names if n not in _word_set("name_particles")]
    foreign = any(not vietnamese_syllable(n) for n in proper if n.isalpha() and not n.isupper())
    if names[0] == "The":
        return "MISC"  # "The Voice": an English title
    if len(proper) == 1:
        # one capitalised word with no cue: a foreign one may be a person, a club, a product
        # ("Benzema", "Schalke", "Android"; as often one as the other on our dev sets), a
        # Vietnamese one an ordinary word; left alone — `link` finds bare surnames the corpus
        # names in full
        return None
    if all(n[:1].isupper() for n in proper) and len(proper) <= 4:
        return "PER" if foreign or proper[0] in _word_set("vietnamese_surnames") else None
    capitals = sum(n[:1].isupper() for n in names)
    return "MISC" if capitals >= 2 and not sentence_initial else None


def _quoted_titles(text: str, syls: list[_Syl], taken: list[bool]) -> list[Mention]:
    """'Vietnam Idol 2013': a short quotation whose every word is capitalised (or a number)
    is the title of a work or show, one MISC, whatever names it contains."""
    found = []
    for match in re.finditer(r"[“\"'‘]([^“”\"'‘’]{2,60})[”\"'’]", text):
        inside = [k for k, s in enumerate(syls) if match.start(1) <= s.start and s.end <= match.end(1)]
        words = [syls[k].text for k in inside]
        if 2 <= len(words) <= 8 and all(_capitalised(w) or w.isdigit() for w in words):
            found.append(Mention(match.start(1), match.end(1), match.group(1), "MISC"))
            for k in inside:
                taken[k] = True
    return found


def _headed(
    text: str, syls: list[_Syl], taken: list[bool], i: int, j: int, head: int, person: bool
) -> list[Mention]:
    """A run that starts with an organisation head ("Bộ Y tế") or an event/treaty head
    ("Hiệp ước", "Chiến tranh Lạnh")."""
    kind = "ORG" if head else "MISC"
    names = [s.text for s in syls[i : j + 1]]
    head = head or _starts_with(names, "misc_heads")
    if head < len(names) and syls[i + head - 1].word == syls[i + head].word and names[head][:1].islower():
        return []  # "Hội nghị", "Viện trợ": the head word is only the start of a common word
    if head == len(names):
        # a head alone names something only when a name or its place follows ("Hội đồng" +
        # NATO, "UBND" + "tỉnh Thái Nguyên") or when it is an acronym ("UBND")
        follows = j + 1 < len(syls) and (taken[j + 1] or syls[j + 1].text in tables()["org_place_links"])
        return [_mention(text, syls, i, j, kind)] if follows or _ACRONYM.match(names[0]) else []
    if person and kind == "ORG":
        split = _person_after_org(syls, i, j, head)
        if split:  # "Bộ trưởng Bộ Y tế Nguyễn Thị Kim Tiến"
            return [_mention(text, syls, i, split - 1, "ORG"), _mention(text, syls, split, j, "PER")]
    return [_mention(text, syls, i, j, kind)]


def _name_after_foreign(syls: list[_Syl], i: int, j: int) -> int | None:
    """Where a Vietnamese person's name starts after foreign words in one run ("The Voice
    Bùi Anh Tuấn")."""
    for k in range(i + 1, j):
        surname = syls[k].text in _word_set("vietnamese_surnames") and 2 <= j - k + 1 <= 4
        if surname and all(not vietnamese_syllable(s.text) for s in syls[i:k]):
            return k
    return None


def _extend_names(text: str, mentions: list[Mention]) -> list[Mention]:
    """Names that go on past the mention found first: an organisation and the place in its
    name ("Bộ Quốc phòng" + "Nga", "UBND" + "tỉnh" + "Thái Nguyên", "Đại sứ quán VN" + "tại"
    + "Myanmar"), a treaty and its place ("Hiệp ước" + "Bắc Đại Tây Dương"), a foreign
    company and its country ("Abbott Việt Nam"), then lower-case tails and lists of fields
    ("Bảo tàng Lịch sử quốc gia", "Sở Văn hóa, Thể thao và Du lịch")."""
    links = {" " + link + " " for link in tables()["org_place_links"]} | {" "}
    merged: list[Mention] = []
    for m in (_with_tail(text, m) for m in mentions):
        last = merged[-1] if merged else None
        if last and m.type in ("LOC", "ORG") and _joins(text, last, m, links):
            merged.pop()
            m = Mention(last.start, m.end, text[last.start : m.end], "MISC" if last.type == "MISC" else "ORG")
        merged.append(m)
    return [_with_fields(text, m, merged) for m in merged]


def _joins(text: str, last: Mention, m: Mention, links: set[str]) -> bool:
    between = text[last.end : m.start]
    words = last.text.split()
    if last.type == "ORG" and _starts_with(words, "org_heads"):
        abroad = between == " tại " and any(last.text.startswith(h) for h in tables()["org_heads_abroad"])
        return between in links or abroad
    if last.type == "MISC" and _starts_with(words, "misc_heads"):
        return between == " "
    if last.type == "ORG" and m.type == "ORG" and m.text in _word_set("org_suffixes"):
        return between == " "  # "Apple" + "Inc"
    company = last.type == "PER" and len(words) == 1 and not vietnamese_syllable(last.text)
    return company and m.type == "LOC" and between == " " and last.canonical is None


def _with_tail(text: str, m: Mention) -> Mention:
    """ "Bảo tàng Lịch sử" + "quốc gia", "Quốc hội" + "khóa XIII"."""
    if m.type != "ORG" or not (_starts_with(m.text.split(), "org_heads") or m.text in gazetteer()):
        return m
    end = m.end
    rest = text[end:].split(maxsplit=3)
    for n in (2, 1):
        if (
            len(rest) >= n
            and tuple(w.lower().rstrip(",.;:") for w in rest[:n]) in _syllable_sets()["org_tails"]
        ):
            end = text.index(rest[n - 1], end) + len(rest[n - 1].rstrip(",.;:"))
            break
    term = _TERM.match(text, end)
    end = term.end() if term else end
    return m if end == m.end else Mention(m.start, end, text[m.start : end], "ORG")


def _with_fields(text: str, m: Mention, mentions: list[Mention]) -> Mention:
    if m.type != "ORG" or not _starts_with(m.text.split(), "org_heads"):
        return m
    end = m.end
    fields = _FIELD_LIST.match(text, end)
    if fields and not any(o.start < fields.end() and fields.start() < o.end for o in mentions if o is not m):
        end = fields.end()
    return m if end == m.end else Mention(m.start, end, text[m.start : end], "ORG", m.canonical)


# ", Thể thao và Du lịch": further fields of one ministry or department, each one or two words
_CAP = r"[A-ZĐÀ-ỸĂÂÊÔƠƯ]\w*"
_TERM = re.compile(r" kho[áa] [IVXLC]+\b")  # "Quốc hội khóa XIII": a legislature's term
_FIELD_LIST = re.compile(rf"(?:, {_CAP}(?: [a-zđà-ỹ]\w*)?)+ và {_CAP}(?: [a-zđà-ỹ]\w*)?(?![\w])")


def recognise_underthesea(text: str) -> list[Mention]:
    """The statistical NER shipped with underthesea (CRF, BIO tags), as mentions: kept as a
    baseline to compare against (`nienbieu eval ner --model underthesea`)."""
    from underthesea import ner

    rows = ner(text)
    words = nlp._align(text, [row[0] for row in rows])
    spans: list[list] = []  # [start, end, type]
    inside = False  # the previous word was tagged B- or I-
    for word, row in zip(words, rows, strict=False):
        tag = row[-1]
        if inside and tag == f"I-{spans[-1][2]}":
            spans[-1][1] = word.end
        elif tag[:2] in ("B-", "I-"):
            spans.append([word.start, word.end, tag[2:]])
        inside = tag[:2] in ("B-", "I-")
    return [Mention(start, end, text[start:end], kind) for start, end, kind in spans]


RECOGNISERS = {"rules": recognise, "underthesea": recognise_underthesea}


def _open_quote(sentences: list[Sentence], k: int, stops: list[int]) -> tuple[int, Quote] | None:
    """A quotation opened in sentence k and closed in a later sentence of the same paragraph
    (the later ones start `in_quote`): the index of the closing sentence and the quote, its
    speaker named with a speech verb outside the quotation in the first or the last sentence.
    `stops`: `quote_stops(sentences)`."""
    opening = sentences[k]
    start = _unclosed_quote_start(opening.text)
    if start is None:
        return None
    close = stops[k + 1]
    if close >= len(sentences) or not sentences[close].in_quote:
        return None
    last = sentences[close]
    end = closes_quote(last.text)
    parts = [opening.text[start + 1 :], *(s.text for s in sentences[k + 1 : close]), last.text[: end - 1]]
    text = " ".join(p.strip() for p in parts).strip()
    speaker = None
    if _has_speech_verb(opening.text[:start]):
        speaker = _speaker(opening, start, len(opening.text))
    if speaker is None and _has_speech_verb(last.text[end:]):
        speaker = _speaker(last, 0, end)
    return close, Quote(start, len(opening.text), text, speaker)


def quote_stops(sentences: list[Sentence]) -> list[int]:
    """For each index j (and len(sentences)), the first sentence from j on that is not inside a
    quotation or closes it; len(sentences) if none. One pass from the end: looking forward from
    every sentence that opens a quotation was quadratic when the quotations never close."""
    stops = [len(sentences)] * (len(sentences) + 1)
    for j in range(len(sentences) - 1, -1, -1):
        sentence = sentences[j]
        stops[j] = j if not sentence.in_quote or closes_quote(sentence.text) else stops[j + 1]
    return stops


def _unclosed_quote_start(text: str) -> int | None:
    """Offset of a quotation mark that the sentence opens and does not close."""
    stretches = nlp.quoted_stretches(text)
    return stretches[-1][0] if stretches and not stretches[-1][2] else None


def closes_quote(text: str) -> int:
    """Offset just after the closing quotation mark of a sentence that starts inside a
    quotation (0 if it does not close it)."""
    stretches = nlp.quoted_stretches(text, inside=True)
    return stretches[0][1] if stretches and stretches[0][2] else 0


def writes_names_in_lower_case(sentences: Iterable[Sentence]) -> bool:
    """Two or more names found in lower case: the source does not capitalise names."""
    return sum(m.text.islower() for s in sentences for m in s.mentions) >= 2


# --- quotes ------------------------------------------------------------------------

# At least this many characters between the marks: shorter ones are initials, numbers, one word.
MIN_QUOTE_CHARS = 8
# A quotation of at least this many words standing alone is somebody's words even with no speech
# verb in its sentence: a follow-on quotation ("“…”. “…”"), its speaker named before. Of the dev
# part's gold spans with 9 words or more, 148 are direct or partial and 12 scare quotes or names;
# shorter ones are mostly terms (docs/quotes-annotation.md).
LONG_QUOTE_WORDS = 9


def quotation_spans(text: str) -> Iterator[tuple[int, int]]:
    """(offset of the opening mark, offset after the closing mark) of each quotation of a
    sentence that starts outside one, with at least MIN_QUOTE_CHARS characters between the
    marks; mixed pairs ("…” and “…") count, as sources type them."""
    for start, end, closed in nlp.quoted_stretches(text):
        if closed and len(text[start + 1 : end - 1].strip()) >= MIN_QUOTE_CHARS:
            yield start, end


def _said_alone(text: str, start: int, end: int, quoted: str) -> bool:
    """A long quotation standing as a sentence of its own, or after a colon: somebody's words
    with no speech verb beside them ("“…”, ông nói. “…”"); a long title or motto inside a
    clause ("hỗ trợ cho “Chương trình học bổng …” dành cho") is not."""
    if len(quoted.split()) < LONG_QUOTE_WORDS:
        return False
    before, after = text[:start].strip(), text[end:].strip(' .!?…”"')
    return not before or before.endswith(":") or not after


def quotes(sentence: Sentence, previous_speaker: str | None = None) -> list[Quote]:
    """Direct quotes in a sentence with their speaker: the person named next to a speech verb
    outside the quotation ("Ông Stoltenberg nói: “…”", "“…”, ông Stoltenberg nói"), else the
    person spoken of just before ("ông nói" after a sentence naming him). A long quotation is
    a quote without a speech verb too."""
    text = sentence.text
    found = []
    for start, end in quotation_spans(text):
        quoted = text[start + 1 : end - 1].strip()
        outside = text[:start] + " " * (end - start) + text[end:]
        if not _has_speech_verb(outside) and not _said_alone(text, start, end, quoted):
            continue
        if is_term(text, start, end, quoted):
            speaker = None
        else:
            speaker = _speaker(sentence, start, end) or previous_speaker
        found.append(Quote(start, end, quoted, speaker))
    return found


# A quotation of at most this many words inside a clause is a term the writer marks ("cái gọi là
# “mối đe dọa”", "fan lập tức “thức tỉnh”"), nobody's words, unless a speech verb frames it.
SCARE_QUOTE_MAX_WORDS = 4
_CLAUSE_END = re.compile(r"[.;:!?“”\"()]")


def is_term(text: str, start: int, end: int, quoted: str) -> bool:
    """Nobody's words: a title after the noun that names it ("ca khúc “…”", "chương trình
    “…”"), a term after "cái gọi là", or a short quotation inside a clause: not introduced by a
    colon ("X nói: “…”"), not followed by its speaker (“…”, X nói), and not opened by a word
    that introduces reported speech ("X cho rằng “…”", "gọi đó là “…”")."""
    before = text[:start].rstrip()
    words = re.findall(r"\w+", before.lower())
    if any(_ends_with(words, w) for w in _syllable_sets()["name_leads"]):
        return True
    if len(quoted.split()) > SCARE_QUOTE_MAX_WORDS:
        return False
    if before.endswith(":"):
        return False
    after = text[end:].lstrip()
    if after[:1] in (",", "–", "-", "—"):
        clause = _CLAUSE_END.split(after[1:], maxsplit=1)[0]
        if _has_speech_verb(clause):
            return False
    return not any(_ends_with(words, w) for w in _syllable_sets()["quote_leads"])


def _ends_with(words: list[str], entry: tuple[str, ...]) -> bool:
    return len(words) >= len(entry) and tuple(words[-len(entry) :]) == entry


def _has_speech_verb(outside: str) -> bool:
    lowered = " " + " ".join(re.findall(r"\w+", outside.lower())) + " "
    return any(f" {' '.join(v)} " in lowered for v in _syllable_sets()["speech_verbs"])


@cache
def _speech_verb_pattern() -> re.Pattern[str]:
    verbs = sorted(tables()["speech_verbs"], key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(v) for v in verbs) + r")(?!\w)", re.IGNORECASE)


# Between a speaker and its speech verb: a few words ("đã", "hôm nay", "ngày 22/10"), no clause
# punctuation.
_SUBJECT_GAP = re.compile(r"(?:\s+[\w/()-]+){0,4}\s+")


def _subject_speaker(sentence: Sentence, start: int, end: int) -> Mention | None:
    """The subject of the speech verb that frames the quotation between start and end: the
    mention just before the nearest speech verb before the quotation (with nothing but a few
    words and a colon or comma between the verb and the quotation) or right after it (“…”,
    Bộ Quốc phòng Nga cho biết). None when that verb cites somebody else ("dẫn lời")."""
    text = sentence.text
    verbs = [v for v in _speech_verb_pattern().finditer(text) if v.end() <= start or v.start() >= end]
    before = [v for v in verbs if v.end() <= start and not re.search(r"[.;!?“”\"]", text[v.end() : start])]
    after = [v for v in verbs if v.start() >= end and len(text[end : v.start()].split()) <= 8]
    after = [v for v in after if not re.search(r"[.;:!?“”\"]", text[end : v.start()].lstrip(' .,”"–—-'))]
    for verb in ([after[0]] if after else []) + ([before[-1]] if before else []):
        if verb.group().lower() in _word_set("citing_verbs"):
            continue
        outside = [m for m in sentence.mentions if not (start <= m.start < end) and m.end <= verb.start()]
        if verb.start() >= end:
            outside = [m for m in outside if m.start >= end]
        if outside and _SUBJECT_GAP.fullmatch(" " + text[outside[-1].end : verb.start()]):
            return outside[-1] if _opens_clause(text, outside[-1]) else None
    return None


def _opens_clause(text: str, m: Mention) -> bool:
    """The mention starts its clause, or follows only words that make a body the speaker
    ("Thông báo của Bộ Quốc phòng Nga cho biết"): not "tay vợt người Tây Ban Nha", "Đại sứ Séc
    tại Việt Nam", a body in a person's title."""
    if text[: m.start].count("(") > text[: m.start].count(")"):
        return False  # "Chiến sĩ Nguyễn Minh Thắng (Đội CSGT số 1, Công an TP Hà Nội) cho biết"
    clause = re.split(r"[,.;:!?“”\"–—]", text[: m.start])[-1]
    words = tuple(re.findall(r"\w+", clause.lower()))
    return not words or words in _syllable_sets()["org_subject_leads"]


def _speaker(sentence: Sentence, start: int, end: int) -> str | None:
    subject = _subject_speaker(sentence, start, end)
    if subject is not None and subject.type in ("ORG", "LOC"):
        return subject.canonical or subject.text
    people = [m for m in sentence.mentions if m.type == "PER" and not (start <= m.start < end)]
    if not people:
        return None
    # the nearest person outside the quotation
    nearest = min(people, key=lambda m: min(abs(m.end - start), abs(m.start - end)))
    return nearest.canonical or nearest.text


def attribute_quotes(sentences: list[Sentence]) -> list[Quote]:
    """Quotes of an article in order; a pronoun speaker falls back to the last person named.
    A quotation running over several sentences ("“… . … .”, ông nói") is one quote, kept
    with the sentence that opens it."""
    found, last_person = [], None
    stops = quote_stops(sentences)
    k = 0
    while k < len(sentences):
        sentence = sentences[k]
        for q in quotes(sentence, last_person):
            found.append(Quote(q.start, q.end, q.text, q.speaker, sentence.index))
        span = _open_quote(sentences, k, stops)
        if span:
            close, quote = span
            found.append(
                Quote(quote.start, quote.end, quote.text, quote.speaker or last_person, sentence.index)
            )
            spoken = sentences[k : close + 1]
        else:
            close, spoken = k, [sentence]
        people = [m for s in spoken for m in s.mentions if m.type == "PER"]
        if people:
            last_person = people[-1].canonical or people[-1].text
        k = close + 1
    return found


# --- across the corpus ------------------------------------------------------------


@dataclass(slots=True)
class Entity:
    name: str
    type: str
    aliases: Counter[str] = field(default_factory=Counter)
    mentions: int = 0
    articles: set[str] = field(default_factory=set)
    first: str | None = None  # earliest and latest publication date of its articles
    last: str | None = None


def link(articles: Iterable[Article]) -> list[Entity]:
    """One entity per real thing: gazetteer aliases, person names by their last syllable,
    types by majority; lower-cased mentions are truecased to the form the corpus knows."""
    articles = list(articles)
    _add_lowercase_people(articles)
    _add_bare_surnames(articles)
    canon = canonical_names(Counter((m.text, m.type, m.canonical) for m in _all_mentions(articles)))
    entities: dict[tuple[str, str], Entity] = {}
    for article in articles:
        day = article.published.date().isoformat() if article.published else None
        for sentence in article.sentences:
            for index, m in enumerate(sentence.mentions):
                name, kind = canon.get((m.text, m.type), (m.canonical or m.text, m.type))
                sentence.mentions[index] = Mention(m.start, m.end, m.text, kind, name)
                entity = entities.setdefault((name, kind), Entity(name, kind))
                entity.aliases[m.text] += 1
                entity.mentions += 1
                entity.articles.add(article.id)
                if day:
                    entity.first = min(filter(None, (entity.first, day)))
                    entity.last = max(filter(None, (entity.last, day)))
    return sorted(entities.values(), key=lambda e: (-e.mentions, e.name))


def canonical_names(names: Counter[tuple[str, str, str | None]]) -> dict[tuple[str, str], tuple[str, str]]:
    """(surface, type) -> (canonical name, settled type), from how many mentions have each
    (surface, type, gazetteer canonical name)."""
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    for (text, kind, known), count in names.items():
        votes[known or text][kind] += count
    settled = {name: counts.most_common(1)[0][0] for name, counts in votes.items()}
    full_names = _person_full_names(settled)
    canon: dict[tuple[str, str], tuple[str, str]] = {}
    for text, kind, known in names:
        name = known or text
        settled_kind = settled[name]
        if settled_kind == "PER":
            name = full_names.get(name, name)
        canon[(text, kind)] = (name, settled_kind)
    return canon


def name_test(typed: str) -> Callable[[str], bool]:
    """Whether a name is the one `typed`, in any case: with the diacritics as typed ("Mỹ" is not
    "My"), or with any when `typed` has none ("nhat ban" is "Nhật Bản")."""
    typed = nlp.normalize_text(typed).strip()
    if without_diacritics(typed):
        folded = nlp.fold(typed)
        return lambda name: nlp.fold(name) == folded
    lowered = typed.lower()
    return lambda name: name.lower() == lowered


def without_diacritics(typed: str) -> bool:
    return nlp.fold(typed) == typed.lower()


@cache
def _names_by_entity() -> dict[str, frozenset[str]]:
    """Gazetteer canonical name -> every name of that entity, the canonical one included."""
    names: dict[str, set[str]] = defaultdict(set)
    for alias, known in gazetteer().items():
        names[known.canonical] |= {alias, known.canonical}
    return {canonical: frozenset(found) for canonical, found in names.items()}


def names_of(typed: str) -> set[str]:
    """`typed` and every name of each gazetteer entity it names (`name_test`): "Hoa Kỳ" gives
    "Mỹ", "USA", "United States", …"""
    same = name_test(typed)
    names = {nlp.normalize_text(typed).strip()}
    for alias, known in gazetteer().items():
        if same(alias):
            names |= _names_by_entity()[known.canonical]
    return names


_WORDS = re.compile(r"\w+")


def last_words(typed: str) -> set[tuple[str, bool]]:
    """Words every text that names the entity `typed` names holds, as (word, diacritics
    optional): the last word of each of its names (`names_of`). A mention contains the name it
    is, and the names `link` joins to a person's share its last word ("Jens Stoltenberg")."""
    lenient = without_diacritics(typed)  # then, and only for the name typed, any diacritics
    typed = nlp.normalize_text(typed).strip()
    return {
        (words[-1], lenient and name == typed) for name in names_of(typed) if (words := _WORDS.findall(name))
    }


def naming(typed: str, mentions: Sequence[tuple[str, Mention]]) -> set[str]:
    """The articles among `mentions` (article id, recognised name) that name the entity `typed`
    names: by `typed` itself (`name_test`), by another gazetteer name of it (`names_of`), or by a
    name that `link` makes the same entity over these mentions ("Stoltenberg" and "Jens
    Stoltenberg", unless another "… Stoltenberg" makes the short name ambiguous)."""
    names = naming_names(typed, Counter((m.text, m.type, m.canonical) for _, m in mentions))
    return {article for article, m in mentions if (m.text, m.type) in names}


def naming_names(typed: str, names: Counter[tuple[str, str, str | None]]) -> set[tuple[str, str]]:
    """The (surface, type) pairs among `names` (how many mentions have each surface, type and
    gazetteer name) that `link` makes the entity `typed` names, as `naming` decides: the counts
    alone decide it, so a store can count them in SQL instead of reading every mention."""
    canon = canonical_names(names)
    same, known = name_test(typed), {name.lower() for name in names_of(typed)}

    def is_it(name: str | None) -> bool:
        return name is not None and (same(name) or name.lower() in known)

    # each distinct name once: a common one has thousands of mentions
    wanted = {
        canon[(text, kind)][0]
        for text, kind, gazetteer_name in names
        if is_it(text) or is_it(gazetteer_name) or is_it(canon[(text, kind)][0])
    }
    return {key for key, (name, _) in canon.items() if name in wanted}


def _person_full_names(settled: dict[str, str]) -> dict[str, str]:
    """ "Stoltenberg" -> "Jens Stoltenberg" when exactly one longer name in the corpus ends
    with it; with two ("Joe Biden", "Hunter Biden") the short form stays on its own."""
    people = [n for n, kind in settled.items() if kind == "PER"]
    by_last: dict[str, set[str]] = defaultdict(set)
    for name in people:
        by_last[name.split()[-1].lower()].add(name)
    mapping = {}
    for name in people:
        longer = {n for n in by_last[name.split()[-1].lower()] if len(n.split()) > len(name.split())}
        longer = {n for n in longer if n.lower().endswith(name.lower())}
        if len(longer) == 1:
            mapping[name] = longer.pop()
        elif len(longer) > 1:
            maximal = [n for n in longer if not any(o != n and o.endswith(n) for o in longer)]
            if len(maximal) == 1:
                mapping[name] = maximal[0]
    return mapping


def _all_mentions(articles: list[Article]) -> Iterable[Mention]:
    for article in articles:
        for sentence in article.sentences:
            yield from sentence.mentions


def _add_lowercase_people(articles: list[Article]) -> None:
    """ "ông trump": a person's name the corpus knows in capitals, written in lower case
    right after a title or honorific."""
    known: dict[str, str] = {}
    for m in _all_mentions(articles):
        if m.type == "PER" and m.text[:1].isupper():
            for part in [m.text, m.text.split()[-1]]:
                known.setdefault(part.lower(), part)
    if not known:
        return
    # Names are looked up by their first word after each title: one alternation of every name
    # in a 10,000-article corpus made this pass slower than recognising the entities.
    by_first: dict[str, list[str]] = defaultdict(list)
    for name in sorted(known, key=len, reverse=True):
        by_first[_leading_word(name)].append(name)
    title = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(t) for t in _lower_titles()) + r")\s+(\w+)")
    for article in articles:
        for sentence in article.sentences:
            added = False
            for match in title.finditer(sentence.text):
                s = match.start(1)
                written = _name_at(sentence.text, s, by_first.get(match.group(1), ()))
                e = s + len(written or "")
                if written and written != known[written] and not _overlaps(sentence.mentions, s, e):
                    sentence.mentions.append(Mention(s, e, written, "PER", known[written]))
                    added = True
            if added:
                sentence.mentions.sort(key=lambda m: m.start)


_WORD_START = re.compile(r"\w*")


def _leading_word(text: str) -> str:
    """The word characters `text` starts with ("" before punctuation)."""
    match = _WORD_START.match(text)
    return match.group() if match else ""


def _overlaps(mentions: Iterable[Mention], start: int, end: int) -> bool:
    return any(m.start < end and start < m.end for m in mentions)


def _name_at(text: str, start: int, names: Iterable[str]) -> str | None:
    """The first of `names` (longest first) written at `start` and ending on a word boundary."""
    for name in names:
        end = start + len(name)
        if text.startswith(name, start) and (end == len(text) or not text[end].isalnum()):
            return name
    return None


def _add_bare_surnames(articles: list[Article]) -> None:
    """ "Biden ủng hộ": a lone capitalised word that is the last name of a person the corpus
    names in full is that person (or one of them), not an unknown word."""
    surnames = {m.text.split()[-1] for m in _all_mentions(articles) if m.type == "PER" and " " in m.text}
    by_word: dict[str, list[str]] = defaultdict(list)
    for name in sorted((n for n in surnames if n[:1].isupper()), key=len, reverse=True):
        by_word[_leading_word(name)].append(name)
    if not by_word:
        return
    for article in articles:
        for sentence in article.sentences:
            # Look up the sentence's words, then search only the surnames they start: one regex
            # alternation of every surname in a 10,000-article corpus took seconds.
            candidates = [n for w in set(re.findall(r"\w+", sentence.text)) for n in by_word.get(w, ())]
            new: list[Mention] = []
            for name in sorted(candidates, key=len, reverse=True):
                for s in _word_occurrences(sentence.text, name):
                    e = s + len(name)
                    if not _overlaps(sentence.mentions, s, e) and not _overlaps(new, s, e):
                        new.append(Mention(s, e, name, "PER"))
            if new:
                sentence.mentions = sorted([*sentence.mentions, *new], key=lambda m: m.start)


def _word_occurrences(text: str, word: str) -> Iterator[int]:
    """Offsets where `word` stands as a whole word (no letter or digit touching it)."""
    start = text.find(word)
    while start >= 0:
        end = start + len(word)
        if (start == 0 or not _is_word_char(text[start - 1])) and (
            end == len(text) or not _is_word_char(text[end])
        ):
            yield start
        start = text.find(word, start + 1)


def _lower_titles() -> list[str]:
    return sorted({t.lower() for t in tables()["person_titles"]}, key=len, reverse=True)


def truecase(text: str, mentions: Iterable[Mention]) -> str:
    """The sentence with lower-cased names written as the corpus knows them."""
    out, last = [], 0
    for m in sorted(mentions, key=lambda m: m.start):
        if m.text.islower() and m.canonical and m.canonical.lower() != m.text:
            replacement = _cased_like(m.text, m.canonical)
        elif m.text.islower() and m.canonical:
            replacement = m.canonical
        else:
            continue
        out.append(text[last : m.start] + replacement)
        last = m.end
    return "".join(out) + text[last:]


def _cased_like(surface: str, canonical: str) -> str:
    # "châu âu" known as "châu Âu"; "hà lan" as "Hà Lan"; an alias with another form keeps
    # its own words, capitalised like a name.
    for alias, known in gazetteer().items():
        if alias.lower() == surface and known.canonical == canonical:
            return alias
    return " ".join(w[:1].upper() + w[1:] for w in surface.split())


def canonical_speakers(articles: Iterable[Article]) -> None:
    """Name each quote's speaker as the linked entity (after `link`)."""
    for article in articles:
        names = {m.text: m.canonical for s in article.sentences for m in s.mentions if m.type == "PER"}
        for sentence in article.sentences:
            sentence.quotes = [
                replace(q, speaker=_named(names, q.speaker), candidate=_named(names, q.candidate))
                for q in sentence.quotes
            ]


def _named(names: dict[str, str | None], name: str | None) -> str | None:
    return names.get(name, name) if name else name
