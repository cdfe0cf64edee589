import json
import random
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from nienbieu import dedup

STORY = (
    "Tổng thư ký NATO Jens Stoltenberg đã gặp Tổng thống Mỹ Joe Biden tại Nhà Trắng hôm thứ Ba. "
    "Hai bên thảo luận về hội nghị thượng đỉnh sắp tới ở Vilnius và viện trợ cho Ukraine. "
    "Ông Biden khẳng định cam kết của Mỹ với Điều 5 là vững chắc. "
    "Ông Stoltenberg cảm ơn Mỹ vì sự lãnh đạo trong liên minh suốt thời gian qua."
)
COPY = "Biden tiếp người đứng đầu NATO (cập nhật)\n" + STORY + " (Theo VTV)"
OTHER = (
    "Hội nghị thượng đỉnh NATO ở Vilnius khai mạc với sự tham dự của lãnh đạo 31 nước thành viên. "
    "Các nước bàn về con đường gia nhập liên minh của Ukraine và chi tiêu quốc phòng 2% GDP."
)
# The story as first published and as syndicated a day later under another headline.
SYNDICATED = [
    {"text": STORY, "title": "Stoltenberg gặp Biden", "published": "2023-06-13T20:00:00", "outlet": "VTV"},
    {"text": COPY, "title": "Biden tiếp Stoltenberg", "published": "2023-06-14T07:00:00", "outlet": "VTC"},
]


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    return path


def test_shingles_are_stable_hashes_of_syllable_runs():
    assert dedup.shingles("Hà Nội mùa thu") == dedup.shingles("hà nội  MÙA thu")
    assert len(dedup.shingles("một hai ba bốn năm", k=3)) == 3
    assert dedup.shingles("") == set()


def test_identical_texts_have_similarity_one_and_unrelated_near_zero():
    a = dedup.signature(dedup.shingles(STORY))
    assert dedup.similarity(a, dedup.signature(dedup.shingles(STORY))) == 1.0
    assert dedup.similarity(a, dedup.signature(dedup.shingles(OTHER))) < 0.1


def test_a_copy_under_a_new_headline_joins_the_earliest_article():
    found = dedup.groups(
        [("late", "2023-06-14", COPY), ("early", "2023-06-13", STORY), ("x", "2023-06-13", OTHER)]
    )
    assert [(d.article, d.canonical) for d in found] == [("late", "early")]
    assert found[0].similarity >= dedup.THRESHOLD


def test_signatures_survive_storage():
    sig = dedup.signature(dedup.shingles(STORY))
    assert (dedup.from_bytes(sig.tobytes()) == sig).all()


def test_copies_join_the_canonical_article_not_a_chain():
    words = [
        "một",
        "hai",
        "ba",
        "bốn",
        "năm",
        "sáu",
        "bảy",
        "tám",
        "chín",
        "mười",
        "mươi",
        "trăm",
        "nghìn",
        "vạn",
        "triệu",
        "tỷ",
    ]
    parts = [" ".join(f"{w}{p}" for w in words * 2) for p in range(5)]  # five unrelated passages
    items = [
        ("a", "2021-01-01", " ".join(parts[0:3])),
        ("b", "2021-01-02", " ".join(parts[1:4])),  # half of a
        ("c", "2021-01-03", " ".join(parts[2:5])),  # half of b, a fifth of a
    ]
    assert [(d.article, d.canonical) for d in dedup.groups(items)] == [("b", "a")]


def test_the_analysis_fingerprints_title_and_body(seeds):
    vtv = seeds["vtv"]
    expected = dedup.signature(dedup.shingles(dedup.article_text(vtv)))
    assert vtv.fingerprint == expected.tobytes() and vtv.title in dedup.article_text(vtv)


