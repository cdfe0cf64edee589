"""Cost of pathological articles: wall time and peak memory of `nienbieu ingest`, `timeline` and
`brief` on one hostile article each, against an ordinary article of the same size.

Every article is made of the sentences of the five seeds in `examples/` (lines of more than
eight words after each file's first four), repeated in a shuffled order until the body holds
about `--mb` megabytes of UTF-8, under one title and dateline (`HEAD`), so that it is dated and
reaches the timeline:

- baseline: the seeds' own sentences in paragraphs of about 600 characters (an ordinary, long
  article; the reference for every factor);
- no-punct: the same words with every punctuation mark removed, one line: one sentence, as
  a page that lost its punctuation would be;
- commas: sentences end in a comma instead of a full stop, one line;
- one-para: the ordinary sentences on a single line (many sentences, no line break);
- open-quotes: the one-para text with every quotation opened and none closed;
- one-word: the words with their punctuation removed, joined without spaces: a single "word";
- initials: every word that starts with a letter, capitalised after its initial ("N. Năm N.
  Nay S. Sẽ"), one line cut to the baseline's length: no period ends a sentence, each is
  checked as an abbreviation;
- short-lines: 50,000 lines of one to three words and a full stop each (whatever `--mb`).

Each case is ingested (`-j 1`), then `timeline` and `brief` run on its store, each command in
its own process; peak memory is that process's maximum resident set size (`os.wait4`). A
command still running after `--timeout` seconds is killed and reported as such.

    .venv/bin/python bench/bench_pathological.py [--mb 1] [--cases a,b] [--timeout 300] [--segmenter S]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
NIENBIEU = Path(sys.executable).with_name("nienbieu")
HEAD = "Mỹ và NATO: hồ sơ dài\n\nThế giới - Thứ sáu, ngày 19/02/2021 06:00 GMT+7\n\n"
SHORT_LINES = 50_000
# Punctuation a word may carry at its edges ("NATO,", "“Tôi", "(NATO)"): removed in the cases
# without punctuation; inside a word ("18/2", "1.000") it stays.
_EDGE_PUNCT = "\"“”‘’'«»()[]{}.,;:!?…-–—*•"


def seed_sentences() -> list[str]:
    """The sentences of the seeds' bodies, as the product splits them."""
    from nienbieu.nlp import normalize_text, split_sentences

    found = []
    for path in sorted(EXAMPLES.glob("*.txt")):
        lines = normalize_text(path.read_text("utf-8")).split("\n")
        found += [s for line in lines[4:] if len(line.split()) > 8 for s in split_sentences(line)]
    return found


def _until(size: int, sentences: list[str], rng: random.Random) -> list[str]:
    """Shuffled rounds of `sentences` until their UTF-8 size reaches `size` bytes."""
    out: list[str] = []
    total = 0
    while total < size:
        round_ = sentences[:]
        rng.shuffle(round_)
        for sentence in round_:
            out.append(sentence)
            total += len(sentence.encode()) + 1
            if total >= size:
                break
    return out


def _bare_words(sentence: str) -> list[str]:
    return [w for w in (w.strip(_EDGE_PUNCT) for w in sentence.split()) if w]


def _paragraphs(sentences: list[str], chars: int = 600) -> str:
    paragraphs, current = [], []
    for sentence in sentences:
        current.append(sentence)
        if sum(map(len, current)) >= chars:
            paragraphs.append(" ".join(current))
            current = []
    return "\n\n".join([*paragraphs, " ".join(current)])


def _no_punct(sentences: list[str]) -> str:
    return " ".join(w for s in sentences for w in _bare_words(s))


def _commas(sentences: list[str]) -> str:
    return " ".join(re.sub(r"[.!?…]+([\"”’»)]*)$", r",\1", s) for s in sentences)


def _open_quotes(sentences: list[str]) -> str:
    return " ".join(sentences).replace("”", "").replace('"', "“")


def _one_word(sentences: list[str]) -> str:
    return "".join(w for s in sentences for w in _bare_words(s))


def _initials(sentences: list[str]) -> str:
    """Words that start with a letter, each capitalised after its initial, cut to the size of
    the others (a word after a digit would start a sentence)."""
    words = (w for s in sentences for w in _bare_words(s) if w[:1].isalpha())
    text = " ".join(f"{w[:1].upper()}. {w[:1].upper()}{w[1:]}" for w in words)
    return text[: len(" ".join(sentences))].rsplit(" ", 1)[0]


