from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from nienbieu import clean, ingest, pipeline
from nienbieu.models import Article, RawDocument
from nienbieu.store import Store

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
sys.path.append(str(EXAMPLES.parent / "bench"))
import mds  # noqa: E402  (the benchmarks' reader of the MDS clusters)

SEEDS = {
    "vtv": "000_276604fbab095470.txt",
    "ngoaitruong": "001_eae7b0701f9fa981.txt",
    "rutte": "002_c8e971b6ef8c3c37.txt",
    "vilnius": "003_f78783df44546c52.txt",
    "vtc": "004_e94dbbfd1c763f8c.txt",
}


def load(name: str) -> Article:
    read = ingest.read_file(EXAMPLES / SEEDS[name])
    article, problems = clean.clean(read.documents[0])
    assert problems == []
    return pipeline.analyze(article)


@pytest.fixture(scope="session")
def seeds() -> dict[str, Article]:
    return {name: load(name) for name in SEEDS}


# --- a store of the seeds and three MDS clusters (scope tests) ----------------------------------

MIXED_CLUSTERS = ("cluster_10", "cluster_100", "cluster_104")  # Nhật Bản–Trung Quốc, U23 Myanmar, Hà Nam


def mds_rows(cluster: str) -> list[dict[str, str]]:
    """The articles of an MDS cluster as JSONL rows with their stated title and time."""
    rows = []
    for body in sorted((mds.CLUSTERS / cluster).glob("*.body.txt")):
        fields = mds.info(body)
        published = mds.published(fields)
        assert published is not None
        text = body.read_text(encoding="utf-8")
        rows.append(
            {
                "id": body.name.split(".")[0],
                "title": mds.title(fields),
                "published": published.isoformat(),
                "text": text,
            }
        )
    return rows


# The articles of `mixed_store`, by publication date
U23 = {"d7248ff6326fadc8", "2862b8fe063ac9fb", "f31f567d546e7bea"}  # cluster_100, 15/10/2013
U23_16 = "deee50325e7e2d19"  # cluster_100, 16/10/2013 00:20
NHAT_22 = {"8daa8163d7f3af85", "d7a9c1d1fcd126ee"}  # cluster_10, 22/10/2013
NHAT_23 = "d15c03a7b66b42fb"  # cluster_10, 23/10/2013

# MDS dev cluster_136: a research title whose closing mark the source left out, then a later
# title in the same paragraph. Nesting that later pair in the first kept every sentence after it
# in the quotation, the one dating the flood rescue (ngày 4-9-2013) too: left out of timelines.
TITLE_LEFT_OPEN = [
    "Hay tập thể cán bộ Hội LHPN tỉnh Yên Bái thành công với đề tài “Nghiên cứu và ứng dụng thành "
    "công viên nén dúi sâu cho ruộng bậc thang góp phần vào công cuộc xóa đói, giảm nghèo của đồng "
    "bào dân tộc thiểu số vùng sâu, vùng xa tỉnh Yên Bái.",
    "Đề tài này đã đưa vào cuộc sống, phục vụ thiết thực đời sống cho bà con dân tộc các tỉnh Yên "
    "Bái và được Hội LHPN của 14 tỉnh phía bắc đến thăm quan, học tập, ứng dụng cho địa phương mình.",
    "Trong nhiều năm, đề tài “Nghiên cứu chọn giống lúa thơm cho vùng lúa đặc sản Vĩnh Long” của "
    "GS.TS Nguyễn Thị Lang (Viện lúa Đồng bằng sông Cửu Long) đã tạo ra 19 giống lúa mới.",
    "Và anh Chảo Dào Quan, xã Bản Khoang, huyện Sa Pa, Lào Cai trong cơn lũ quét ngày 4-9-2013 đã "
    "dũng cảm cứu sống sáu người trong dòng nước lũ.",
]

HA_NAM = {"5a1430442b1cf0c9", "3a46b95e36d2fa29", "dbd6861bf3610df0"}  # cluster_104, 1/11/2013
NGOAITRUONG = "4959b906d57d85e9"  # date inferred, 2016
VTV = "d2235653a80c903e"  # 19/02/2021
VTV_COPY = "ab37bf5664be1473"  # its near-duplicate copy, 20/02/2021
VTC = "b134f0149453372e"  # 10/12/2021
VILNIUS = "67077fd90c3f048c"  # date inferred, 2022
RUTTE = "e7e6204e86fdfff4"  # date inferred, 2025