def _edited_stories(rng: random.Random) -> list[str]:
    """Six stories of 80 syllables, each published 5 times as a window of 24 to 50 syllables at a
    random offset with up to 10% of its words dropped: pairs of every similarity, and chains (A
    like B, B like C, A sharing nothing with C) where one new article makes a canonical one a copy
    and so frees copies it never shared a bucket with."""
    vocabulary = [f"{a}{b}" for a in "bcdghklmnst" for b in ("a", "ơ", "uy", "iê", "ăn", "ông")]
    texts = []
    for _ in range(6):
        story = rng.choices(vocabulary, k=80)
        for _ in range(5):
            length, drop = rng.randint(24, 50), rng.uniform(0, 0.1)
            start = rng.randint(0, 80 - length)
            texts.append(" ".join(w for w in story[start : start + length] if rng.random() >= drop))
    return texts


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32), st.integers(0, 30))
def test_regrouping_after_new_articles_equals_grouping_all_at_once(seed, stored_before):
    """However the articles arrive — a copy before its original, an original after its copies —
    grouping the new ones against the grouped old ones gives what grouping everything gives."""
    rng = random.Random(seed)
    texts = _edited_stories(rng)
    days = [f"2024-01-{rng.randint(1, 28):02d}" for _ in texts]
    items = [
        (f"a{i:02d}", day, dedup.signature(dedup.shingles(t)))
        for i, (t, day) in enumerate(zip(texts, days, strict=True))
    ]
    rng.shuffle(items)
    old, new = items[:stored_before], items[stored_before:]
    grouped = {d.article: d.canonical for d in dedup.group_signatures(old)}
    changes = dedup.regroup([key for key, _, _ in new], dedup.InMemory(items, grouped))
    for article, found in changes.items():
        grouped.pop(article, None)
        if found:
            grouped[article] = found.canonical
    assert grouped == {d.article: d.canonical for d in dedup.group_signatures(items)}


def test_an_original_stored_after_its_copy_becomes_canonical():
    story, copy = dedup.signature(dedup.shingles(STORY)), dedup.signature(dedup.shingles(COPY))
    items = [("copy", "2023-06-14", copy), ("original", "2023-06-13", story)]
    changes = dedup.regroup(["original"], dedup.InMemory(items))
    assert {a: d and d.canonical for a, d in changes.items()} == {"original": None, "copy": "original"}


def test_a_new_original_frees_the_copies_of_the_article_it_turns_into_a_copy():
    """y bridges x and z (x and z share no shingle, so never a bucket): stored y and z are one
    group; once the older x arrives, y is x's copy and z, unlike x, stands alone."""
    rng = random.Random(7)
    story = [f"{a}{b}" for a in "bcdghklmnst" for b in ("a", "ơ", "uy", "iê", "ăn", "ông")]
    rng.shuffle(story)
    x, y, z = (
        dedup.signature(dedup.shingles(" ".join(story[a:b]))) for a, b in ((0, 40), (16, 64), (40, 80))
    )
    items = [("x", "2024-01-01", x), ("y", "2024-01-02", y), ("z", "2024-01-03", z)]
    assert (0, 2) not in dedup.candidate_pairs([x, y, z])
    grouped = {d.article: d.canonical for d in dedup.group_signatures(items[1:])}
    assert grouped == {"z": "y"}
    changes = dedup.regroup(["x"], dedup.InMemory(items, grouped))
    assert {a: d and d.canonical for a, d in changes.items()} == {"x": None, "y": "x", "z": None}


def test_articles_sharing_one_band_only_are_not_compared():
    """One shared band is what a shingle common to many texts gives; two or more is where
    copies are (a pair at Jaccard 0.3 shares 5.8 bands on average)."""
    rows = dedup.PERMUTATIONS // dedup.BANDS
    base = np.arange(dedup.PERMUTATIONS, dtype=np.uint64)
    one, two = base + np.uint64(1000), base + np.uint64(1000)
    one[:rows] = base[:rows]  # band 0 only
    two[: 2 * rows] = base[: 2 * rows]  # bands 0 and 1
    assert dedup.candidate_pairs([base, one, two]) == {(0, 2), (1, 2)}
    hood = dedup.InMemory([("base", "1", base), ("one", "2", one), ("two", "3", two)])
    assert hood.candidates("base") == {"two"} and hood.candidates("two") == {"base", "one"}
