"""Rule-based Vietnamese temporal tagger.

Patterns and word lists live in ``data/timex.toml``; this module only expands
them, finds the longest non-overlapping matches and turns each one into a
TIMEX3-style value anchored to the document creation time (DCT).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import MAXYEAR, MINYEAR, date, timedelta
from functools import cache
from typing import Any

from nienbieu.data import load
from nienbieu.models import TimeExpression

Groups = dict[str, str | None]


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    handler: str
    regex: re.Pattern[str]
    examples: tuple[tuple[str, str, str], ...]
    starts: frozenset[str]


@dataclass(slots=True)
class Context:
    """What earlier sentences of the same article said, for "cùng ngày", "trước đó"."""

    dct: date | None
    last_day: str | None = None
    # When the DCT is itself an estimate: values must not depend on where in this window
    # the true DCT lies, or they are left underspecified.
    window: tuple[date, date] | None = None


@dataclass(frozen=True, slots=True)
class Resolved:
    type: str
    value: str | None
    granularity: str
    modifier: str | None = None
    anchor: str | None = None


# --- loading the tables ------------------------------------------------------


def tables() -> dict[str, Any]:
    return load("timex")


def _alternation(words: Iterable[str]) -> str:
    return "(?:" + _trie(words) + ")"


def _macros() -> dict[str, str]:
    t = tables()
    words, cues = t["words"], t["cues"]
    macros = dict(t["macros"])
    macros.update(
        BARE_DM_CUE=_alternation(cues["bare_day_month"]),
        BARE_YEAR_CUE=_alternation(cues["bare_year"]),
        MONTH_NAME=_alternation(words["month_name"]),
        DAY_OFFSET=_alternation(words["day_offset"]),
        APPROX=_alternation(words["approx"]),
        ABOUT=r"(?:(?P<approx>" + _alternation(words["about"]) + r")\s+)?",
        UNIT=_alternation(words["unit"]),
        EN_MONTH=_alternation(words["english_month"]),
        PART=_alternation(words["part_of_day"]),
        PART_DAY=_alternation(words["part_day_offset"]),
        NUMWORD=_alternation(words["number"]),
    )
    return macros


def _expand(pattern: str, macros: dict[str, str]) -> str:
    # Macros may use other macros ({N} uses {NUMWORD}); expand until stable.
    for _ in range(4):
        expanded = re.sub(r"\{([A-Z_][A-Z_0-9]*)\}", lambda m: macros.get(m.group(1), m.group(0)), pattern)
        if expanded == pattern:
            break
        pattern = expanded
    return pattern


# No match may start inside a word or number, or stop in the middle of one ("2%", "1.000").
_LEFT = r"(?<![\w/])"
_RIGHT = r"(?![\w/%]|[.,:]\d)"


@cache
def rules() -> tuple[Rule, ...]:
    macros = _macros()
    compiled = []
    for row in tables()["rule"]:
        flags = 0 if row.get("case_sensitive") else re.IGNORECASE
        regex = re.compile(_LEFT + "(?:" + _expand(row["pattern"], macros) + ")" + _RIGHT, flags)
        examples = tuple(tuple(e) for e in row.get("examples", ()))
        starts = frozenset(w for token in row["starts"] for w in _start_words(token))
        compiled.append(Rule(row["name"], row["handler"], regex, examples, starts))  # type: ignore[arg-type]
    return tuple(compiled)


def _start_words(token: str) -> list[str]:
    """ "@table" means the first words of every entry of a word or cue table."""
    if not token.startswith("@"):
        return [token]
    name = token[1:]
    table = tables()["words"].get(name) or tables()["cues"][name]
    return [entry.split()[0].lower() for entry in table]


@cache
def _start_index() -> dict[str, tuple[re.Pattern[str] | None, tuple[tuple[int, Rule], ...]]]:
    """Start word -> (one regex that matches where any of its rules does, those rules).

    Most occurrences of a start word ("đầu", a digit) begin no expression at all; the union
    rejects them in one C-level attempt instead of one attempt per rule.
    """
    index: dict[str, list[tuple[int, Rule]]] = {}
    for order, rule in enumerate(rules()):
        for word in rule.starts:
            index.setdefault(word, []).append((order, rule))
    return {word: (_union(found) if len(found) > 1 else None, tuple(found)) for word, found in index.items()}


def _union(rules_: list[tuple[int, Rule]]) -> re.Pattern[str]:
    parts = []
    for order, rule in rules_:
        # Group names must be unique in one pattern; the union is only a yes/no test.
        body = re.sub(r"\(\?P([<=])", rf"(?P\g<1>r{order}_", rule.regex.pattern)
        flag = "i" if rule.regex.flags & re.IGNORECASE else "-i"
        parts.append(f"(?{flag}:{body})")
    return re.compile("|".join(parts))


# --- small date helpers ------------------------------------------------------


# Python's calendar runs from year 1 to 9999. A value that would fall outside it ("năm sau" in
# 9999, "10000 năm trước") is left unresolved, as when there is no DCT, rather than written
# as a year 0 or 10000 that no reader of the value can parse.
def _safe_date(y: int, m: int, d: int) -> date | None:
    """The day, or None when the calendar has no such day (year 0, month 13, 30 February)."""
    if not MINYEAR <= y <= MAXYEAR or not 1 <= m <= 12 or not 1 <= d <= calendar.monthrange(y, m)[1]:
        return None
    return date(y, m, d)


def add_days(day: date | None, days: int) -> date | None:
    """`day` moved by `days`; None without a day or when the result is off the calendar."""
    if day is None:
        return None
    try:
        return day + timedelta(days=days)
    except OverflowError:  # past year 9999 or before year 1, or more days than timedelta holds
        return None


def _year_value(year: int) -> str | None:
    return f"{year:04d}" if MINYEAR <= year <= MAXYEAR else None


def _month_value(year: int, month: int) -> str | None:
    y = _year_value(year)
    return f"{y}-{month:02d}" if y else None


def _week_value(day: date | None) -> str | None:
    if day is None:
        return None
    y, w, _ = day.isocalendar()
    return f"{y:04d}-W{w:02d}"


def _dct_relative(granularity: str, value: str | None, ctx: Context, mod: str | None = None) -> Resolved:
    """A value computed from the DCT (anchored to it), or unresolved when it fell off the calendar."""
    anchor = ctx.dct.isoformat() if value and ctx.dct else None
    return Resolved("DATE", value, granularity, mod, anchor)


def _month_index(y: int, m: int) -> int:
    return y * 12 + m - 1


def _shift_month(d: date, months: int) -> tuple[int, int]:
    idx = _month_index(d.year, d.month) + months
    return idx // 12, idx % 12 + 1


def _pick(candidates: list[Any], dct_key: Any, tense: str | None) -> Any:
    """Choose among year-candidates by tense: future >= DCT, past <= DCT, else nearest."""
    if tense == "future":
        later = [c for c in candidates if c[0] >= dct_key]
        if later:
            return min(later)
    if tense == "past":
        earlier = [c for c in candidates if c[0] <= dct_key]
        if earlier:
            return max(earlier)
    return min(candidates, key=lambda c: abs(c[0] - dct_key))


def _word_value(table: str, word: str | None) -> Any:
    if word is None:
        return None
    return tables()["words"][table].get(" ".join(word.lower().split()))


def _modifier(groups: Groups) -> str | None:
    return _word_value("modifier", groups.get("mod"))


def _int(groups: Groups, name: str) -> int | None:
    value = groups.get(name)
    return int(value) if value else None


# --- handlers: groups + context -> Resolved ----------------------------------


def _year_for_day(m: int, d: int, ctx: Context, tense: str | None) -> tuple[str, str | None]:
    if ctx.dct is None:
        return f"XXXX-{m:02d}-{d:02d}", None
    options = []
    for y in (ctx.dct.year - 1, ctx.dct.year, ctx.dct.year + 1):
        day = _safe_date(y, m, d)
        if day:
            options.append((day.toordinal(), day))
    if not options:
        return f"XXXX-{m:02d}-{d:02d}", None
    _, best = _pick(options, ctx.dct.toordinal(), tense)
    return best.isoformat(), ctx.dct.isoformat()


def _day(groups: Groups, ctx: Context, tense: str | None) -> Resolved | None:
    d = _int(groups, "d")
    m = _int(groups, "m") or _word_value("english_month", groups.get("mname_en"))
    if d is None or m is None:
        return None
    y = _int(groups, "y")
    if y is not None:
        day = _safe_date(y, m, d)
        return Resolved("DATE", day.isoformat(), "day") if day else None
    if not _safe_date(2000, m, d):  # 2000 is a leap year, so 29/2 passes
        return None
    value, anchor = _year_for_day(m, d, ctx, tense)
    return Resolved("DATE", value, "day", anchor=anchor)


def _lunar(groups: Groups, ctx: Context, tense: str | None) -> Resolved | None:
    """A lunar-calendar day, converted to the solar day in the lunar year the DCT selects."""
    # "rằm" is the full-moon day; a holiday name alone ("Tết Nguyên đán") is the first day.
    day = 15 if groups.get("ram") else _int(groups, "d") or 1
    month = _int(groups, "m") or _word_value("month_name", groups.get("mname")) or 1
    if day is None or not 1 <= day <= 30:
        return None
    year = _int(groups, "y")
    if year is not None:
        solar = lunar_to_solar(day, month, year)
        return Resolved("DATE", solar.isoformat(), "day") if solar else None
    if ctx.dct is None:
        return Resolved("DATE", None, "day")
    options = [
        (d.toordinal(), d)
        for y in (ctx.dct.year - 1, ctx.dct.year, ctx.dct.year + 1)
        if (d := lunar_to_solar(day, month, y))
    ]
    if not options:
        return None
    _, best = _pick(options, ctx.dct.toordinal(), tense)
    return Resolved("DATE", best.isoformat(), "day", anchor=ctx.dct.isoformat())


def lunar_to_solar(day: int, month: int, lunar_year: int) -> date | None:
    """Vietnamese lunar calendar (UTC+7), which differs from the Chinese one in some years."""
    from vnlunar import convert_lunar_to_solar

    solar = convert_lunar_to_solar(day, month, lunar_year, 0, 7.0)
    return _safe_date(solar[2], solar[1], solar[0]) if solar else None


def _part_of_day(groups: Groups, ctx: Context, tense: str | None) -> Resolved | None:
    """ "tối 20/10", "sáng nay": a part of a day, TIMEX3 style ("2013-10-20TEV")."""
    code = _word_value("part_of_day", groups.get("part"))
    if groups.get("d"):
        day = _day(groups, ctx, tense)
    else:
        day = _day_offset({"rel": "hôm nay"}, replace(ctx, dct=_shifted(ctx.dct, groups)), tense)
    if day is None:
        return None
    value = f"{day.value}T{code}" if day.value else None
    return Resolved("TIME", value, "time", _modifier(groups), day.anchor)


def _shifted(dct: date | None, groups: Groups) -> date | None:
    rel = groups.get("rel")
    offset = _word_value("part_day_offset", rel)
    if offset is None:
        offset = _word_value("night_offset", rel)
    return add_days(dct, offset) if offset is not None else None


def _year_range(groups: Groups, ctx: Context, tense: str | None) -> Resolved | None:
    first, last = _int(groups, "y"), _int(groups, "y2")
    if first is None or last is None or last <= first:
        return None
    return Resolved("DATE", f"{first:04d}/{last:04d}", "range")


_AGO_GRANULARITY = {"Y": "year", "M": "month", "W": "week", "D": "day"}


def _ago(groups: Groups, ctx: Context, tense: str | None) -> Resolved | None:
    """ "cách đây 35 năm", "3 ngày trước": a date that far before the DCT."""
    n = _number(groups.get("n"))
    unit = _word_value("unit", groups.get("unit"))
    if n is None or unit not in _AGO_GRANULARITY:
        return None
    mod = _word_value("approx", groups.get("approx"))
    if n == "X" or ctx.dct is None or not n.isdigit():
        return Resolved("DATE", "PAST_REF" if n == "X" else None, _AGO_GRANULARITY[unit], mod)
    return _dct_relative(_AGO_GRANULARITY[unit], _before(ctx.dct, int(n), unit), ctx, mod)


def _before(dct: date, k: int, unit: str) -> str | None:
    """The period `k` years, months, weeks or days before the DCT; None when that is off the calendar."""
    if unit == "Y":
        return _year_value(dct.year - k)
    if unit == "M":
        return _month_value(*_shift_month(dct, -k))
    day = add_days(dct, -k * (7 if unit == "W" else 1))
    if unit == "W":
        return _week_value(day)
    return day.isoformat() if day else None


def _day_range(groups: Groups, ctx: Context, tense: str | None) -> Resolved | None:
    first = _day(groups, ctx, tense)
    second = _day({**groups, "d": groups.get("d2")}, ctx, tense)
    if not first or not second or not first.value or not second.value:
        return None
    if second.value < first.value:
        return None
    return Resolved("DATE", f"{first.value}/{second.value}", "range", anchor=first.anchor)


def _relative_offset(rel: str | None) -> int | None:
    if rel is None:
        return None
    return _word_value("offset", rel.lower().replace("sắp tới", "tới"))


def _month(groups: Groups, ctx: Context, tense: str | None) -> Resolved | None:
    mod = _modifier(groups)
    m = _int(groups, "m") or _word_value("month_name", groups.get("mname"))
    y = _int(groups, "y")
    rel = (groups.get("rel") or "").lower()
    if m is None:  # "tháng này", "tháng trước": relative to the DCT month
        offset = _relative_offset(rel)
        if ctx.dct is None or offset is None:
            return Resolved("DATE", None, "month", mod)
        return _dct_relative("month", _month_value(*_shift_month(ctx.dct, offset)), ctx, mod)
    if y is not None:
        return Resolved("DATE", f"{y:04d}-{m:02d}", "month", mod)
    if ctx.dct is None:
        return Resolved("DATE", f"XXXX-{m:02d}", "month", mod)
    if rel.startswith("năm"):
        year_offset = _word_value("offset", rel.removeprefix("năm").strip())
        return _dct_relative("month", _month_value(ctx.dct.year + (year_offset or 0), m), ctx, mod)
    if rel:
        offset = _relative_offset(rel)
        tense = "past" if offset is not None and offset < 0 else "future" if offset else tense
    options = [(_month_index(y, m), y) for y in (ctx.dct.year - 1, ctx.dct.year, ctx.dct.year + 1)]
    _, year = _pick(options, _month_index(ctx.dct.year, ctx.dct.month), tense)
    return _dct_relative("month", _month_value(year, m), ctx, mod)


def _year(groups: Groups, ctx: Context, tense: str | None) -> Resolved | None:
    mod = _modifier(groups)
    y = _int(groups, "y")
    if y is not None:
        return Resolved("DATE", f"{y:04d}", "year", mod)
    if groups.get("bare") == "tháng":
        return _month({"rel": "này", "mod": groups.get("mod")}, ctx, tense)
    offset = 0 if groups.get("bare") else _relative_offset(groups.get("rel"))
    if ctx.dct is None or offset is None:
        return Resolved("DATE", None, "year", mod)
    return _dct_relative("year", _year_value(ctx.dct.year + offset), ctx, mod)


def _week(groups: Groups, ctx: Context, tense: str | None) -> Resolved | None:
    offset = _relative_offset(groups.get("rel"))
    if ctx.dct is None or offset is None:
        return Resolved("DATE", None, "week", _modifier(groups))
    return _dct_relative("week", _week_value(add_days(ctx.dct, 7 * offset)), ctx, _modifier(groups))


def _weekend(groups: Groups, ctx: Context, tense: str | None) -> Resolved | None:
    if not groups.get("rel") and ctx.dct is not None:
        # A bare "cuối tuần" is this week's, unless the sentence talks of the past and
        # this week's has not come yet.
        gone = tense == "past" and ctx.dct.weekday() < 5
        groups = {**groups, "rel": "trước" if gone else "này"}
    week = _week(groups, ctx, tense)
    if week is None or week.value is None:
        return Resolved("DATE", None, "week")
    return Resolved("DATE", week.value + "-WE", "week", anchor=week.anchor)


def _quarter(groups: Groups, ctx: Context, tense: str | None) -> Resolved | None:
    q = groups.get("q") or ""
    number = int(q) if q.isdigit() else _word_value("roman", q)
    stated = _int(groups, "y")
    if stated is not None:
        return Resolved("DATE", f"{stated:04d}-Q{number}", "quarter")
    if ctx.dct is None:
        return Resolved("DATE", f"XXXX-Q{number}", "quarter")
    year = _year_value(ctx.dct.year + (_relative_offset(groups.get("rel")) or 0))
    return _dct_relative("quarter", f"{year}-Q{number}" if year else None, ctx)


def _century(groups: Groups, ctx: Context, tense: str | None) -> Resolved | None:
    c = groups.get("c") or ""
    number = int(c) if c.isdigit() else _word_value("roman", c)
    return Resolved("DATE", f"{number - 1:02d}", "century", _modifier(groups))


def _decade(groups: Groups, ctx: Context, tense: str | None) -> Resolved | None:
    dec = groups.get("dec") or ""
    if len(dec) == 2:  # "thập niên 90": the century is the DCT's previous one for 90s-style talk
        dec = ("19" if int(dec) > 20 else "20") + dec
    return Resolved("DATE", dec[:3], "decade", _modifier(groups))


def _day_offset(groups: Groups, ctx: Context, tense: str | None) -> Resolved | None:
    offset = _word_value("day_offset", groups.get("rel"))
    if ctx.dct is None or offset is None:
        return Resolved("DATE", None, "day")
    day = add_days(ctx.dct, offset)
    return _dct_relative("day", day.isoformat() if day else None, ctx)


_WEEKDAY_REL = {"tuần trước": -1, "tuần qua": -1, "tuần tới": 1, "tuần sau": 1, "tuần này": 0, "này": 0}


def _weekday(groups: Groups, ctx: Context, tense: str | None) -> Resolved | None:
    wd = 6 if groups.get("sun") else _word_value("weekday", groups.get("wd"))
    if wd is None or ctx.dct is None:
        return Resolved("DATE", None, "day")
    rel = " ".join((groups.get("rel") or "").lower().split())
    if rel in _WEEKDAY_REL:
        day = add_days(ctx.dct, 7 * _WEEKDAY_REL[rel] - ctx.dct.weekday() + wd)
    else:
        future = rel == "tới" or (tense == "future" and rel not in ("vừa qua", "trước"))
        delta = (wd - ctx.dct.weekday()) % 7
        day = add_days(ctx.dct, delta if future else -((-delta) % 7))
    return _dct_relative("day", day.isoformat() if day else None, ctx)


def _same_day(groups: Groups, ctx: Context, tense: str | None) -> Resolved | None:
    anchor = ctx.last_day or (ctx.dct.isoformat() if ctx.dct else None)
    return Resolved("DATE", anchor, "day", anchor=anchor)


def _discourse(groups: Groups, ctx: Context, tense: str | None) -> Resolved | None:
    # "trước đó"/"sau đó" only order events; the value is the reference point.
    rel = (groups.get("rel") or "").lower()
    anchor = ctx.last_day or (ctx.dct.isoformat() if ctx.dct else None)
    return Resolved("DATE", anchor, "day", "BEFORE" if "trước" in rel else "AFTER", anchor)


def _time(groups: Groups, ctx: Context, tense: str | None) -> Resolved | None:
    h = _int(groups, "h") or 0
    minute = _int(groups, "mi") or _int(groups, "mi2") or _int(groups, "mi3") or 0
    second = _int(groups, "s")
    part = groups.get("part") or groups.get("part2")
    pday = groups.get("pday") or groups.get("pday2")
    if part in ("chiều", "tối") and h < 12:
        h += 12
    clock = f"T{h:02d}:{minute:02d}" + (f":{second:02d}" if second is not None else "")
    if groups.get("d"):
        dated = _day(groups, ctx, tense)
        day = dated.value if dated else None
    elif pday:
        offset = _word_value("part_day_offset", pday)
        shifted = add_days(ctx.dct, offset) if offset is not None else None
        day = shifted.isoformat() if shifted else None
    else:
        day = ctx.last_day or (ctx.dct.isoformat() if ctx.dct else None)
    return Resolved("TIME", (day or "") + clock, "time", anchor=day)


_DURATION_UNITS = {
    "Y": "P{n}Y",
    "M": "P{n}M",
    "W": "P{n}W",
    "D": "P{n}D",
    "H": "PT{n}H",
    "MIN": "PT{n}M",
    "S": "PT{n}S",
    "DE": "P{n}0Y",
    "CE": "P{n}00Y",
}


def _number(text: str | None) -> str | None:
    if text is None or text == "X":
        return text
    if text[0].isdigit():
        return text.replace(",", ".")
    value = _word_value("number", text)
    return None if value is None else str(value)


def _duration(groups: Groups, ctx: Context, tense: str | None) -> Resolved | None:
    n = _number(groups.get("n"))
    unit = _word_value("unit", groups.get("unit"))
    if n is None or unit is None:
        return None
    rel = (groups.get("rel") or "").lower()
    mod = _word_value("approx", groups.get("approx"))
    if rel == "trước" and unit == "Y" and n.isdigit() and ctx.dct:  # "hai năm trước": a date
        return _dct_relative("year", _before(ctx.dct, int(n), unit), ctx, mod)
    n, unit = _whole(n, unit)
    return Resolved("DURATION", _DURATION_UNITS[unit].format(n=n), "duration", mod)


_SMALLER_UNIT = {"Y": (12, "M"), "W": (7, "D"), "D": (24, "H"), "H": (60, "MIN"), "MIN": (60, "S")}


def _whole(n: str, unit: str) -> tuple[str, str]:
    """ "nửa năm" is P6M, "1,5 giờ" PT90M: TIMEX3 values count whole units."""
    if "." not in n or unit not in _SMALLER_UNIT:
        return n, unit
    factor, smaller = _SMALLER_UNIT[unit]
    value = float(n) * factor
    return (str(int(value)), smaller) if value.is_integer() else (n, unit)


def _vague_duration(groups: Groups, ctx: Context, tense: str | None) -> Resolved | None:
    return _duration({**groups, "n": "X"}, ctx, tense)


def _set(groups: Groups, ctx: Context, tense: str | None) -> Resolved | None:
    return Resolved("SET", _word_value("set_unit", groups.get("unit")), "set")


HANDLERS: dict[str, Callable[[Groups, Context, str | None], Resolved | None]] = {
    "day": _day,
    "day_range": _day_range,
    "part_of_day": _part_of_day,
    "year_range": _year_range,
    "ago": _ago,
    "lunar": _lunar,
    "month": _month,
    "year": _year,
    "week": _week,
    "weekend": _weekend,
    "quarter": _quarter,
    "century": _century,
    "decade": _decade,
    "day_offset": _day_offset,
    "weekday": _weekday,
    "same_day": _same_day,
    "discourse": _discourse,
    "time": _time,
    "duration": _duration,
    "vague_duration": _vague_duration,
    "set": _set,
}


# --- tense cues ---------------------------------------------------------------


@cache
def _tense_cues() -> tuple[int, re.Pattern[str], dict[str, str]]:
    tense = tables()["tense"]
    kinds = {" ".join(c.split()): "future" for c in tense["future"]}
    kinds.update({" ".join(c.split()): "past" for c in tense["past"]})
    pattern = re.compile(
        r"(?<!\w)(?:" + _alternation(kinds).replace(r"\ ", r"\s+") + r")(?!\w)", re.IGNORECASE
    )
    return tense["window"], pattern, kinds


def _cue_kind(match: re.Match[str]) -> str:
    return _tense_cues()[2][" ".join(match.group().lower().split())]


def expression_tense(text: str, start: int, end: int, match: re.Match[str]) -> str | None:
    """Tense governing a match: "hôm 9/9", "hôm thứ Ba" name days already gone."""
    if (match.groupdict().get("cue") or "").lower() == "hôm":
        return "past"
    return tense_near(text, start, end)


def tense_near(text: str, start: int, end: int) -> str | None:
    """The tense cue nearest to text[start:end]: in its own clause (before it, then after
    it), else elsewhere in the sentence (before, then after)."""
    clause_start = max((text.rfind(c, 0, start) for c in ",;:("), default=-1) + 1
    ends = [i for i in (text.find(c, end) for c in ",;:)") if i >= 0]
    clause_end = min(ends) if ends else len(text)
    return (
        _cue_before(text, clause_start, start)
        or _cue_after(text, end, clause_end)
        or _cue_before(text, 0, clause_start)
        or _cue_after(text, clause_end, len(text))
    )


def _cue_before(text: str, low: int, start: int) -> str | None:
    window, cues, _ = _tense_cues()
    found = list(cues.finditer(text, low, start))
    if found and len(text[found[-1].end() : start].split()) < window:
        return _cue_kind(found[-1])
    return None


def _cue_after(text: str, end: int, high: int) -> str | None:
    window, cues, _ = _tense_cues()
    found = cues.search(text, end, high)
    if found and len(text[end : found.start()].split()) < window:
        return _cue_kind(found)
    return None


# --- tagging -----------------------------------------------------------------


def _is_between(match: re.Match[str]) -> bool:
    """ "giữa tháng 9/2012 và tháng 6/2013": "giữa" means "between" here."""
    if (match.groupdict().get("mod") or "").lower() != "giữa":
        return False
    rest = match.string[match.end() :].lstrip().lower()
    return any(rest.startswith(j + " ") for j in tables()["cues"]["between_joiners"])


def _span_start(match: re.Match[str]) -> int:
    """Prepositions captured as `cue` ("từ", "vào") are evidence, not part of the span."""
    if _is_between(match):
        rest = match.string[match.end("mod") : match.end()]
        return match.end("mod") + len(rest) - len(rest.lstrip())
    cue = match.groupdict().get("cue")
    if cue and " ".join(cue.lower().split()) not in tables()["cues"]["in_span"]:
        rest = match.string[match.end("cue") : match.end()]
        return match.end("cue") + len(rest) - len(rest.lstrip())
    return match.start()


def _candidates_everywhere(text: str) -> list[tuple[int, int, int, Rule, re.Match[str]]]:
    """Every rule scanned over the whole text: the reference the indexed search must equal."""
    found = []
    for order, rule in enumerate(rules()):
        for match in rule.regex.finditer(text):
            found.append((_span_start(match), match.end(), order, rule, match))
    return found


@cache
def _starter() -> re.Pattern[str]:
    """Finds, in one C-level scan, the words at which some rule can start."""
    words = [w for w in _start_index() if w != "#"]
    return re.compile(r"\b(?:\d|" + _trie(words) + r"\b)")


def _trie(words: Iterable[str]) -> str:
    """An alternation factored by shared prefixes: the regex engine does not do this itself,
    and a flat list of 150 words costs it 150 comparisons at every position."""
    root: dict[str, dict] = {}
    for word in words:
        node = root
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}
    return _trie_node(root)


def _trie_node(node: dict[str, dict]) -> str:
    branches = [re.escape(char) + _trie_node(child) for char, child in sorted(node.items()) if char]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    return f"(?:{body})?" if "" in node else body


_NO_RULES: tuple[None, tuple[()]] = (None, ())


def _candidates_indexed(text: str) -> list[tuple[int, int, int, Rule, re.Match[str]]]:
    """Try only the rules that can start with the word at hand, at each such word."""
    lower = text.lower()
    if len(lower) != len(text):  # a few exotic characters change length when lowered
        return _candidates_everywhere(text)
    index = _start_index()
    found = []
    busy_until: dict[int, int] = {}  # like finditer, a rule's matches do not overlap each other
    for word in _starter().finditer(lower):
        token, at = word.group(), word.start()
        union, candidates = index.get("#" if token[0].isdigit() else token, _NO_RULES)
        if union is not None and not union.match(text, at):
            continue
        for order, rule in candidates:
            if at < busy_until.get(order, 0):
                continue
            match = rule.regex.match(text, at)
            if match:
                busy_until[order] = match.end()
                found.append((_span_start(match), match.end(), order, rule, match))
    return found


def find(text: str, exhaustive: bool = False) -> list[tuple[int, int, Rule, re.Match[str]]]:
    """Longest non-overlapping matches of all rules, left to right."""
    candidates = _candidates_everywhere(text) if exhaustive else _candidates_indexed(text)
    candidates = [c for c in candidates if c[1] > c[0]]
    candidates.sort(key=lambda c: (-(c[1] - c[0]), c[0], c[2]))
    chosen: list[tuple[int, int, Rule, re.Match[str]]] = []
    for start, end, _, rule, match in candidates:
        if all(end <= s or start >= e for s, e, _, _ in chosen):
            chosen.append((start, end, rule, match))
    return sorted(chosen, key=lambda c: c[0])


def tag(text: str, dct: date | None = None, ctx: Context | None = None) -> list[TimeExpression]:
    """Find and normalise every time expression in one sentence."""
    ctx = ctx or Context(dct)
    found = []
    for start, end, rule, match in find(text):
        tense = expression_tense(text, start, end, match)
        groups = match.groupdict()
        if _is_between(match):
            groups["mod"] = None
        resolved = _resolve(rule.handler, groups, ctx, tense)
        if resolved is None:
            continue
        if resolved.modifier is None and groups.get("approx"):
            resolved = replace(resolved, modifier=_word_value("about", groups["approx"]))
        found.append(
            TimeExpression(
                start=start,
                end=end,
                text=text[start:end],
                type=resolved.type,
                value=resolved.value,
                granularity=resolved.granularity,
                modifier=resolved.modifier,
                anchor=resolved.anchor,
                tense=tense,
            )
        )
        if resolved.type == "DATE" and resolved.granularity == "day" and resolved.value:
            ctx.last_day = resolved.value
    return _borrow_years(text, found)


def _borrow_years(text: str, found: list[TimeExpression]) -> list[TimeExpression]:
    """ "từ tháng 2 đến tháng 8/2021": a yearless first end takes the year of the second."""
    joiners = tables()["cues"]["range_joiners"]
    for i in range(len(found) - 1):
        first, second = found[i], found[i + 1]
        between = " ".join(text[first.end : second.start].split())
        if between not in joiners or first.granularity not in ("day", "month") or second.anchor is not None:
            continue
        known, unknown = second.value or "", first.value or ""
        if not (_borrowable(first) and known[:4].isdigit()):
            continue
        year = int(known[:4]) - (unknown[4:] > known[4 : len(unknown)])
        borrowed = _in_year(unknown, year)
        if borrowed:
            found[i] = replace(first, value=borrowed, anchor=None)
    return found


def _in_year(value: str, year: int) -> str | None:
    """A month or day value ("XXXX-02-29") put in `year`; None when that year has no such day."""
    y = _year_value(year)
    if y is None or (len(value) == 10 and not _safe_date(year, int(value[5:7]), int(value[8:10]))):
        return None
    return y + value[4:]


def _borrowable(expression: TimeExpression) -> bool:
    # Only a year the tagger chose itself (from the DCT, or unknown) may be replaced.
    value = expression.value or ""
    return (expression.anchor is not None or value.startswith("XXXX")) and len(value) in (7, 10)


def _resolve(handler: str, groups: Groups, ctx: Context, tense: str | None) -> Resolved | None:
    resolved = HANDLERS[handler](groups, ctx, tense)
    if resolved is None or ctx.window is None or resolved.anchor is None:
        return resolved
    ends = [HANDLERS[handler](groups, replace(ctx, dct=d, window=None), tense) for d in ctx.window]
    if all(e is not None and e.value == resolved.value for e in ends):
        return resolved
    return HANDLERS[handler](groups, replace(ctx, dct=None, window=None), tense)


def tag_document(
    sentences: Iterable[str], dct: date | None, window: tuple[date, date] | None = None
) -> list[list[TimeExpression]]:
    """Tag the sentences of one article in order, so "cùng ngày" can refer back.

    With `window`, `dct` is an estimate: only values that hold for any DCT in the window
    are resolved.
    """
    ctx = Context(dct, window=window)
    return [tag(sentence, ctx=ctx) for sentence in sentences]


def is_resolved(value: str | None) -> bool:
    """A calendar value: not underspecified ("XXXX-12-06") nor a vague reference ("PAST_REF")."""
    return value is not None and value != "" and "X" not in value and not value.endswith("_REF")
