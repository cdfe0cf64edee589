from conftest import EXAMPLES
from hypothesis import given, settings
from hypothesis import strategies as st

from nienbieu import clean, pipeline
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


def test_two_worker_processes_store_exactly_what_one_does(tmp_path):
    for workers, name in ((1, "one.db"), (2, "two.db")):
        with Store(tmp_path / name) as store:
            report = pipeline.ingest_paths([EXAMPLES], store, workers=workers)
        assert (report.files, len(report.added), report.skipped) == (5, 5, [])
    assert _stored(tmp_path / "one.db") == _stored(tmp_path / "two.db")


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
