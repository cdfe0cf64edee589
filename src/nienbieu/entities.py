"""Named entities (PER, ORG, LOC, MISC), quotes, and one canonical entity per real thing.

Recognition is rule-based over the words of a segmenter (`nlp.segment`): a gazetteer of
countries, cities and organisations with their aliases (`data/entities.toml`), then runs of
capitalised words classified by what stands around them: a title before a person
("Ngoại trưởng Mỹ John Kerry"), an organisation head word ("Bộ Ngoại giao"), a place cue
("tại Vilnius"). The statistical NER shipped with underthesea was measured on our gold set
and is both slower and less accurate (README), so it is not used.

Across a corpus, `link` merges aliases ("Jens Stoltenberg" / "ông Stoltenberg"), settles each
surface's type by majority, and finds lower-cased names a sloppy source wrote ("ông trump",
"châu âu") when the corpus or the gazetteer knows their cased form.
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from nienbieu import nlp
from nienbieu.models import Article, Mention, Quote, Sentence


@cache
def tables() -> dict[str, Any]:
    text = resources.files("nienbieu.data").joinpath("entities.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


@dataclass(frozen=True, slots=True)
class Known:
    canonical: str
    type: str


@cache
def gazetteer() -> dict[str, Known]:
    """Alias (as written) -> entity."""
    found: dict[str, Known] = {}
    for row in tables()["entity"]:
        known = Known(row["name"], row["type"])
        for alias in [row["name"], *row.get("aliases", [])]:
            found.setdefault(alias, known)
    return found


@cache
def _lower_gazetteer() -> dict[str, Known]:
    return {alias.lower(): known for alias, known in gazetteer().items()}


@cache
def _syllable_sets() -> dict[str, frozenset[tuple[str, ...]]]:
    t = tables()
    return {
        name: frozenset(tuple(entry.lower().split()) for entry in t[name])
        for name in ("person_titles", "org_heads", "org_cues", "place_cues", "speech_verbs")
    }


def _starts_with(syllables: list[str], table: str) -> int:
    """Length of the longest entry of `table` that `syllables` begins with (0 if none)."""
    entries = _syllable_sets()[table]
    lowered = [s.lower() for s in syllables[:5]]
    for n in range(len(lowered), 0, -1):
        if tuple(lowered[:n]) in entries:
            return n
    return 0


def _ends_with(syllables: list[str], table: str) -> bool:
    entries = _syllable_sets()[table]
    lowered = [s.lower() for s in syllables[-4:]]
    return any(tuple(lowered[-n:]) in entries for n in range(1, len(lowered) + 1))


# --- one sentence ----------------------------------------------------------------

_ACRONYM = re.compile(r"^[A-ZĐ][A-ZĐ0-9&]{1,7}$")
_PRODUCT = re.compile(r"^(?:[A-Z][A-Za-z]*-?\d+[A-Za-z]*|i[A-Z]\w+)$")


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
    names in lower case, so a lone "mỹ" is a name too. `words`: the sentence already segmented."""
    syls = _syllables(text, words if words is not None else nlp.segment(text, backend))
    taken = [False] * len(syls)
    mentions = _gazetteer_mentions(text, syls, taken, sloppy)
    mentions += _run_mentions(text, syls, taken)
    return _merge_org_with_country(text, sorted(mentions, key=lambda m: m.start))


def _gazetteer_mentions(text: str, syls: list[_Syl], taken: list[bool], sloppy: bool) -> list[Mention]:
    """Longest aliases first; a match must start and end on word boundaries."""
    found = []
    exact, lower = gazetteer(), _lower_gazetteer()
    i = 0
    while i < len(syls):
        match = None
        for n in range(min(10, len(syls) - i), 0, -1):
            j = i + n - 1
            surface = text[syls[i].start : syls[j].end]
            if not _word_aligned(text, syls, i, j) and not _name_boundary(syls, i, j):
                continue
            known = exact.get(surface)
            if known is None and surface.islower() and n > 1 and _space_joined(text, syls, i, j):
                known = lower.get(surface)  # "châu âu": a multi-syllable alias in lower case
            if known is None and surface.islower() and n == 1 and _lowercase_context(text, syls, i, sloppy):
                known = lower.get(surface)  # "nước mỹ", "mỹ-nato"
            if known and n == 1 and _ordinary_word_start(syls, i):
                known = None
            if known and known.type != "PER":
                match = (j, known)
                break
        if match:
            j, known = match
            found.append(
                Mention(
                    syls[i].start, syls[j].end, text[syls[i].start : syls[j].end], known.type, known.canonical
                )
            )
            for k in range(i, j + 1):
                taken[k] = True
            i = j + 1
        else:
            i += 1
    return found


