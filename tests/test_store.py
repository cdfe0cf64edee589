import sqlite3
from collections import Counter
from pathlib import Path

import pytest
from conftest import EXAMPLES, NHAT_23, VILNIUS, VTC, VTV, VTV_COPY, roll_back
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nienbieu import attribution, pipeline
from nienbieu import store as store_module
from nienbieu.store import MIGRATIONS, NameIndex, Store, schema_version


def test_reingest_adds_nothing(tmp_path):
    with Store(tmp_path / "a.db") as store:
        first = pipeline.ingest_paths([EXAMPLES], store)
        second = pipeline.ingest_paths([EXAMPLES], store)
        # the files are unchanged: known by their stat or hash, not read as articles again
        assert (len(first.added), len(second.added), len(second.already_stored)) == (5, 0, 0)
        assert second.unchanged_count == 5
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


def _recount_terms(store: Store) -> dict[str, tuple[int, int]]:
    """The `terms` table as it should be: counted again from every stored article."""
    from collections import Counter

    from nienbieu import dating
    from nienbieu.models import DateProvenance

    df: Counter[str] = Counter()
    dated: Counter[str] = Counter()
    for article in store.articles():
        terms = dating.term_set(s.text for s in article.sentences)
        df.update(terms)
        if article.published_provenance is DateProvenance.STATED:
            dated.update(terms)
    return {term: (n, dated[term]) for term, n in df.items()}


def _terms_table(store: Store) -> dict[str, tuple[int, int]]:
    return {term: (df, dated) for term, df, dated in store.conn.execute("SELECT * FROM terms")}


def test_term_counts_follow_added_and_replaced_articles(tmp_path, seeds):
    source = tmp_path / "bài.txt"
    source.write_text("Tiêu đề\n\nHội nghị thượng đỉnh NATO khai mạc ở Vilnius hôm nay.", encoding="utf-8")
    with Store(tmp_path / "a.db") as store:
        store.add([seeds["vtv"], seeds["vilnius"]])
        pipeline.ingest_paths([source], store)
        assert _terms_table(store)["vilnius"] == (2, 0)  # the undated seed and the file; no stated one
        source.write_text("Tiêu đề\n\nHội nghị thượng đỉnh NATO bế mạc ở Vilnius.", encoding="utf-8")
        assert len(pipeline.ingest_paths([source], store).replaced) == 1
        assert _terms_table(store) == _recount_terms(store)
        assert "khai" not in _terms_table(store) and _terms_table(store)["bế"] == (1, 0)
        assert _terms_table(store)["stoltenberg"] == (2, 1)  # in the dated VTV seed and Vilnius


def test_a_v6_store_gets_buckets_and_term_counts_on_upgrade(tmp_path, seeds):
    path = tmp_path / "v6.db"
    with Store(path) as store:
        pipeline.ingest_paths([EXAMPLES], store)
        fresh = {
            t: store.conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in ("lsh", "terms")
        }
    roll_back(path, 6)
    with Store(path) as store:
        assert schema_version(store.conn) == len(MIGRATIONS)
        upgraded = {t: store.conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in fresh}
    assert upgraded == fresh and len(fresh["lsh"]) == 5 * 64


def test_the_stored_corpus_dates_articles_as_the_articles_in_memory_do(tmp_path, seeds):
    from nienbieu import dating

    with Store(tmp_path / "a.db") as store:
        pipeline.ingest_paths([EXAMPLES], store)
        articles = store.articles()
        in_memory, stored = dating.DatedCorpus.build(articles), store.dated_corpus()
        assert stored.terms.size() == in_memory.terms.size() == 5
        for article in articles:
            assert stored.date_range(article) == in_memory.date_range(article)
            assert stored.neighbours(article) == in_memory.neighbours(article)
            assert dating.infer_dct(article, stored) == dating.infer_dct(article, in_memory)


