import itertools
import json
import os
import shutil
from pathlib import Path

import pytest
from conftest import EXAMPLES, pulled_lines, synthetic_row
from hypothesis import given, settings
from hypothesis import strategies as st

from nienbieu import clean, ingest, pipeline
from nienbieu.models import DateProvenance, RawDocument
from nienbieu.store import Store


def _stored(db) -> list[tuple]:
    with Store(db) as store:
        return [
            (
                a.id,
                a.published,
                a.published_provenance,
                [(s.text, s.timexes, s.mentions) for s in a.sentences],
            )
            for a in store.articles()
        ]


def _export(path: Path, rows: int, bad: dict[int, bytes]) -> Path:
    """A JSONL export of `synthetic_row` articles, lines numbered from 1 replaced by `bad`."""
    lines = [
        bad.get(n, json.dumps(synthetic_row(n), ensure_ascii=False).encode()) for n in range(1, rows + 1)
    ]
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def test_two_worker_processes_store_exactly_what_one_does(tmp_path, monkeypatch):
    monkeypatch.setattr(pipeline, "PIECES_PER_TASK", 4)  # tasks across file boundaries, a full window
    corpus = tmp_path / "corpus"
    shutil.copytree(EXAMPLES, corpus)
    export = _export(corpus / "xuất.jsonl", 12, {3: b"{not json"})
    runs = {}
    for workers, name in ((1, "one.db"), (2, "two.db")):
        done: list[tuple[int, int]] = []
        with Store(tmp_path / name) as store:
            report = pipeline.ingest_paths(
                [corpus], store, workers=workers, progress=lambda *p, seen=done: seen.append(p)
            )
        assert (report.files, len(report.added)) == (6, 16)
        assert [(p.source, p.code) for p in report.problems] == [(f"{export}#L3", "bad-jsonl-line")]
        assert done == sorted(done) and done[-1] == (6, 6)
        runs[workers] = report.added, _stored(tmp_path / name)
    assert runs[1] == runs[2]


def test_a_jsonl_export_over_the_size_limit_is_stored_line_by_line_in_batches(tmp_path, monkeypatch):
    monkeypatch.setattr(ingest, "MAX_BYTES", 4096)
    monkeypatch.setattr(pipeline, "PIECES_PER_TASK", 4)
    long_line = json.dumps({"text": "Hà Nội mùa thu. " * 300}).encode()  # 9 KB: over the limit
    bad = {5: "{hỏng".encode(), 12: long_line, 20: b'{"text": "H\x00N"}'}
    path = _export(tmp_path / "lớn.jsonl", 40, bad)
    assert path.stat().st_size > 4 * 4096
    batches: list[int] = []
    with Store(tmp_path / "x.db") as store:
        add = store.add
        monkeypatch.setattr(store, "add", lambda batch: batches.append(len(batch)) or add(batch))
        report = pipeline.ingest_paths([path], store, batch_size=8, workers=1, segmenter="syllable")
        stored = sorted(int(a.source.rpartition("#L")[2]) for a in store.articles())
    assert (report.files, len(report.added)) == (1, 37)
    assert stored == [n for n in range(1, 41) if n not in bad]
    assert [(p.source, p.code) for p in report.problems] == [
        (f"{path}#L5", "bad-jsonl-line"),
        (f"{path}#L12", "line-too-long"),
        (f"{path}#L20", "binary-line"),
    ]
    # one transaction per batch of 8 articles or a few more (a task's worth), whatever the file size
    assert sum(batches) == 37 and all(8 <= n < 8 + 4 for n in batches[:-1]) and len(batches) == 4


def test_only_a_window_of_tasks_is_read_ahead_of_the_results(tmp_path, monkeypatch):
    monkeypatch.setattr(pipeline, "PIECES_PER_TASK", 4)
    export = _export(tmp_path / "xuất.jsonl", 60, {})
    pulled = pulled_lines(monkeypatch)
    results = pipeline._in_order([export], workers=2, segmenter="syllable")
    files_done, articles, problems = next(results)
    # 2 workers × TASKS_PER_WORKER 2 = 4 tasks of 4 lines in flight, and the line that closed the 4th
    assert (len(pulled), files_done, len(articles), problems) == (17, 0, 4, [])
    assert [a.source for a in articles] == [f"{export}#L{n}" for n in range(1, 5)]
    assert sum(len(rest[1]) for rest in results) == 56 and len(pulled) == 60


_VIETNAMESE_ISH = st.text(
    alphabet=st.sampled_from(
        list("aăâbcdđeêghiklmnoôơpqrstuưvxyAĐHNTàáảãạếềểễệốồổộớờởợ“”\"'«».,:;!?-/() \n0123456789")
    ),
    max_size=400,
)