def _ordinary_word_start(syls: list[_Syl], i: int) -> bool:
    # "Ý kiến", "Anh ấy": a one-syllable name opening a sentence before a lower-case word
    # is more often an ordinary word.
    opening = i == 0 or _after_opening(syls, i)
    return opening and i + 1 < len(syls) and syls[i + 1].text[:1].islower()


def _word_aligned(text: str, syls: list[_Syl], i: int, j: int) -> bool:
    starts = i == 0 or syls[i - 1].word != syls[i].word
    ends = j == len(syls) - 1 or syls[j + 1].word != syls[j].word
    # a hyphen-split pair ("Mỹ-NATO") shares a word but each part stands alone
    return (starts or _hyphen_between(text, syls, i - 1, i)) and (
        ends or _hyphen_between(text, syls, j, j + 1)
    )


def _name_boundary(syls: list[_Syl], i: int, j: int) -> bool:
    """A segmenter may glue two names into one word ("NATO Mark"); a capitalised alias
    still stands alone when its neighbours in that word are capitalised too."""
    if not all(_capitalised(s.text) for s in syls[i : j + 1]):
        return False
    left = i == 0 or syls[i - 1].word != syls[i].word or _capitalised(syls[i - 1].text)
    right = j == len(syls) - 1 or syls[j + 1].word != syls[j].word or _capitalised(syls[j + 1].text)
    return left and right


def _hyphen_between(text: str, syls: list[_Syl], a: int, b: int) -> bool:
    return 0 <= a < len(syls) and b < len(syls) and text[syls[a].end : syls[b].start] == "-"


def _space_joined(text: str, syls: list[_Syl], i: int, j: int) -> bool:
    return all(text[syls[k].end : syls[k + 1].start] == " " for k in range(i, j))


_LOWER_CUES = frozenset({"nước", "tại", "ở", "phía", "người", "quân", "đội", "thủ", "đô", "chính", "quyền"})


def _lowercase_context(text: str, syls: list[_Syl], i: int, sloppy: bool) -> bool:
    """Where a one-syllable name in lower case ("mỹ") is a name: after a place word, in a
    hyphenated pair, or anywhere in a text that writes names in lower case, unless the
    syllable is also a common word on its own ("anh", "ý")."""
    if syls[i].text in tables()["ambiguous_lowercase"]:
        return False
    before = syls[i - 1].text.lower() if i else ""
    hyphen = _hyphen_between(text, syls, i - 1, i) or _hyphen_between(text, syls, i, i + 1)
    return sloppy or before in _LOWER_CUES or hyphen


def _run_mentions(text: str, syls: list[_Syl], taken: list[bool]) -> list[Mention]:
    found = []
    i = 0
    while i < len(syls):
        if taken[i] or not _capitalised(syls[i].text):
            i += 1
            continue
        j = i
        while j + 1 < len(syls) and not taken[j + 1] and _continues(syls, j + 1):
            j += 1
        found += _classify_run(text, syls, taken, i, j)
        i = j + 1
    return found


def _continues(syls: list[_Syl], k: int) -> bool:
    """A run of names goes on through capitalised syllables and the rest of their words
    ("Bộ Ngoại giao": "giao" belongs to the word "Ngoại giao")."""
    if _capitalised(syls[k].text):
        return syls[k].start - syls[k - 1].end <= 1
    return syls[k].word == syls[k - 1].word and _is_word_char(syls[k].text)


