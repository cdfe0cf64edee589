import json
from pathlib import Path

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