@settings(max_examples=60, deadline=None)
@given(_VIETNAMESE_ISH)
def test_no_text_crashes_cleaning_and_analysis(text):
    article, problems = clean.clean(RawDocument("x.txt", text))
    if not any(p.severity == "error" for p in problems):
        analysed = pipeline.analyze(article, segmenter="syllable")
        for sentence in analysed.sentences:
            for m in sentence.mentions:
                assert sentence.text[m.start : m.end] == m.text
            for t in sentence.timexes:
                assert sentence.text[t.start : t.end] == t.text


def _groups(db) -> dict[str, list[str]]:
    with Store(db) as store:
        return store.duplicates()


def test_ingesting_in_two_runs_then_redating_stores_what_one_run_does(tmp_path):
    """The second run analyses only its own articles, yet dates them against the whole store
    and regroups copies: the syndicated copy came first, its original only in the second run."""
    import shutil

    from test_dedup import OTHER, SYNDICATED, write_jsonl

    root = tmp_path / "in"
    first, second = root / "1", root / "2"
    first.mkdir(parents=True), second.mkdir()
    seeds = sorted(EXAMPLES.glob("*.txt"))
    for path in seeds[:3]:
        shutil.copy(path, first / path.name)
    for path in seeds[3:]:
        shutil.copy(path, second / path.name)
    write_jsonl(first / "copy.jsonl", SYNDICATED[1:])
    write_jsonl(
        second / "original.jsonl", [SYNDICATED[0], {"text": OTHER, "published": "2023-07-11T09:00:00"}]
    )

    with Store(tmp_path / "once.db") as store:
        pipeline.ingest_paths([root], store)
    with Store(tmp_path / "twice.db") as store:
        assert len(pipeline.ingest_paths([first], store).added) == 4
        assert store.duplicates() == {}
        report = pipeline.ingest_paths([second], store)
        assert (len(report.added), store.pending()) == (4, [])
        assert store.duplicates() == _groups(tmp_path / "once.db") != {}  # the original took over
        second_run = {a.id: a for a in store.articles(ids=report.added)}
        assert {a.published_provenance for a in second_run.values()} == {"stated", "inferred"}
        assert pipeline.redate(store) >= 0
    assert _stored(tmp_path / "twice.db") == _stored(tmp_path / "once.db")
    assert _groups(tmp_path / "twice.db") == _groups(tmp_path / "once.db")


def test_a_text_file_with_an_impossible_dateline_is_stored_and_dated_from_its_text(tmp_path):
    page = tmp_path / "tin.txt"
    page.write_text(
        "Ngoại trưởng NATO họp trực tuyến\n\nThứ Sáu, 31/12/9999 10:00 GMT+7\n\n"
        "Ngày 18/2/2021, các ngoại trưởng NATO đã họp trực tuyến với Ngoại trưởng Mỹ Antony Blinken. "
        "Ngày mai, hai bên sẽ tiếp tục bàn về Afghanistan.",
        encoding="utf-8",
    )
    with Store(tmp_path / "t.db") as store:
        report = pipeline.ingest_paths([page], store, workers=1)
        [article] = store.articles()
    assert [(p.source, p.code) for p in report.problems] == [(str(page), "implausible-date")]
    assert (article.published_provenance, article.published.year) == (DateProvenance.INFERRED, 2021)
    assert "9999" not in " ".join(s.text for s in article.sentences)


def _lines(path: Path, rows: list[dict], mode: str = "w") -> Path:
    with path.open(mode, encoding="utf-8") as f:
        f.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    return path


def _counting_analysis(monkeypatch) -> list[str]:
    """Sources analysed from now on (in this process: run with workers=1)."""
    analysed: list[str] = []
    analyze = pipeline.analyze

    def counted(article, segmenter=None):
        analysed.append(article.source)
        return analyze(article, segmenter)

    monkeypatch.setattr(pipeline, "analyze", counted)
    return analysed


def test_an_export_overwritten_with_other_articles_adds_them_and_keeps_the_earlier_ones(tmp_path):
    """Rows without an id or url have no identity but their content: line 1 of a new export is
    a new article, not a new version of the old line 1."""
    latest = _lines(tmp_path / "latest.jsonl", [synthetic_row(1), synthetic_row(2)])
    with Store(tmp_path / "x.db") as store:
        first = pipeline.ingest_paths([latest], store, workers=1, segmenter="syllable")
        _lines(latest, [synthetic_row(3), synthetic_row(4)])
        second = pipeline.ingest_paths([latest], store, workers=1, segmenter="syllable")
        assert (len(second.added), second.replaced, store.count()) == (2, [], 4)
        assert sorted(a.id for a in store.articles()) == sorted(first.added + second.added)