def _classify_run(text: str, syls: list[_Syl], taken: list[bool], i: int, j: int) -> list[Mention]:
    names = [s.text for s in syls[i : j + 1]]
    # Strip titles, repeatedly: "Cựu Tổng thống" -> "Donald Trump"
    person = False
    while True:
        n = _starts_with(names, "person_titles")
        if n == 0 or n == len(names):
            break
        names, i, person = names[n:], i + n, True
    org = False
    n = _starts_with(names, "org_cues")
    if 0 < n < len(names):
        names, i, org = names[n:], i + n, True
    before = [s.text.lower() for s in syls[max(0, i - 3) : i]]
    if not org and before and _ends_with(before, "org_cues"):
        org = True
    if not person:
        person = bool(before) and _ends_with([s.text for s in syls[max(0, i - 3) : i]], "person_titles")
    if _starts_with(names, "person_titles") == len(names):
        return []  # a title alone ("Tổng thống", "Ngoại trưởng")
    head = _starts_with(names, "org_heads")
    followed_by_name = j + 1 < len(syls) and text[syls[j].end : syls[j + 1].start] == " " and taken[j + 1]
    if head == len(names) and followed_by_name:
        return [
            Mention(syls[i].start, syls[j].end, text[syls[i].start : syls[j].end], "ORG")
        ]  # "Hội đồng" + NATO
    if head and (head == len(names) or syls[i + head - 1].word == syls[i + head].word):
        names = []  # "Hội nghị", "Viện trợ": the head word is only the start of a common word
    start, end = syls[i].start, syls[j].end
    surface = text[start:end]
    opening = i == 0 or _after_opening(syls, i)
    if not names:
        return []
    kind = "ORG" if org and not person else _kind(names, surface, person, before, sentence_initial=opening)
    return [Mention(start, end, surface, kind)] if kind else []


def _after_opening(syls: list[_Syl], i: int) -> bool:
    return i > 0 and syls[i - 1].text in ("“", '"', "(", ":", "-", "–", "‘")


def _kind(
    names: list[str], surface: str, person: bool, before: list[str], sentence_initial: bool
) -> str | None:
    if _starts_with(names, "org_heads"):
        return "ORG"
    if person:
        return "PER"
    if _PRODUCT.match(surface):
        return "MISC"
    if _ACRONYM.match(surface):
        return None if surface in tables()["not_entities"] else "ORG"
    if before and _ends_with(before, "place_cues"):
        return "LOC"
    if sentence_initial and len(names) == 1:
        return None  # a capitalised first word is usually an ordinary word
    if all(n[:1].isupper() for n in names) and 2 <= len(names) <= 4:
        return "PER"
    capitals = sum(n[:1].isupper() for n in names)
    return "MISC" if capitals >= 2 and not sentence_initial else None


def _merge_org_with_country(text: str, mentions: list[Mention]) -> list[Mention]:
    """ "Bộ Quốc phòng" + "Nga" -> one ORG: the country is part of the institution's name."""
    merged: list[Mention] = []
    for m in mentions:
        if (
            merged
            and merged[-1].type == "ORG"
            and m.type in ("LOC", "ORG")
            and text[merged[-1].end : m.start] == " "
            and _starts_with(merged[-1].text.split(), "org_heads")
        ):
            last = merged.pop()
            m = Mention(last.start, m.end, text[last.start : m.end], "ORG")
        merged.append(m)
    return merged


def writes_names_in_lower_case(sentences: Iterable[Sentence]) -> bool:
    """Two or more names found in lower case: the source does not capitalise names."""
    return sum(m.text.islower() for s in sentences for m in s.mentions) >= 2


# --- quotes ------------------------------------------------------------------------

_QUOTED = re.compile(r"“([^”]{8,})”|\"([^\"]{8,})\"")


def quotes(sentence: Sentence, previous_speaker: str | None = None) -> list[Quote]:
    """Direct quotes in a sentence with their speaker: the person named next to a speech verb
    outside the quotation ("Ông Stoltenberg nói: “…”", "“…”, ông Stoltenberg nói"), else the
    person spoken of just before ("ông nói" after a sentence naming him)."""
    text = sentence.text
    found = []
    for match in _QUOTED.finditer(text):
        outside = text[: match.start()] + " " * (match.end() - match.start()) + text[match.end() :]
        if not _has_speech_verb(outside):
            continue
        speaker = _speaker(sentence, match.start(), match.end()) or previous_speaker
        found.append(Quote(match.start(), match.end(), (match.group(1) or match.group(2)).strip(), speaker))
    return found


