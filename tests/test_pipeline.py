from conftest import EXAMPLES

from nienbieu import pipeline
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