def test_a_row_with_the_same_id_or_url_and_new_text_replaces_its_earlier_version(tmp_path):
    rows = [{**synthetic_row(1), "id": 7}, {**synthetic_row(2), "url": "https://vtv.vn/tin-2.htm"}]
    export = _lines(tmp_path / "xuất.jsonl", rows)
    with Store(tmp_path / "x.db") as store:
        before = pipeline.ingest_paths([export], store, workers=1, segmenter="syllable").added
        edited = [{**row, "text": row["text"] + "\n\nCập nhật: dự án đã được phê duyệt."} for row in rows]
        _lines(export, edited[::-1])  # lines swapped too: identity is the row's, not its line's
        report = pipeline.ingest_paths([export], store, workers=1, segmenter="syllable")
        assert [(r.source, r.key, r.old_id, r.old_title, r.removed) for r in report.replaced] == [
            (f"{export}#L1", "url:https://vtv.vn/tin-2.htm", before[1], rows[1]["title"], True),
            (f"{export}#L2", "id:7", before[0], rows[0]["title"], True),
        ]
        assert [r.new_id for r in report.replaced] == report.added
        assert sorted(a.id for a in store.articles()) == sorted(report.added)


def test_two_versions_of_a_row_in_one_export_keep_the_later_and_stay_unchanged_after(tmp_path, monkeypatch):
    """An append-only feed: the later line of an id replaces the earlier within one run; read
    again, neither line is analysed, and the earlier does not come back."""
    from test_store import _recount_terms, _terms_table

    feed = _lines(tmp_path / "feed.jsonl", [{**synthetic_row(1), "id": "a"}, synthetic_row(5)])
    with Store(tmp_path / "x.db") as store:
        pipeline.ingest_paths([feed], store, workers=1, segmenter="syllable")
        _lines(feed, [{**synthetic_row(2), "id": "a"}], mode="a")
        report = pipeline.ingest_paths([feed], store, workers=1, segmenter="syllable")
        counts = (len(report.added), len(report.replaced), report.unchanged_count, store.count())
        assert counts == (1, 1, 2, 2)
        analysed = _counting_analysis(monkeypatch)
        again = pipeline.ingest_paths([feed], store, workers=1, segmenter="syllable")
        assert (analysed, again.added, again.replaced, again.unchanged_count) == ([], [], [], 3)
        assert _terms_table(store) == _recount_terms(store)
        orphans = "SELECT count(*) FROM lsh WHERE article_id NOT IN (SELECT id FROM articles)"
        assert store.conn.execute(orphans).fetchone()[0] == 0


def test_one_run_holding_both_versions_of_a_row_stores_the_later_only(tmp_path):
    from test_store import _recount_terms, _terms_table

    feed = _lines(
        tmp_path / "feed.jsonl",
        [{**synthetic_row(1), "id": "a"}, synthetic_row(5), {**synthetic_row(2), "id": "a"}],
    )
    with Store(tmp_path / "x.db") as store:
        report = pipeline.ingest_paths([feed], store, workers=1, segmenter="syllable")
        [replaced] = report.replaced
        assert (replaced.key, replaced.source, replaced.removed) == ("id:a", f"{feed}#L3", True)
        assert len(report.added) == store.count() == 2 and replaced.old_id not in report.added
        assert _terms_table(store) == _recount_terms(store)
        orphans = "SELECT count(*) FROM lsh WHERE article_id NOT IN (SELECT id FROM articles)"
        assert store.conn.execute(orphans).fetchone()[0] == 0


def test_a_second_ingest_of_unchanged_inputs_analyses_nothing(tmp_path, monkeypatch):
    corpus = tmp_path / "corpus"
    shutil.copytree(EXAMPLES, corpus)
    export = _export(corpus / "xuất.jsonl", 6, {})
    with Store(tmp_path / "x.db") as store:
        pipeline.ingest_paths([corpus], store, workers=1, segmenter="syllable")

        def refuse(*args, **kwargs):
            raise AssertionError("an unchanged input was analysed")

        monkeypatch.setattr(pipeline, "analyze", refuse)
        report = pipeline.ingest_paths([corpus], store, workers=1, segmenter="syllable")
    assert (report.added, report.already_stored, report.replaced, report.problems) == ([], [], [], [])
    by_file = {Path(u.path).name: u.count for u in report.unchanged}
    assert by_file == {**{path.name: 1 for path in EXAMPLES.glob("*.txt")}, export.name: 6}