def test_articles_by_id_come_whole_and_oldest_first(tmp_path, seeds):
    with Store(tmp_path / "a.db") as store:
        store.add(list(seeds.values()))
        wanted = [seeds["vtc"].id, seeds["vtv"].id]
        found = store.articles(ids=wanted)
        assert [a.id for a in found] == [seeds["vtv"].id, seeds["vtc"].id]
        assert [len(a.sentences) for a in found] == [len(seeds["vtv"].sentences), len(seeds["vtc"].sentences)]
        assert found[0].sentences[0].mentions == seeds["vtv"].sentences[0].mentions
        assert store.articles(ids=[]) == []


def test_stored_articles_wait_to_be_settled(tmp_path, seeds):
    with Store(tmp_path / "a.db") as store:
        store.add([seeds["vtv"], seeds["vilnius"]])  # what a run killed before settling leaves
        assert store.pending() == sorted([seeds["vtv"].id, seeds["vilnius"].id])
        assert store.pending(undated=True) == [seeds["vilnius"].id]
        pipeline.settle(store)
        assert store.pending() == []
        [vilnius] = store.articles(ids=[seeds["vilnius"].id])
        assert vilnius.published_provenance == "inferred"


def _write(path: Path, body: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"Tiêu đề\n\n{body}", encoding="utf-8")
    return path


def test_an_article_two_files_give_is_kept_when_one_of_them_changes(tmp_path, monkeypatch):
    """The same name in two folders, ingested from each folder: two sources of one article."""
    same = "Hội nghị thượng đỉnh NATO khai mạc ở Vilnius hôm nay."
    first, second = _write(tmp_path / "d1" / "a.txt", same), _write(tmp_path / "d2" / "a.txt", same)
    with Store(tmp_path / "s.db") as store:
        for folder in ("d1", "d2"):
            monkeypatch.chdir(tmp_path / folder)
            pipeline.ingest_paths(["."], store, segmenter="syllable")
        [shared] = [a.id for a in store.articles()]
        _write(second, "Hội nghị thượng đỉnh NATO bế mạc ở Vilnius.")
        report = pipeline.ingest_paths(["."], store, segmenter="syllable")
        [edited] = report.added
        assert [(r.source, r.key, r.old_id, r.new_id, r.old_title, r.removed) for r in report.replaced] == [
            (str(second), "", shared, edited, "Tiêu đề", False)  # another source still gives it
        ]
        assert sorted(a.id for a in store.articles()) == sorted([shared, edited])
        assert dict(store.conn.execute(_PATHS)) == {str(first): shared, str(second): edited}


_PATHS = "SELECT f.path, s.article_id FROM sources s JOIN files f ON f.id = s.file"


def test_a_v8_store_keeps_its_sources_and_adopts_absolute_ones(tmp_path):
    """v8 keyed sources by the path as given: relative ones cannot be placed, yet their articles
    must never be deleted; absolute ones become identities, read again by the next ingest."""
    absolute = _write(tmp_path / "in" / "a.txt", "Phiên bản đầu tiên của bài viết về hội nghị.")
    relative = _write(tmp_path / "in" / "b.txt", "Bài viết thứ hai về cuộc họp báo chiều nay.")
    db = tmp_path / "v8.db"
    with Store(db) as store:
        pipeline.ingest_paths([tmp_path / "in"], store, segmenter="syllable")
        ids = {a.source: a.id for a in store.articles()}
    roll_back(db, 8)
    with sqlite3.connect(db) as conn:  # as a v8 ingest run in tmp_path/in left it
        conn.execute("UPDATE sources SET path = 'b.txt' WHERE path = ?", (str(relative),))
    with Store(db) as store:
        assert schema_version(store.conn) == len(MIGRATIONS)
        assert dict(store.conn.execute(_PATHS)) == {str(absolute): ids[str(absolute)]}
        assert store.recorded_file(str(absolute)) is None  # no stat yet: read next time
        legacy = store.conn.execute("SELECT path, article_id FROM legacy_sources").fetchall()
        assert legacy == [("b.txt", ids[str(relative)])]

        again = pipeline.ingest_paths([tmp_path / "in"], store, segmenter="syllable")
        assert (again.added, sorted(again.already_stored), again.unchanged) == ([], sorted(ids.values()), [])
        _write(absolute, "Phiên bản đã sửa của bài viết về hội nghị.")
        _write(relative, "Bài viết thứ hai, đã sửa, về cuộc họp báo chiều nay.")
        edited = pipeline.ingest_paths([tmp_path / "in"], store, segmenter="syllable")
        assert [(r.old_id, r.removed) for r in edited.replaced] == [
            (ids[str(absolute)], True),  # the adopted source: the earlier version goes
            (ids[str(relative)], False),  # the legacy one still names it: it stays
        ]
        assert store.count() == 3