@pytest.fixture(scope="session")
def mixed_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The five seeds, the ten articles of `MIXED_CLUSTERS` and a near-duplicate copy of the VTV
    seed: a day later, under a new headline, with one more paragraph (naming TTXVN)."""
    root = tmp_path_factory.mktemp("mixed")
    rows = [row for cluster in MIXED_CLUSTERS for row in mds_rows(cluster)]
    (root / "mds.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    vtv = (EXAMPLES / SEEDS["vtv"]).read_text(encoding="utf-8").split("\n\n")
    vtv[0], vtv[1] = (
        "NATO và Mỹ hàn gắn quan hệ xuyên Đại Tây Dương",
        vtv[1].replace("Thứ sáu, ngày 19/02/2021 06:00", "Thứ bảy, ngày 20/02/2021 08:00"),
    )
    vtv.insert(3, "Bài viết theo tin của phóng viên Thông tấn xã Việt Nam (TTXVN) tại Brussels.")
    (root / "copy.txt").write_text("\n\n".join(vtv), encoding="utf-8")
    db = root / "mixed.db"
    with Store(db) as store:
        report = pipeline.ingest_paths(
            [EXAMPLES, root / "mds.jsonl", root / "copy.txt"], store, workers=1, segmenter="syllable"
        )
    assert (len(report.added), report.problems) == (16, [])
    return db


def body_text(article: Article) -> str:
    return "\n".join(p.text for p in article.body)


# What each migration added, to roll a current database back by hand as an older version left it.
_ADDED_BY = {
    5: "DROP TRIGGER sentences_fts_insert; DROP TRIGGER sentences_fts_delete;"
    "DROP TABLE sentences_fts_vocab; DROP TABLE sentences_fts;",
    6: "DROP TABLE duplicates; DROP TABLE signatures;",
    7: "DROP TABLE pending; DROP TABLE terms; DROP TABLE lsh;",
    8: "DROP TRIGGER titles_fts_insert; DROP TRIGGER titles_fts_delete;"
    "DROP TABLE titles_fts_vocab; DROP TABLE titles_fts;",
    # v8 kept one row per source, keyed by the path as given: a whole file's path, or the
    # "path#L<n>" of the JSONL line that stored the article (the article's own `source`)
    9: "DROP INDEX sources_article; DROP INDEX legacy_sources_article;"
    "INSERT OR IGNORE INTO legacy_sources SELECT CASE s.key WHEN '' THEN f.path ELSE a.source END, "
    "s.article_id, s.ingested_at FROM sources s JOIN files f ON f.id = s.file "
    "JOIN articles a ON a.id = s.article_id;"
    "DROP TABLE sources; DROP TABLE lines; DROP TABLE files;"
    "ALTER TABLE legacy_sources RENAME TO sources; CREATE INDEX sources_article ON sources(article_id);",
    10: "ALTER TABLE pending DROP COLUMN dated;",
    11: "DROP TABLE story_members; DROP TABLE stories;",
    12: "ALTER TABLE quotes DROP COLUMN candidate; ALTER TABLE quotes DROP COLUMN confidence;",
    13: "CREATE TRIGGER sentences_fts_insert AFTER INSERT ON sentences BEGIN "
    "INSERT INTO sentences_fts(rowid, text, folded) VALUES (new.rowid, new.text, nb_fold(new.text)); END;"
    "ALTER TABLE pending DROP COLUMN counted;",
    14: "DROP TABLE term_index;",
}


def roll_back(path: Path, version: int) -> None:
    import sqlite3

    from nienbieu.store import MIGRATIONS

    conn = sqlite3.connect(path)
    for newer in range(len(MIGRATIONS), version, -1):
        conn.executescript(_ADDED_BY[newer])
    conn.execute(f"PRAGMA user_version = {version}")
    conn.commit()
    conn.close()


# --- a synthetic corpus and the CLI in a process of its own (crash and concurrency tests) ------

SRC = Path(__file__).resolve().parent.parent / "src"
PEOPLE = ("Nguyễn Văn An", "Trần Thị Bình", "Lê Hoàng Cường", "Phạm Minh Dũng", "Hoàng Thu Hà",
          "Vũ Đức Giang", "Đặng Quốc Khánh", "Bùi Thanh Lan", "Đỗ Hữu Minh", "Ngô Bảo Ngọc")  # fmt: skip
PLACES = ("Hà Nội", "Đà Nẵng", "Huế", "Cần Thơ", "Hải Phòng", "Nha Trang", "Vinh", "Quy Nhơn")
TOPICS = ("cầu vượt", "bệnh viện", "trường học", "nhà máy nước", "công viên", "tuyến buýt")


def synthetic_row(i: int) -> dict[str, str]:
    """Article `i` as a JSONL row: two to four paragraphs with its own names, numbers and dates;
    every 37th states no publication date (the pipeline estimates one after storing it)."""
    person, other = PEOPLE[i % 10], PEOPLE[(i * 3 + 1) % 10]
    place, topic = PLACES[i % 8], TOPICS[(i // 8) % 6]
    day, month, year = 1 + i % 28, 1 + (i // 28) % 12, 2020 + i % 4
    paragraphs = [
        f"Ngày {day}/{month}/{year}, UBND thành phố {place} khởi công dự án {topic} số {i} "
        f"với tổng vốn {10 + 7 * i} tỷ đồng.",
        f"Ông {person}, Giám đốc Sở Xây dựng {place}, cho biết công trình dự kiến hoàn thành "
        f"vào tháng {1 + month % 12} năm {year + 1}.",
        f'"Chúng tôi sẽ bảo đảm tiến độ và chất lượng của dự án {topic} này", ông {person} nói.',
        f"Trước đó, hôm {1 + day % 27}/{month}, bà {other} đã kiểm tra mặt bằng và đề nghị "
        f"giải phóng {3 + i % 50} hộ dân.",
    ][: 2 + i % 3]
    row = {"text": "\n\n".join(paragraphs), "title": f"{place}: khởi công {topic} số {i}"}
    if i % 37:
        row["published"] = f"{year}-{month:02d}-{day:02d}T08:00:00+07:00"
    return row


def write_jsonl(
    root: Path, rows: list[dict[str, str]], per_file: int, last_file_extra: int = 0
) -> list[tuple[str, str]]:
    """`rows` as JSONL files of `per_file` rows in the new folder `root` (the last file takes
    `last_file_extra` more); returns (file, line) for every row, in the order ingested."""
    root.mkdir(parents=True)
    body = rows[: len(rows) - last_file_extra]
    files = [body[start : start + per_file] for start in range(0, len(body), per_file)]
    files[-1] += rows[len(body) :]
    written = []
    for number, chunk in enumerate(files):
        path = root / f"tin_{number:03d}.jsonl"
        lines = [json.dumps(r, ensure_ascii=False) for r in chunk]
        path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        written += [(str(path), line) for line in lines]
    return written


def ingest_args(corpus: Path, db: Path) -> list[str]:
    """A quick ingest: the syllable segmenter, one process, a JSON report."""
    return ["ingest", str(corpus), "--db", str(db), "--segmenter", "syllable", "-j", "1", "--json"]


def cli_process(args: list[str], **popen: Any) -> subprocess.Popen:
    """`nienbieu ARGS` in a process of its own, running this checkout's code."""
    path = os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path}
    return subprocess.Popen(
        [sys.executable, "-c", "from nienbieu.cli import main; main()", *args], env=env, **popen
    )


