"""A full disk, a read-only store, a damaged store: one line naming the file and the cause, exit
code 1, never a traceback; nothing stored before is lost, and nothing is written into a damaged
file. The disk is really full and the store really read-only where this machine lets the tests
mount a small tmpfs (as root); elsewhere SQLite's page limit and file modes stand in for them."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from conftest import EXAMPLES, dump, synthetic_row, write_jsonl
from typer.testing import CliRunner

from nienbieu import pipeline, store
from nienbieu.cli import Exit, app
from nienbieu.store import Store

runner = CliRunner()
READ_COMMANDS = (["timeline"], ["brief"], ["articles"], ["entities"], ["quotes"], ["search", "nato"])
ARTICLES = 600


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("faults") / "corpus"
    write_jsonl(root, [synthetic_row(i) for i in range(ARTICLES)], per_file=50)
    return root


@pytest.fixture(scope="module")
def reference(corpus, tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("faults-reference") / "clean.db"
    assert _ingest(corpus, db).exit_code == Exit.OK
    return db


def _ingest(corpus: Path, db: Path):
    return runner.invoke(app, ["ingest", str(corpus), "--db", str(db), "--segmenter", "syllable", "-j", "1"])


def _mount_tmpfs(folder: Path, size: str) -> bool:
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                          capture_output=True, check=False)  # fmt: skip
    return done.returncode == 0


def _remount(folder: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(folder)], check=True, capture_output=True)


@pytest.fixture
def small_disk(tmp_path) -> Iterator[Path | None]:
    """A 3 MB file system (the corpus needs about 5), or None where mounting is not allowed."""
    folder = tmp_path / "disk"
    if not _mount_tmpfs(folder, "3m"):
        yield None
        return
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def _one_line_error(result, *expected: str) -> None:
    assert result.exit_code == Exit.ERROR, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: "), result.stderr
    for text in expected:
        assert text in result.stderr, result.stderr


def _assert_valid(db: Path) -> int:
    with closing(sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        return conn.execute("SELECT count(*) FROM articles").fetchone()[0]


# --- a full disk -----------------------------------------------------------------------------


def test_a_really_full_disk_stops_ingest_with_one_line_and_a_rerun_completes(small_disk, corpus, reference):
    if small_disk is None:
        pytest.skip("cannot mount a tmpfs here; test_a_full_database_* simulates the full disk")
    db = small_disk / "s.db"
    _one_line_error(_ingest(corpus, db), f"the disk holding {db} is full", "nothing stored before is lost")
    assert _assert_valid(db) < ARTICLES
    _remount(small_disk, "size=64m")
    assert _ingest(corpus, db).exit_code == Exit.OK
    assert dump(db) == dump(reference)


def test_a_full_database_stops_ingest_with_one_line_and_a_rerun_completes(
    tmp_path, corpus, reference, monkeypatch
):
    """The same without mounting: SQLite's page limit answers SQLITE_FULL as a full disk does."""
    db = tmp_path / "s.db"
    connect = store._connect

    def limited(path: str, timeout: float) -> sqlite3.Connection:
        conn = connect(path, timeout)
        conn.execute("PRAGMA max_page_count = 700")  # 2.8 MB of the 4.7 the corpus takes
        return conn

    monkeypatch.setattr(store, "_connect", limited)
    _one_line_error(_ingest(corpus, db), f"the disk holding {db} is full", "database or disk is full")
    stored = _assert_valid(db)
    assert 0 < stored < ARTICLES  # whole batches before the full one are kept
    monkeypatch.setattr(store, "_connect", connect)
    assert _ingest(corpus, db).exit_code == Exit.OK
    assert dump(db) == dump(reference)


# --- a read-only store -------------------------------------------------------------------------


@pytest.fixture
def read_only_store(tmp_path, small_disk) -> Iterator[Path]:
    """The seeds' store on a read-only mount (as root, file modes do not stop writes), or with
    read-only file and folder modes where mounting is not allowed."""
    db = (small_disk or tmp_path / "ro") / "ro.db"
    db.parent.mkdir(exist_ok=True)
    with Store(db) as writable:
        pipeline.ingest_paths([EXAMPLES], writable, segmenter="syllable")
    if small_disk is not None:
        _remount(small_disk, "ro")
    else:
        db.chmod(0o444)
        db.parent.chmod(0o555)
    try:
        yield db
    finally:
        if small_disk is not None:
            _remount(small_disk, "rw")
        else:
            db.parent.chmod(0o755)
            db.chmod(0o644)


def test_a_read_only_store_can_be_read(read_only_store):
    if os.geteuid() == 0 and read_only_store.parent.name != "disk":
        pytest.skip("root writes through file modes; no read-only mount here")
    for command in READ_COMMANDS:
        result = runner.invoke(app, [*command, "--db", str(read_only_store)])
        assert result.exit_code == Exit.OK, (command, result.output)
    assert "## 18/02/2021" in runner.invoke(app, ["timeline", "--db", str(read_only_store)]).stdout


