from datetime import date, datetime

import pytest
from conftest import roll_back
from hypothesis import given
from hypothesis import strategies as st

from nienbieu import pipeline, search
from nienbieu.models import Article, DateProvenance, Paragraph
from nienbieu.store import Store


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Đà Nẵng", "da nang"),
        ("NATO Mỹ", "nato my"),
        ("Hà Nội", "ha noi"),
        ("Nguyễn Thị Thu", "nguyen thi thu"),
        ("Ưu tiên ở Huế", "uu tien o hue"),
        ("Straße 18/2", "straße 18/2"),
    ],
)
def test_fold(text, folded):
    assert search.fold(text) == folded


@given(st.text())
def test_fold_keeps_one_character_per_character(text):
    assert len(search.fold(text)) == len(text)


def test_query_words_and_phrases():
    q = search.Query.parse('nato "Đại Tây Dương" Mỹ')
    assert q.phrases == (("nato",), ("Đại", "Tây", "Dương"), ("Mỹ",))
    assert q.fts("folded", True) == 'folded : ("nato" "dai tay duong" "my")'
    assert q.fts("text", False) == 'text : ("nato" "đại tây dương" "mỹ")'
    assert search.Query.parse('" ( ) *').phrases == ()


def _article(number: int, published: str, outlet: str, *paragraphs: str) -> Article:
    a = Article(
        id=f"a{number}",
        source=f"{number}.txt",
        body=[Paragraph(p) for p in paragraphs],
        outlet=outlet,
        published=datetime.fromisoformat(published),
        published_provenance=DateProvenance.STATED,
    )
    return pipeline.analyze(a, segmenter="syllable")


@pytest.fixture()
def store(tmp_path):
    with Store(tmp_path / "s.db") as s:
        s.add(
            [
                _article(1, "2021-02-19T08:00:00", "VTV", "Quan hệ NATO Mỹ được thiết lập lại sau hội nghị."),
                _article(2, "2021-12-10T08:00:00", "VTC News", "Ông My nói về NATO tại Hà Nội."),
                _article(
                    3, "2023-06-14T08:00:00", "VnExpress", "Hội nghị xuyên Đại Tây Dương diễn ra ở Vilnius."
                ),
            ]
        )
        yield s


def test_diacritic_insensitive_with_exact_spelling_first(store):
    hits = store.search("nato my")  # typed without marks: "Ông My" is the exact match
    assert [(h.article_id, h.exact) for h in hits] == [("a2", True), ("a1", False)]
    hits = store.search("NATO Mỹ")
    assert [(h.article_id, h.exact) for h in hits] == [("a1", True), ("a2", False)]


def test_phrase_query_needs_the_words_together(store):
    assert [h.article_id for h in store.search('"dai tay duong"')] == ["a3"]
    assert store.search('"tay dai duong"') == []


def test_matching_articles_are_every_article_search_finds(store):
    assert search.matching_articles(store.conn, "nato my") == {"a1", "a2"}
    # only with the diacritics as typed: "My" is not "Mỹ"
    assert search.matching_articles(store.conn, "nato my", folded=False) == {"a2"}
    assert search.matching_articles(store.conn, "NATO Mỹ", folded=False) == {"a1"}
    assert search.matching_articles(store.conn, '"dai tay duong" vilnius') == {"a3"}
    assert search.matching_articles(store.conn, '"tay dai duong"') == set()
    assert search.matching_articles(store.conn, '" ( )') == set()


def test_snippet_highlights_the_original_spelling(store):
    [hit] = store.search('"dai tay duong"')
    assert hit.snippet() == "Hội nghị xuyên **Đại Tây Dương** diễn ra ở Vilnius."


def test_filters_by_date_outlet_and_entity(store):
    assert [h.article_id for h in store.search("nato", search.Filters(start=date(2021, 3, 1)))] == ["a2"]
    assert [h.article_id for h in store.search("nato", search.Filters(end=date(2021, 2, 19)))] == ["a1"]
    assert [h.article_id for h in store.search("nato", search.Filters(outlet="vtc"))] == ["a2"]
    assert [h.article_id for h in store.search("hoi nghi", search.Filters(entity="vilnius"))] == ["a3"]


