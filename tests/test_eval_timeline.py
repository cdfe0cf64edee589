"""The reference timelines in eval/timeline/ are well-formed and every one has a fixed split."""

import json
import re
import tomllib
import unicodedata
from datetime import date
from pathlib import Path

import pytest

GOLD = Path(__file__).resolve().parent.parent / "eval" / "timeline"
REFERENCES = sorted(GOLD.glob("*.json"))
SPLIT = tomllib.loads((GOLD / "split.toml").read_text(encoding="utf-8"))
_KEY = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")
_NAME = re.compile(r"seeds|cluster_\d+|digest_\d{4}-\d{2}-\d{2}_\d{4}-\d{2}-\d{2}")


def _valid_key(key: str) -> bool:
    if not _KEY.fullmatch(key):
        return False
    parts = [int(p) for p in key.split("-")]
    try:
        date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("path", REFERENCES, ids=lambda p: p.stem)
def test_reference_is_sorted_nfc_dates_with_sentences(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert unicodedata.is_normalized("NFC", text)
    reference = json.loads(text)
    assert _NAME.fullmatch(path.stem)
    assert reference, "a reference needs at least one date"
    assert list(reference) == sorted(reference)
    for key, sentences in reference.items():
        assert _valid_key(key), key
        assert sentences and all(isinstance(s, str) and s.strip() for s in sentences), key


def test_every_reference_is_in_exactly_one_part_of_the_split() -> None:
    dev, test = set(SPLIT["dev"]), set(SPLIT["test"])
    assert not dev & test
    assert {p.stem for p in REFERENCES} <= dev | test


def test_digest_windows_are_ordered() -> None:
    for name in SPLIT["dev"] + SPLIT["test"]:
        if name.startswith("digest_"):
            start, end = name.removeprefix("digest_").split("_")
            assert date.fromisoformat(start) <= date.fromisoformat(end)