def test_ingest_into_a_read_only_store_says_so_before_analysing_anything(read_only_store, monkeypatch):
    if os.geteuid() == 0 and read_only_store.parent.name != "disk":
        pytest.skip("root writes through file modes; no read-only mount here")

    def analyse(*args: object, **kwargs: object) -> None:
        raise AssertionError("analysed although nothing can be stored")

    monkeypatch.setattr(pipeline, "analyze", analyse)
    result = runner.invoke(app, ["ingest", str(EXAMPLES), "--db", str(read_only_store)])
    _one_line_error(result, f"{read_only_store} is read-only", "read commands still work")


# --- a damaged store -------------------------------------------------------------------------


@pytest.fixture
def damaged_store(tmp_path) -> Path:
    """The seeds' store with the middle half of the file overwritten, as a failing disk or a
    careless copy leaves it; the header and schema page stay."""
    db = tmp_path / "damaged.db"
    with Store(db) as writable:
        pipeline.ingest_paths([EXAMPLES], writable, segmenter="syllable")
    size = db.stat().st_size
    with db.open("r+b") as f:
        f.seek(size // 4 // 4096 * 4096)
        f.write(bytes(range(256)) * (size // 2 // 256))
    return db


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_read_commands_on_a_damaged_store_say_so_in_one_line(damaged_store):
    for command in READ_COMMANDS:
        result = runner.invoke(app, [*command, "--db", str(damaged_store)])
        _one_line_error(result, f"{damaged_store} is damaged", "Recovering a damaged store")


def test_ingest_refuses_to_write_into_a_damaged_store(damaged_store, tmp_path):
    before = _digest(damaged_store)
    extra = tmp_path / "extra"
    extra.mkdir()
    shutil.copy(EXAMPLES / "000_276604fbab095470.txt", extra / "bài.txt")
    result = runner.invoke(app, ["ingest", str(extra), "--db", str(damaged_store)])
    _one_line_error(result, f"{damaged_store} is damaged", "nothing was written to it")
    assert _digest(damaged_store) == before
    assert not Path(f"{damaged_store}-wal").exists() or Path(f"{damaged_store}-wal").stat().st_size == 0


def test_a_file_that_is_not_a_store_is_named(tmp_path):
    db = tmp_path / "notes.db"
    db.write_bytes(b"this is not sqlite" * 100)
    for command in [*READ_COMMANDS, ["ingest", str(EXAMPLES)]]:
        result = runner.invoke(app, [*command, "--db", str(db)])
        _one_line_error(result, f"{db} is not a nienbieu database (file is not a database)")
    assert db.read_bytes() == b"this is not sqlite" * 100


# --- recovering a damaged store ---------------------------------------------------------------


def _overwrite_a_page_of(db: Path, table: str) -> None:
    """Overwrite one leaf page (not the first) of `table`'s b-tree with noise."""
    with closing(sqlite3.connect(db)) as conn:
        pages = [r[0] for r in conn.execute("SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' "
                                            "ORDER BY pageno", (table,))]  # fmt: skip
        size = conn.execute("PRAGMA page_size").fetchone()[0]
    with db.open("r+b") as f:
        f.seek((pages[len(pages) // 2] - 1) * size)
        f.write(bytes(range(256)) * (size // 256))


@pytest.fixture
def store_of(tmp_path, corpus) -> Path:
    db = tmp_path / "healthy.db"
    assert _ingest(corpus, db).exit_code == Exit.OK
    return db


def _sentences(db: Path) -> dict[str, list[str]]:
    with Store(db, readonly=True) as reader:
        return {a.id: [s.text for s in a.sentences] for a in reader.articles()}


@pytest.mark.parametrize("table", ["sentences", "lsh"])
def test_recover_copies_every_article_that_can_still_be_read_whole(table, store_of, tmp_path):
    original = _sentences(store_of)
    _overwrite_a_page_of(store_of, table)
    new = tmp_path / "recovered.db"
    result = runner.invoke(app, ["recover", str(store_of), "--db", str(new), "--json"])
    report = json.loads(result.stdout)
    assert report["listed_whole"] is True
    assert sorted(report["recovered"] + report["lost"]) == sorted(original)
    if table == "lsh":  # not read when recovering: nothing is lost
        assert (result.exit_code, report["lost"]) == (Exit.OK, [])
    else:
        assert result.exit_code == Exit.SKIPPED and 0 < len(report["lost"]) < ARTICLES // 2
    assert _assert_valid(new) == len(report["recovered"])
    assert _sentences(new) == {i: original[i] for i in report["recovered"]}
    assert runner.invoke(app, ["timeline", "--db", str(new)]).exit_code == Exit.OK
    with Store(new, readonly=True) as recovered:
        assert recovered.pending() == []
