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