def test_date_filters_at_the_ends_of_the_calendar_exclude_nothing(store):
    # "--to 9999-12-31" once asked SQLite for the day after the last one and raised OverflowError
    wide = search.Filters(start=date.min, end=date.max)
    assert sorted(h.article_id for h in store.search("nato", wide)) == ["a1", "a2"]


def test_replaced_and_deleted_sentences_leave_the_index(store):
    store.conn.execute("DELETE FROM articles WHERE id = 'a3'")
    assert store.search("Vilnius") == []
    assert store.conn.execute("SELECT count(*) FROM sentences_fts").fetchone()[0] == 2


def test_a_store_from_before_search_is_indexed_on_upgrade(tmp_path, seeds):
    path = tmp_path / "v4.db"
    with Store(path) as s:
        s.add([seeds["vtv"]])
    roll_back(path, 4)
    with Store(path) as s:
        assert [h.article_id for h in s.search("Stoltenberg")][:1] == [seeds["vtv"].id]
        assert [h.article_id for h in s.search('"thiết lập lại"') if h.is_title] == [seeds["vtv"].id]


def test_long_sentences_are_cut_at_words_around_the_match():
    text = "Mở đầu " + "rất dài " * 40 + "rồi NATO họp ở Brussels " + "và kết thúc " * 30
    hit = search.Hit(
        "a", 0, text, None, None, None, True, 0.0, search.highlights(text, search.Query.parse("nato"))
    )
    snippet = hit.snippet(width=80)
    assert snippet.startswith("…dài ") and "**NATO**" in snippet and snippet.endswith("…")


def test_words_in_too_many_sentences_list_the_newest_matches_unranked(store, monkeypatch):
    monkeypatch.setattr(search, "RANKED_MATCHES", 1)  # "nato" is in 2 sentences: too common now
    assert [h.article_id for h in store.search("nato")] == ["a2", "a1"]  # stored last, listed first
    assert [h.article_id for h in store.search("vilnius")] == ["a3"]  # 1 match: still ranked


def test_titles_match_first_and_copies_are_one_hit(tmp_path):
    from test_dedup import SYNDICATED, write_jsonl

    with Store(tmp_path / "c.db") as s:
        pipeline.ingest_paths([write_jsonl(tmp_path / "a.jsonl", SYNDICATED)], s)
        ids = {a.outlet: a.id for a in s.articles()}
        hits = s.search("stoltenberg cam on")
        assert [(h.article_id, h.is_title, h.also) for h in hits] == [(ids["VTV"], False, [ids["VTC"]])]
        assert (
            hits[0].snippet()
            == "Ông **Stoltenberg** **cảm** **ơn** Mỹ vì sự lãnh đạo trong liên minh suốt thời gian qua."
        )
        # every article, copies too (as stored)
        assert search.matching_articles(s.conn, "stoltenberg cam on") == {ids["VTV"], ids["VTC"]}
        assert search.matching_articles(s.conn, "tiep") == {ids["VTC"]}  # the copy's title and headline
        titles = [(h.text, h.is_title) for h in s.search("Stoltenberg")][:2]
        assert titles == [("Stoltenberg gặp Biden", True), ("Biden tiếp Stoltenberg", True)]
        assert search.rows_for(s.search("tiếp"))[0] | {"score": 0} == {
            "article_id": ids["VTC"],
            "sentence_index": search.TITLE,
            "text": "Biden tiếp Stoltenberg",
            "snippet": "Biden **tiếp** Stoltenberg",
            "highlights": [(6, 10)],
            "title": "Biden tiếp Stoltenberg",
            "outlet": "VTC",
            "published": "2023-06-14T07:00:00",
            "exact": True,
            "score": 0,
            "in_title": True,
            "also": [],
        }