def test_quotations_keep_their_candidate_and_confidence_and_an_old_store_finds_them_again(tmp_path):
    said = "“Chúng tôi sẽ bảo vệ từng tấc lãnh thổ của liên minh này”, ông Jens Stoltenberg nói."
    source = _write(tmp_path / "in" / "a.txt", said)
    db = tmp_path / "v11.db"
    with Store(db) as store:
        pipeline.ingest_paths([source], store, segmenter="syllable")
        [stored] = [q for a in store.articles() for s in a.sentences for q in s.quotes]
    assert stored.candidate == "Jens Stoltenberg" and 0 < (stored.confidence or 0) < 1
    assert stored.speaker == (
        stored.candidate if stored.confidence >= attribution.model().threshold else None
    )
    roll_back(db, 11)
    with sqlite3.connect(db) as conn:  # as the earlier rules stored it: a speaker, nothing else
        conn.execute("UPDATE quotes SET speaker = 'Ai đó'")
    with Store(db) as store:
        assert schema_version(store.conn) == len(MIGRATIONS)
        articles = store.articles()
        assert store.without_entities() == [articles[0].id]  # to be found again
        assert store.without_entities([articles[0].id]) == [articles[0].id]
        assert store.without_entities([a.id for a in articles[1:]]) == []
        pipeline.link_articles(store, articles)
        [again] = [q for a in store.articles() for s in a.sentences for q in s.quotes]
    assert (again.candidate, again.confidence) == (stored.candidate, stored.confidence)


def test_new_articles_terms_are_counted_together_and_a_killed_runs_at_the_next_settling(tmp_path, seeds):
    with Store(tmp_path / "a.db") as store:
        store.add([seeds["vtv"], seeds["vilnius"]])
        assert _terms_table(store) == {}  # tallied in memory, not counted yet
    with Store(tmp_path / "a.db") as store:  # the run was killed: its tally is gone, `pending` says
        pipeline.settle(store)
        assert _terms_table(store)["stoltenberg"] == (2, 1)
        assert _terms_table(store) == _recount_terms(store)
        assert store.conn.execute("SELECT count(*) FROM pending").fetchone() == (0,)


def test_a_term_s_holders_are_capped_to_the_latest_stored_as_in_memory(tmp_path):
    from nienbieu import dating

    folder = tmp_path / "bài"
    for name in "abcd":
        _write(folder / f"{name}.txt", f"Hội nghị ở Vilnius bàn về dự án {name} hôm nay.")
    with Store(tmp_path / "a.db") as store:
        pipeline.ingest_paths([folder], store, workers=1)  # stored in file order
        stored = store.dated_corpus().terms
        by_name = {Path(a.source).stem: a for a in store.articles()}
        assert len(stored.with_term("vilnius")) == 4
        latest = sorted([by_name["c"].id, by_name["d"].id])
        assert stored.with_term("vilnius", 2) == latest
    in_file_order = [by_name[name] for name in "abcd"]
    in_memory = dating.CorpusTerms.build(in_file_order, [a.id for a in in_file_order])
    assert sorted(in_memory.with_term("vilnius", 2)) == latest


def _holders_by_term(store: Store) -> dict[str, list[str]]:
    from nienbieu.store import _StoredTerms

    stored = _StoredTerms(store.conn)
    terms = [r[0] for r in store.conn.execute("SELECT term FROM terms ORDER BY term")]
    return {term: stored.with_term(term) for term in terms}


def _holders_in_memory(articles) -> dict[str, list[str]]:
    from nienbieu import dating

    index = dating.CorpusTerms.build(articles, [a.id for a in articles])
    return {term: sorted(index.with_term(term)) for term in index.postings}