def read_only(db: Path) -> closing[sqlite3.Connection]:
    return closing(sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True, timeout=10))


def dump(db: Path) -> dict[str, list[tuple]]:
    """Every row of every table, sorted, without the ingestion timestamps; the term index as
    (term, article id) pairs: its own tables hold article rowids, which depend on the order
    articles were stored in."""
    with read_only(db) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        dump = {}
        for table in sorted(t for t in tables if not t.startswith("term_index")):
            columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})") if r[1] != "ingested_at"]
            dump[table] = sorted(conn.execute(f"SELECT {', '.join(columns)} FROM {table}"), key=repr)
        if "term_index" in tables:
            dump["term_index"] = term_holders(conn)
    return dump


def term_holders(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """(term, article id) of every posting of the store's term index (v14)."""
    vocab = "CREATE VIRTUAL TABLE IF NOT EXISTS temp.term_vocab USING fts5vocab(main, term_index, 'row')"
    conn.execute(vocab)
    found = "SELECT a.id FROM term_index f JOIN articles a ON a.rowid = f.rowid WHERE term_index MATCH ?"
    terms = [r[0] for r in conn.execute("SELECT term FROM temp.term_vocab")]
    return sorted((term, r[0]) for term in terms for r in conn.execute(found, (f'"{term}"',)))


# An article meant to run script in a web page: tags, an event handler, a javascript: link and url
HOSTILE_WEB = (
    "Tin nóng <script>window.pwned=1</script>\n\n"
    'Hà Nội, ngày 5/3/2024 – Ông Nguyễn Văn An nói <img src=x onerror="window.pwned=1"> '
    'rằng <a href="javascript:window.pwned=1">bấm đây</a> là an toàn.\n\n'
    "Bộ Y tế cho biết ngày 4/3/2024 đã họp <svg onload=window.pwned=1></svg> về việc này."
)


def hostile_web_store(folder: Path) -> tuple[Path, str]:
    """A store holding `HOSTILE_WEB` (title "<b>Tít</b>", url javascript:…), and its article id."""
    db = folder / "hostile.db"
    raw = RawDocument(
        source="hostile.txt", text=HOSTILE_WEB, url="javascript:window.pwned=1", title="<b>Tít</b>"
    )
    with Store(db) as store:
        article = pipeline.analyze(clean.clean(raw)[0], "syllable")
        store.add([article])
        pipeline.settle(store)
    return db, article.id


def pulled_lines(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The line of every piece read from now on, in order (`ingest.pieces`), to see how far
    an engine reads ahead of the results taken."""
    pulled: list[int] = []
    pieces = ingest.pieces

    def counted(path: Path, known: Any = None) -> Iterator[Any]:
        for piece in pieces(path, known):
            pulled.append(piece.line)
            yield piece

    monkeypatch.setattr(ingest, "pieces", counted)
    return pulled