def _has_speech_verb(outside: str) -> bool:
    lowered = " " + " ".join(re.findall(r"\w+", outside.lower())) + " "
    return any(f" {' '.join(v)} " in lowered for v in _syllable_sets()["speech_verbs"])


def _speaker(sentence: Sentence, start: int, end: int) -> str | None:
    people = [m for m in sentence.mentions if m.type == "PER" and not (start <= m.start < end)]
    if not people:
        return None
    # the nearest person outside the quotation
    nearest = min(people, key=lambda m: min(abs(m.end - start), abs(m.start - end)))
    return nearest.canonical or nearest.text


def attribute_quotes(sentences: list[Sentence]) -> list[Quote]:
    """Quotes of an article in order; a pronoun speaker falls back to the last person named."""
    found, last_person = [], None
    for sentence in sentences:
        for q in quotes(sentence, last_person):
            found.append(Quote(q.start, q.end, q.text, q.speaker, sentence.index))
        people = [m for m in sentence.mentions if m.type == "PER"]
        if people:
            last_person = people[-1].canonical or people[-1].text
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
    canon = _canonical_names(articles)
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


def _canonical_names(articles: list[Article]) -> dict[tuple[str, str], tuple[str, str]]:
    """(surface, type) -> (canonical name, settled type)."""
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    for m in _all_mentions(articles):
        votes[m.canonical or m.text][m.type] += 1
    settled = {name: counts.most_common(1)[0][0] for name, counts in votes.items()}
    full_names = _person_full_names(settled)
    canon: dict[tuple[str, str], tuple[str, str]] = {}
    for m in _all_mentions(articles):
        name = m.canonical or m.text
        kind = settled[name]
        if kind == "PER":
            name = full_names.get(name, name)
        canon[(m.text, m.type)] = (name, kind)
    return canon


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
    known = {}
    for m in _all_mentions(articles):
        if m.type == "PER" and m.text[:1].isupper():
            for part in [m.text, m.text.split()[-1]]:
                known.setdefault(part.lower(), part)
    if not known:
        return
    pattern = re.compile(
        r"(?<!\w)(?:"
        + "|".join(re.escape(t) for t in _lower_titles())
        + r")\s+("
        + "|".join(re.escape(k) for k in sorted(known, key=len, reverse=True))
        + r")(?!\w)"
    )
    for article in articles:
        for sentence in article.sentences:
            covered = [(m.start, m.end) for m in sentence.mentions]
            for match in pattern.finditer(sentence.text):
                s, e = match.span(1)
                if match.group(1) != known[match.group(1)] and not any(a < e and s < b for a, b in covered):
                    sentence.mentions.append(Mention(s, e, match.group(1), "PER", known[match.group(1)]))
            sentence.mentions.sort(key=lambda m: m.start)


def _add_bare_surnames(articles: list[Article]) -> None:
    """ "Biden ủng hộ": a lone capitalised word that is the last name of a person the corpus
    names in full is that person (or one of them), not an unknown word."""
    surnames = {m.text.split()[-1] for m in _all_mentions(articles) if m.type == "PER" and " " in m.text}
    surnames = {name for name in surnames if name[:1].isupper()}
    if not surnames:
        return
    pattern = re.compile(
        r"(?<!\w)(" + "|".join(re.escape(n) for n in sorted(surnames, key=len, reverse=True)) + r")(?!\w)"
    )
    for article in articles:
        for sentence in article.sentences:
            covered = [(m.start, m.end) for m in sentence.mentions]
            added = False
            for match in pattern.finditer(sentence.text):
                s, e = match.span(1)
                if not any(a < e and s < b for a, b in covered):
                    sentence.mentions.append(Mention(s, e, match.group(1), "PER"))
                    added = True
            if added:
                sentence.mentions.sort(key=lambda m: m.start)


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
                Quote(q.start, q.end, q.text, names.get(q.speaker or "", q.speaker), q.sentence_index)
                for q in sentence.quotes
            ]