def test_the_term_index_finds_every_term_s_holders_as_in_memory(tmp_path):
    with Store(tmp_path / "a.db") as store:
        pipeline.ingest_paths([EXAMPLES], store)
        stored = _holders_by_term(store)
        in_memory = _holders_in_memory(store.articles())
    assert stored == in_memory and len(stored) == 3558 and len(stored["nato"]) == 5
    # a bigram across two sentences is a term too (`dating.terms_of` joins them), which a phrase
    # search of the sentences did not find: "... Ấn Độ Dương-Thái Bình Dương. Stoltenberg ..."
    assert len(stored["dương_stoltenberg"]) == 1


def test_a_replaced_article_leaves_the_term_index(tmp_path):
    source = tmp_path / "bài.txt"
    source.write_text("Tiêu đề\n\nHội nghị thượng đỉnh NATO khai mạc ở Vilnius hôm nay.", encoding="utf-8")
    with Store(tmp_path / "a.db") as store:
        pipeline.ingest_paths([source], store)
        [first] = store.conn.execute("SELECT id FROM articles").fetchone()
        source.write_text("Tiêu đề\n\nHội nghị thượng đỉnh NATO bế mạc ở Vilnius.", encoding="utf-8")
        pipeline.ingest_paths([source], store)
        [second] = store.conn.execute("SELECT id FROM articles").fetchone()
        holders = _holders_by_term(store)
        assert first != second and holders["vilnius"] == [second] and holders["bế_mạc"] == [second]
        stored = store.dated_corpus().terms
        assert stored.with_term("khai_mạc") == [] and stored.with_term("khai") == []
        store.conn.execute("INSERT INTO term_index(term_index, rank) VALUES ('integrity-check', 1)")


@given(st.text(st.characters(categories=("L", "N")), min_size=1, max_size=6))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_term_is_one_token_of_the_term_index(tmp_path_factory, seeds, word):
    from dataclasses import replace

    from nienbieu import dating
    from nienbieu.models import Sentence

    text = f"Tin {word} và {word} mới."
    article = replace(seeds["vtv"], id="x", sentences=[Sentence(0, text, 0, False)], terms=None)
    with Store(tmp_path_factory.mktemp("t") / "a.db") as store:
        store.add([article])
        article_id = "x"
        stored = store.dated_corpus().terms
        # letters SQLite's unicode61 would split at (U+19B0...) included: every term finds it
        assert all(stored.with_term(term) == [article_id] for term in dating.term_set([text]))


def test_a_v13_store_gets_its_term_index_on_upgrade(tmp_path):
    path = tmp_path / "v13.db"
    with Store(path) as store:
        pipeline.ingest_paths([EXAMPLES], store)
        fresh = _holders_by_term(store)
    roll_back(path, 13)
    with Store(path) as store:
        assert schema_version(store.conn) == len(MIGRATIONS)
        assert _holders_by_term(store) == fresh and len(fresh["nato"]) == 5


def test_names_are_counted_and_their_articles_found_in_sql(mixed_store, monkeypatch):
    with Store(mixed_store, readonly=True) as s:
        counts = s.name_counts({NHAT_23, VTV, VTV_COPY})
        assert counts[("Mỹ", "LOC", "Mỹ")] == 39 and counts[("Jens Stoltenberg", "PER", None)] == 6
        monkeypatch.setattr(store_module, "CHUNK", 1)  # a name in several chunks is counted once each
        assert s.name_counts({NHAT_23, VTV, VTV_COPY}) == counts
        some = {NHAT_23, VTV, VTV_COPY, VTC, VILNIUS}
        assert s.naming_articles(some, {("Hoa Kỳ", "LOC"), ("Stoltenberg", "PER")}) == {VILNIUS}
        assert s.naming_articles(some, {("Stoltenberg", "ORG")}) == set()  # the type counts too
        # the same answers from the names held in memory
        index = NameIndex.read(s.conn)
        assert index.name_counts({NHAT_23, VTV, VTV_COPY}) == counts
        assert index.naming_articles(some, {("Hoa Kỳ", "LOC"), ("Stoltenberg", "PER")}) == {VILNIUS}
        assert index.name_counts(set()) == Counter()
        assert index.naming_articles({"unknown"}, {("Mỹ", "LOC")}) == set()