def _short_lines(sentences: list[str]) -> str:
    """Lines of one to three words and a full stop: each is a sentence of its own. A line that
    reads as a "related news" marker would end the article there, so none does."""
    from nienbieu.data import load

    markers = set(load("boilerplate")["tail_markers"])
    words = [w for s in sentences for w in _bare_words(s)]
    rng = random.Random(13)
    lines: list[str] = []
    at = 0
    while len(lines) < SHORT_LINES:
        take = rng.randint(1, 3)
        line = " ".join(words[(at + i) % len(words)] for i in range(take))
        at += take
        if line.lower() not in markers:
            lines.append(line + ".")
    return "\n".join(lines)


CASES: dict[str, Callable[[list[str]], str]] = {
    "baseline": _paragraphs,
    "no-punct": _no_punct,
    "commas": _commas,
    "one-para": " ".join,
    "open-quotes": _open_quotes,
    "one-word": _one_word,
    "initials": _initials,
    "short-lines": _short_lines,
}


def run(args: list[str], timeout: float) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MiB) and outcome of one command in its own process."""
    started = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() - started > timeout:
            proc.send_signal(signal.SIGKILL)
            pid, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = -9
            return time.perf_counter() - started, usage.ru_maxrss / 1024, "killed"
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code
    return elapsed, usage.ru_maxrss / 1024, "ok" if code == 0 else f"exit {code}"


def measure(name: str, text: str, tmp: Path, timeout: float, segmenter: list[str]) -> dict[str, tuple]:
    folder = tmp / name
    folder.mkdir()
    (folder / f"{name}.txt").write_text(HEAD + text, "utf-8")
    db = str(tmp / f"{name}.db")
    tool = str(NIENBIEU)
    stages = {
        "ingest": [tool, "ingest", str(folder), "--db", db, "-j", "1", *segmenter],
        "timeline": [tool, "timeline", "--db", db],
        "brief": [tool, "brief", "--db", db],
    }
    results = {}
    for stage, command in stages.items():
        results[stage] = run(command, timeout)
        if results[stage][2] != "ok":
            break  # a store left half-written says nothing about the next stage
    return results


def stored_sentences(db: Path) -> tuple[int, int]:
    """How many sentences the store holds, and the longest one's length in characters."""
    try:
        with sqlite3.connect(db) as conn:
            count, longest = conn.execute("SELECT COUNT(*), MAX(LENGTH(text)) FROM sentences").fetchone()
    except sqlite3.Error:
        return 0, 0
    return count, longest or 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=float, default=1.0, help="size of each article body, MB of UTF-8")
    parser.add_argument("--cases", default=",".join(CASES), help="comma-separated, baseline always runs")
    parser.add_argument("--timeout", type=float, default=300, help="seconds before a command is killed")
    parser.add_argument("--segmenter", default=None, help="underthesea (default) or syllable")
    args = parser.parse_args()
    wanted = ["baseline", *[c for c in args.cases.split(",") if c and c != "baseline"]]
    sentences = _until(int(args.mb * 10**6), seed_sentences(), random.Random(9))
    segmenter = ["--segmenter", args.segmenter] if args.segmenter else []
    print(f"{'case':<12} {'chars':>9} {'lines':>6} {'sentences':>9} {'longest':>8}", end="")
    for stage in ("ingest", "timeline", "brief"):
        print(f" {stage + ' s':>11} {'MiB':>6} {'×base':>6}", end="")
    print()
    base: dict[str, tuple] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in wanted:
            text = CASES[name](sentences)
            results = measure(name, text, Path(tmp), args.timeout, segmenter)
            base = base or results
            count, longest = stored_sentences(Path(tmp) / f"{name}.db")
            lines = text.count("\n") + 1
            print(f"{name:<12} {len(text):>9,} {lines:>6} {count:>9,} {longest:>8,}", end="")
            for stage in ("ingest", "timeline", "brief"):
                if stage not in results:
                    print(f" {'-':>11} {'-':>6} {'-':>6}", end="")
                    continue
                seconds, mib, outcome = results[stage]
                cell = f"{seconds:.1f}" + ("" if outcome == "ok" else f" {outcome}")
                factor = seconds / base[stage][0]
                print(f" {cell:>11} {mib:>6.0f} {factor:>6.1f}", end="")
            print(flush=True)
    print("(one process per command; MiB: its peak resident set size; ×base: time over the baseline's)")


if __name__ == "__main__":
    main()