def test_an_export_appended_to_is_analysed_for_its_new_lines_only(tmp_path, monkeypatch):
    export = _export(tmp_path / "xuất.jsonl", 4, {})
    with Store(tmp_path / "x.db") as store:
        pipeline.ingest_paths([export], store, workers=1, segmenter="syllable")
        _lines(export, [synthetic_row(5), synthetic_row(6)], mode="a")
        analysed = _counting_analysis(monkeypatch)
        report = pipeline.ingest_paths([export], store, workers=1, segmenter="syllable")
        assert analysed == [f"{export}#L5", f"{export}#L6"]
        assert (len(report.added), report.unchanged_count, store.count()) == (2, 4, 6)


def test_a_touched_but_identical_file_is_hashed_once_then_skipped_unread(tmp_path, monkeypatch):
    from nienbieu import models

    monkeypatch.setattr(models, "RACY_NS", 0)  # trust fresh stats: files here are seconds old
    article = tmp_path / "bài.txt"
    shutil.copy(EXAMPLES / "000_276604fbab095470.txt", article)
    hashed: list[Path] = []
    hash_file = ingest.hash_file
    monkeypatch.setattr(ingest, "hash_file", lambda path: hashed.append(path) or hash_file(path))
    with Store(tmp_path / "x.db") as store:
        pipeline.ingest_paths([article], store, workers=1, segmenter="syllable")
        touched_at = article.stat().st_mtime_ns - 3600 * 10**9  # a future mtime vouches for nothing
        os.utime(article, ns=(touched_at, touched_at))
        analysed = _counting_analysis(monkeypatch)
        touched = pipeline.ingest_paths([article], store, workers=1, segmenter="syllable")
        assert (touched.unchanged_count, analysed, hashed) == (1, [], [article])
        assert store.recorded_file(str(article)).mtime_ns == touched_at  # the new stat is recorded
        again = pipeline.ingest_paths([article], store, workers=1, segmenter="syllable")
        assert (again.unchanged_count, analysed, hashed) == (1, [], [article])  # not even hashed


def test_a_file_changed_moments_before_it_was_read_is_hashed_next_time(tmp_path, monkeypatch):
    """Its stat cannot vouch for its content: a write within the same timestamp tick after
    reading would not show in it (git's "racily clean" files)."""
    article = shutil.copy(EXAMPLES / "000_276604fbab095470.txt", tmp_path / "bài.txt")
    hashed: list[Path] = []
    hash_file = ingest.hash_file
    monkeypatch.setattr(ingest, "hash_file", lambda path: hashed.append(path) or hash_file(path))
    with Store(tmp_path / "x.db") as store:
        pipeline.ingest_paths([article], store, workers=1, segmenter="syllable")
        assert store.recorded_file(str(article)).mtime_ns is None
        report = pipeline.ingest_paths([article], store, workers=1, segmenter="syllable")
    assert (report.unchanged_count, hashed) == (1, [article])


def test_a_page_without_sentence_punctuation_is_stored_cut_with_a_warning():
    seed = (EXAMPLES / "000_276604fbab095470.txt").read_text("utf-8")
    title, _, body = seed.partition("\n")
    words = [w.strip('"“”‘’«»()[].,;:!?…-–—') for w in body.split()[20:]]
    unpunctuated = " ".join(w for w in words if w)  # 5,397 characters, one paragraph
    problems = []
    [article] = pipeline.process([RawDocument("x.txt", f"{title}\n\n{unpunctuated}")], problems, "syllable")
    assert [(p.code, p.severity, p.message) for p in problems] == [
        (
            "overlong-sentences",
            "warning",
            "1 sentence longer than 2,000 characters (missing sentence punctuation?)"
            " stored cut at clause marks",
        )
    ]
    # no clause mark: cut between words, as greedily as textwrap.wrap(…, 2000) packs them
    assert [len(s.text) for s in article.sentences] == [1998, 1999, 1398]


def test_ordinary_articles_get_no_overlong_sentence_warning():
    problems = []
    raw = [doc for path in sorted(EXAMPLES.glob("*.txt")) for doc in ingest.read_file(path).documents]
    assert len(pipeline.process(raw, problems, "syllable")) == 5
    assert problems == []


def test_the_read_ahead_gives_every_result_in_order_and_raises_a_failure_in_the_caller():
    def results():
        yield from ((n, [], []) for n in range(30))
        raise RuntimeError("a worker failed")

    got = []
    with pytest.raises(RuntimeError, match="a worker failed"):
        for files_done, _, _ in pipeline._read_ahead(results(), depth=3):
            got.append(files_done)
    assert got == list(range(30))


def test_closing_the_read_ahead_closes_its_source():
    closed = []

    def results():
        try:
            yield from ((n, [], []) for n in itertools.count())
        finally:
            closed.append(True)

    ahead = pipeline._read_ahead(results(), depth=2)
    assert [next(ahead)[0] for _ in range(5)] == [0, 1, 2, 3, 4]
    ahead.close()
    assert closed == [True]
