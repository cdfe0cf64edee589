import json
import shutil
from pathlib import Path

from conftest import EXAMPLES
from hypothesis import given, settings
from hypothesis import strategies as st
from test_crash import _row

from nienbieu import clean, ingest, pipeline
from nienbieu.models import RawDocument
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
    """A JSONL export of `_row` articles, lines numbered from 1 replaced by `bad`."""
    lines = [bad.get(n, json.dumps(_row(n), ensure_ascii=False).encode()) for n in range(1, rows + 1)]
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
    pulled = []
    pieces = ingest.pieces

    def counted(path):
        for piece in pieces(path):
            pulled.append(piece.line)
            yield piece

    monkeypatch.setattr(ingest, "pieces", counted)
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
