import sqlite3

import pytest
from conftest import EXAMPLES

from nienbieu import pipeline
from nienbieu.store import MIGRATIONS, Store, schema_version


def test_reingest_adds_nothing(tmp_path):
    with Store(tmp_path / "a.db") as store:
        first = pipeline.ingest_paths([EXAMPLES], store)
        second = pipeline.ingest_paths([EXAMPLES], store)
        assert (len(first.added), len(second.added), len(second.already_stored)) == (5, 0, 5)
        assert store.count() == 5
        assert store.conn.execute("SELECT count(*) FROM sentences").fetchone()[0] == sum(
            len(a.sentences) for a in store.articles()
        )


def test_round_trip_keeps_dates_sentences_and_timexes(tmp_path, seeds):
    with Store(tmp_path / "a.db") as store:
        store.add([seeds["vtv"]])
        [back] = store.articles()
    assert back.published == seeds["vtv"].published
    assert [s.text for s in back.sentences] == [s.text for s in seeds["vtv"].sentences]
    assert [t for s in back.sentences for t in s.timexes] == [
        t for s in seeds["vtv"].sentences for t in s.timexes
    ]
    assert [s.in_quote for s in back.sentences] == [s.in_quote for s in seeds["vtv"].sentences]


def test_edited_file_replaces_its_previous_version(tmp_path):
    source = tmp_path / "bài.txt"
    source.write_text("Tiêu đề\n\nPhiên bản đầu tiên của bài viết về hội nghị.", encoding="utf-8")
    with Store(tmp_path / "a.db") as store:
        pipeline.ingest_paths([source], store)
        source.write_text("Tiêu đề\n\nPhiên bản đã sửa của bài viết về hội nghị.", encoding="utf-8")
        report = pipeline.ingest_paths([source], store)
        assert len(report.replaced) == 1 and store.count() == 1
        assert "đã sửa" in store.articles()[0].sentences[0].text


def test_migrations_are_versioned_and_wal_is_on(tmp_path):
    with Store(tmp_path / "a.db") as store:
        assert schema_version(store.conn) == len(MIGRATIONS)
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    # reopening applies nothing twice
    with Store(tmp_path / "a.db") as store:
        assert schema_version(store.conn) == len(MIGRATIONS)


def test_failed_batch_leaves_nothing_behind(tmp_path, seeds):
    with Store(tmp_path / "a.db") as store:
        broken = seeds["vilnius"]
        bad = type(broken)(id=broken.id, source="x", body=broken.body, sentences=broken.sentences)
        bad.sentences = [*broken.sentences, broken.sentences[0]]  # duplicate primary key
        with pytest.raises(sqlite3.IntegrityError):
            store.add([seeds["vtv"], bad])
        assert store.count() == 0


def test_per_article_lookups_use_an_index(tmp_path):
    with Store(tmp_path / "a.db") as store:
        for table in ("timexes", "mentions", "quotes"):
            plan = store.conn.execute(f"EXPLAIN QUERY PLAN DELETE FROM {table} WHERE article_id = ?", ("x",))
            assert f"INDEX {table}_sentence" in " ".join(row[-1] for row in plan), table


def test_a_v3_database_is_upgraded_with_its_data(tmp_path, seeds):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    for version, script in enumerate(MIGRATIONS[:3], start=1):
        conn.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {version};\nCOMMIT;")
    conn.close()
    with Store(path) as store:
        assert schema_version(store.conn) == len(MIGRATIONS)
        store.add([seeds["vtv"]])
        assert [a.id for a in store.articles()] == [seeds["vtv"].id]


def test_syndicated_copies_are_grouped_and_left_out_of_the_corpus(tmp_path):
    from test_dedup import OTHER, SYNDICATED, write_jsonl

    folder = tmp_path / "in"
    folder.mkdir()
    other = {"text": OTHER, "title": "Khai mạc hội nghị", "published": "2023-07-11T09:00:00", "outlet": "VTV"}
    write_jsonl(folder / "a.jsonl", [*SYNDICATED, other])
    with Store(tmp_path / "d.db") as store:
        pipeline.ingest_paths([folder], store)
        pipeline.ingest_paths([folder], store)  # again: same groups, nothing doubled
        everything = {a.title: a.id for a in store.articles()}
        assert store.duplicates() == {
            everything["Stoltenberg gặp Biden"]: [everything["Biden tiếp Stoltenberg"]]
        }
        assert sorted(a.title for a in store.articles(canonical_only=True)) == [
            "Khai mạc hội nghị",
            "Stoltenberg gặp Biden",
        ]
