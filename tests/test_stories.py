import json
import shutil
from datetime import date

import numpy as np
import pytest
from conftest import (
    HA_NAM,
    NGOAITRUONG,
    NHAT_22,
    NHAT_23,
    RUTTE,
    U23,
    U23_16,
    VILNIUS,
    VTC,
    VTV,
    VTV_COPY,
    mds_rows,
    roll_back,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from nienbieu import pipeline, stories
from nienbieu.cli import Exit, app
from nienbieu.store import MIGRATIONS, Store

runner = CliRunner()
EVENTS = [U23 | {U23_16}, {NGOAITRUONG, VTV, RUTTE}, HA_NAM, NHAT_22 | {NHAT_23}, {VILNIUS}, {VTC}]


def _partition(groups: dict[str, int]) -> list[set[str]]:
    by: dict[int, set[str]] = {}
    for article, story in groups.items():
        by.setdefault(story, set()).add(article)
    return sorted(by.values(), key=lambda g: (-len(g), sorted(g)))


def _stored(db) -> dict[str, int]:
    with Store(db, readonly=True) as store:
        return dict(store.conn.execute("SELECT article_id, story_id FROM story_members"))


def test_each_event_of_a_mixed_store_is_one_story_and_copies_follow_their_original(mixed_store):
    assert _partition(_stored(mixed_store)) == _partition({a: i for i, g in enumerate(EVENTS) for a in g})
    with Store(mixed_store, readonly=True) as store:
        rows = {frozenset(store.story_articles(r.id)): r for r in store.story_rows()}
        nato = rows[frozenset({NGOAITRUONG, VTV, RUTTE})]
        assert VTV_COPY not in store.story_articles(nato.id)
        assert (nato.size, nato.copies, nato.first, nato.last) == (3, 1, "2016-10-07", "2025-07-14")
        assert nato.outlets == ["VTV", "Tạp chí NƯỚC ĐỨC"]
        nhat = rows[frozenset(NHAT_22 | {NHAT_23})]
        assert nhat.label == "Nhật Bản – Trung Quốc – Senkaku: Nhật dọa bắn máy bay, Trung Quốc nổi giận"
        assert [r.size for r in store.story_rows()] == [4, 3, 3, 3, 1, 1]  # biggest first


def test_in_memory_and_stored_assignment_agree(mixed_store):
    with Store(mixed_store, readonly=True) as store:
        articles, every = store.articles(canonical_only=True), store.articles()
    assert _partition(stories.cluster(articles, corpus=every)) == _partition(_stored(mixed_store))


def test_a_new_article_joins_its_stored_story_and_nothing_is_regrouped(tmp_path):
    rows = mds_rows("cluster_10") + mds_rows("cluster_100")
    first = [r for r in rows if not r["published"].startswith(("2013-10-23", "2013-10-16"))]
    later = [r for r in rows if r not in first]
    (tmp_path / "a.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in first), "utf-8"
    )
    (tmp_path / "b.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in later), "utf-8"
    )
    with Store(tmp_path / "s.db") as store:
        pipeline.ingest_paths([tmp_path / "a.jsonl"], store, workers=1, segmenter="syllable")
        before = _stored(tmp_path / "s.db")
        pipeline.ingest_paths([tmp_path / "b.jsonl"], store, workers=1, segmenter="syllable")
    after = _stored(tmp_path / "s.db")
    assert {a: after[a] for a in before} == before  # stored stories stay as they were
    assert after[NHAT_23] == after[next(iter(NHAT_22))] and after[U23_16] == after[next(iter(U23))]
    assert len(set(after.values())) == 2


def test_a_store_from_before_stories_gets_them_on_opening(mixed_store, tmp_path):
    old = tmp_path / "v10.db"
    shutil.copy(mixed_store, old)
    roll_back(old, 10)
    with Store(old) as store:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert _partition(_stored(old)) == _partition(_stored(mixed_store))


def test_an_edited_file_leaves_its_story_and_an_empty_story_goes(tmp_path):
    page = tmp_path / "tin.txt"
    page.write_text("Thượng đỉnh NATO\n\nNgày 11/7/2023, NATO họp thượng đỉnh tại Vilnius.", encoding="utf-8")
    with Store(tmp_path / "s.db") as store:
        pipeline.ingest_paths([page], store, segmenter="syllable")
        [old] = store.story_rows()
        page.write_text("Bão số 5\n\nNgày 12/9/2023, bão số 5 đổ bộ vào Quảng Bình.", encoding="utf-8")
        pipeline.ingest_paths([page], store, segmenter="syllable")
        [new] = store.story_rows()
    assert new.id != old.id and new.label == "Quảng Bình: Bão số 5"


# --- the command line ---------------------------------------------------------------------------


def _stories_json(db, *options: str) -> list[dict]:
    result = runner.invoke(app, ["stories", "--db", str(db), "--json", *options])
    assert result.exit_code == Exit.OK, result.output
    return json.loads(result.stdout)


def test_stories_lists_every_story_with_its_days_and_filters(mixed_store):
    listed = _stories_json(mixed_store)
    assert [(r["articles"], r["copies"], r["first"], r["last"]) for r in listed] == [
        (4, 0, "2013-10-15", "2013-10-16"),
        (3, 1, "2016-10-07", "2025-07-14"),
        (3, 0, "2013-11-01", "2013-11-01"),
        (3, 0, "2013-10-22", "2013-10-23"),
        (1, 0, "2022-04-05", "2022-04-05"),
        (1, 0, "2021-12-10", "2021-12-10"),
    ]
    assert [r["articles"] for r in _stories_json(mixed_store, "--min-articles", "3")] == [4, 3, 3, 3]
    recent = _stories_json(mixed_store, "--from", "2021-01-01", "--to", "2021-12-31")
    assert [(r["first"], r["last"]) for r in recent] == [
        ("2016-10-07", "2025-07-14"),
        ("2021-12-10", "2021-12-10"),
    ]


def test_the_timeline_of_a_story_cites_only_its_articles_and_names(mixed_store):
    nhat = next(r for r in _stories_json(mixed_store) if r["first"] == "2013-10-22")
    result = runner.invoke(
        app, ["timeline", "--db", str(mixed_store), "--story", str(nhat["id"]), "-f", "json"]
    )
    assert result.exit_code == Exit.OK and result.stderr == ""
    entries = json.loads(result.stdout)["timeline"]
    cited = {
        c["article_id"] for e in entries for c in [*e["citations"], *(q["citation"] for q in e["quotes"])]
    }
    assert cited <= NHAT_22 | {NHAT_23} and cited
    assert "Myanmar" not in {name for e in entries for name in e["entities"]}


def test_without_a_scope_a_timeline_tells_the_biggest_story_and_names_the_others(mixed_store):
    listed = _stories_json(mixed_store)
    result = runner.invoke(app, ["brief", "--db", str(mixed_store), "-f", "json"])
    said = " ".join(result.stderr.split())
    assert said.startswith(
        f"6 stories in {mixed_store}: this is story {listed[0]['id']}, the biggest (4 articles)"
    )
    assert f"{listed[1]['id']}: {listed[1]['label']} (3)" in said and "Pick one with --story ID" in said
    cited = {s["citation"]["article_id"] for s in json.loads(result.stdout)["sentences"]}
    assert cited <= U23 | {U23_16}


def test_an_unknown_story_is_an_empty_scope(mixed_store):
    result = runner.invoke(app, ["timeline", "--db", str(mixed_store), "--story", "999"])
    assert (result.exit_code, result.stderr) == (Exit.EMPTY, "no article matches --story 999\n")


def test_stories_on_an_empty_store_exit_4(tmp_path):
    Store(tmp_path / "e.db").close()
    assert runner.invoke(app, ["stories", "--db", str(tmp_path / "e.db")]).exit_code == Exit.EMPTY


def test_story_spans_use_days(mixed_store):
    with Store(mixed_store, readonly=True) as store:
        [u23] = [r for r in store.story_rows() if r.size == 4]
    assert date.fromisoformat(u23.last) - date.fromisoformat(u23.first) == date(2013, 10, 16) - date(
        2013, 10, 15
    )


def test_the_rows_of_given_stories_are_those_of_all_rows_in_the_same_order(mixed_store):
    with Store(mixed_store, readonly=True) as store:
        every = store.story_rows()
        nato = next(r for r in every if r.outlets == ["VTV", "Tạp chí NƯỚC ĐỨC"])
        assert store.story_rows([every[-1].id, nato.id, every[0].id]) == [every[0], nato, every[-1]]
        assert store.story_rows([nato.id])[0].copies == 1  # its copy's outlet and count come too
        assert store.story_rows([]) == []


def test_a_story_s_mean_cosine_is_the_mean_of_its_members_cosines(seeds):
    from nienbieu import summarize
    from nienbieu.dating import CorpusTerms

    articles = list(seeds.values())
    corpus = CorpusTerms.build(articles, [a.id for a in articles])
    # the reference: summarize's TF-IDF dicts and cosine
    reference = {a.id: summarize.weigh(corpus.by_article[a.id], corpus.df_all, 5) for a in articles}
    vectors = stories._Vectors(stories.vectors_of(corpus))
    own, members = articles[0].id, [a.id for a in articles[1:]]
    vectors.articles.of([own])
    cosines = [summarize.cosine(reference[own], reference[m]) for m in members]
    assert vectors.mean_cosine(own, 7, members) == pytest.approx(sum(cosines) / 4, abs=1e-12)
    assert vectors.mean_cosine(own, 7, []) is None
    vectors.articles.packed["empty"] = (np.empty(0, np.int32), np.empty(0))  # no content term
    assert vectors.mean_cosine(own, 8, ["empty"]) == 0.0


def test_vectors_dropped_past_the_cache_bound_give_the_same_stories(mixed_store, monkeypatch):
    with Store(mixed_store) as store:
        articles = store.articles(canonical_only=True)
    expected = _partition(stories.cluster(articles))
    monkeypatch.setattr(stories, "CACHED_VECTORS", 3)  # dropped before nearly every article
    assert _partition(stories.cluster(articles)) == expected
    assert len(expected) > 3


_DAYS = st.one_of(st.none(), st.dates(min_value=date(2020, 1, 1), max_value=date(2020, 3, 1)))


@settings(max_examples=300, deadline=None)
@given(st.lists(_DAYS, max_size=40), st.dates(min_value=date(2019, 12, 1), max_value=date(2020, 4, 1)),
       st.integers(1, 25))  # fmt: skip
def test_a_story_s_nearest_members_are_those_of_sorting_them_all(days, day, n):
    story = stories.Story(0)
    for number, member_day in enumerate(days):
        story.add(f"a{number % 7}{number}", member_day)
    everyone = sorted(story.members, key=lambda m: (abs(((m[1] or day) - day).days), m[0]))
    assert story.nearest(day, n) == [m for m, _ in everyone[:n]]
    assert story.nearest(None, n) == [m for m, _ in story.members[-n:]]
