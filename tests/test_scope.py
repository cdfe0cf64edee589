from datetime import date, datetime

import pytest
from conftest import HA_NAM, NGOAITRUONG, NHAT_22, NHAT_23, RUTTE, U23, U23_16, VILNIUS, VTC, VTV, VTV_COPY

from nienbieu import entities, pipeline
from nienbieu.models import Article, DateProvenance, Paragraph
from nienbieu.nlp import fold
from nienbieu.scope import EmptyScope, Scope, articles_in, ids_in
from nienbieu.store import NameIndex, Store


@pytest.fixture()
def store(mixed_store):
    with Store(mixed_store, readonly=True) as s:
        yield s


def test_the_mixed_store_is_what_the_tests_below_assume(store):
    canonical = {a.id for a in store.articles(canonical_only=True)}
    assert canonical == {*U23, U23_16, *NHAT_22, NHAT_23, *HA_NAM, NGOAITRUONG, VTV, VTC, VILNIUS, RUTTE}
    assert store.duplicates() == {VTV: [VTV_COPY]}
    inferred = {a.id: a.published.year for a in store.articles() if a.published_provenance == "inferred"}
    assert inferred == {NGOAITRUONG: 2016, VILNIUS: 2022, RUTTE: 2025}


def test_no_filter_is_the_whole_store(store):
    assert ids_in(store, Scope()) is None
    assert len(articles_in(store, Scope())) == 15  # every canonical article


@pytest.mark.parametrize("query", ["nato my", "NATO Mỹ"])
def test_query_with_or_without_diacritics(store, query):
    # the words may stand anywhere in the title or the sentences, as `search` finds them
    assert ids_in(store, Scope(query=query)) == {NGOAITRUONG, VTV, VTC, RUTTE}


def test_query_phrase_without_diacritics(store):
    assert ids_in(store, Scope(query='"dai tay duong"')) == {VTV, VILNIUS, RUTTE}
    assert ids_in(store, Scope(query='"duong tay dai"')) == set()


def test_query_selects_every_matching_article_not_the_top_hits(store):
    # "nam" ("năm", "Nam", "nằm", …) is in 13 of the 15 articles; `search` shows the best 20
    # sentences, from 7 of them
    assert len({hit.article_id for hit in store.search("nam")}) == 7
    everything = {a.id for a in store.articles(canonical_only=True)}
    assert ids_in(store, Scope(query="nam")) == everything - NHAT_22


def test_a_copy_that_matches_brings_in_its_canonical_article(store):
    # only the copy names TTXVN; the canonical article stands in for it, the copy stays out
    assert ids_in(store, Scope(query="ttxvn")) == {VTV}
    assert [a.id for a in articles_in(store, Scope(query="ttxvn"))] == [VTV]


@pytest.mark.parametrize(
    ("entity", "expected"),
    [
        # an alias the gazetteer knows: "Nhật" is Nhật Bản, named so in one more article
        ("Nhật", {*NHAT_22, NHAT_23}),
        # "Hoa Kỳ" is written in one article only; the others say "Mỹ" (or "mỹ")
        ("Hoa Kỳ", {NHAT_23, NGOAITRUONG, VTV, VTC, VILNIUS, RUTTE}),
        ("hoa ky", {NHAT_23, NGOAITRUONG, VTV, VTC, VILNIUS, RUTTE}),
        # a person's short name is the full name the corpus gives it, and back
        ("Stoltenberg", {NGOAITRUONG, VTV, VILNIUS}),
        ("jens stoltenberg", {NGOAITRUONG, VTV, VILNIUS}),
        ("Biden", {VTV, VTC, VILNIUS}),  # "Joe Biden" in VILNIUS only
        ("VN", {*U23, U23_16}),
        ("Hà Nam", HA_NAM),
        ("Ha Nam", HA_NAM),
        ("Không Ai", set()),
    ],
)
def test_entity_by_any_of_its_names(store, entity, expected):
    assert ids_in(store, Scope(entity=entity)) == expected


def test_entity_with_diacritics_matches_them_as_typed(store):
    # "Hà Nậm" folds to "ha nam" as well, but it is not the name typed
    assert ids_in(store, Scope(entity="Hà Nậm")) == set()


def test_entity_counted_in_sql_is_entity_linked_in_python(store):
    # every name of the store, and each without diacritics: the articles SQL counts and selects
    # are those `entities.naming` finds reading every mention of the candidate articles
    names = {m.text for a in store.articles() for s in a.sentences for m in s.mentions}
    typed = sorted(names | {fold(n) for n in names})
    assert len(typed) > 150
    index = NameIndex.read(store.conn)
    indexed = Store(store.path, readonly=True)  # the server's way: the names in memory
    indexed.name_index = lambda: index
    for name in typed:
        words = entities.last_words(name)
        candidates = set().union(*(store.matching_articles(w, folded) for w, folded in words))
        expected = store.canonical(entities.naming(name, store.mentions(candidates)))
        assert ids_in(store, Scope(entity=name)) == ids_in(indexed, Scope(entity=name)) == expected, name
    indexed.close()


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        # both days included; a date is the day the page gives, whatever its time
        (date(2013, 10, 15), date(2013, 10, 22), {*U23, U23_16, *NHAT_22}),
        (date(2013, 10, 16), date(2013, 10, 16), {U23_16}),
        (None, date(2013, 10, 15), U23),
        (date(2013, 10, 23), date(2013, 10, 31), {NHAT_23}),
        # an inferred date counts like a stated one
        (date(2025, 1, 1), None, {RUTTE}),
        (date(2016, 1, 1), date(2021, 2, 19), {NGOAITRUONG, VTV}),
        # the copy of VTV was published on the 20th: the canonical article's date decides
        (date(2021, 2, 20), date(2021, 2, 20), set()),
        (date(2030, 1, 1), None, set()),
    ],
)
def test_publication_range(store, start, end, expected):
    assert ids_in(store, Scope(start=start, end=end)) == expected


def _article(article_id: str, text: str, published: datetime | None) -> Article:
    provenance = DateProvenance.STATED if published else DateProvenance.UNKNOWN
    a = Article(
        article_id,
        f"{article_id}.txt",
        [Paragraph(text)],
        published=published,
        published_provenance=provenance,
    )
    return pipeline.analyze(a, segmenter="syllable")


def test_an_undated_article_is_in_no_dated_scope(tmp_path):
    with Store(tmp_path / "undated.db") as s:
        s.add(
            [
                _article("dated", "NATO họp ở Brussels.", datetime(2021, 2, 18)),
                _article("undated", "NATO họp.", None),
            ]
        )
        assert ids_in(s, Scope(query="nato")) == {"dated", "undated"}
        assert ids_in(s, Scope(query="nato", end=date(2030, 1, 1))) == {"dated"}
        assert ids_in(s, Scope(start=date(2021, 2, 18))) == {"dated"}


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        (Scope(query="Trung Quốc"), {*NHAT_22, NHAT_23, VTV, VILNIUS}),
        (Scope(query="Trung Quốc", start=date(2013, 10, 23), end=date(2021, 12, 31)), {NHAT_23, VTV}),
        (Scope(entity="Mỹ", start=date(2013, 1, 1), end=date(2013, 12, 31)), {NHAT_23}),
        (Scope(query="nato", entity="Biden"), {VTV, VTC, VILNIUS}),
        (Scope(query="nato", entity="Biden", end=date(2021, 12, 31)), {VTV, VTC}),
        (Scope(query="myanmar", entity="Nhật Bản"), set()),
    ],
)
def test_filters_intersect(store, scope, expected):
    assert ids_in(store, scope) == expected


def test_an_empty_scope_names_itself(store):
    scope = Scope(query='"đại tây dương" nato', start=date(2023, 1, 1), end=date(2023, 12, 31))
    with pytest.raises(EmptyScope) as caught:
        articles_in(store, scope)
    assert (
        str(caught.value)
        == 'no article matches --query "\\"đại tây dương\\" nato" --from 2023-01-01 --to 2023-12-31'
    )
    assert caught.value.scope is scope


def test_linked_entities_of_a_scope(store):
    articles, found = pipeline.corpus_entities(store, Scope(entity="Nhật"))
    assert [a.id for a in articles] == ["8daa8163d7f3af85", "d7a9c1d1fcd126ee", NHAT_23]
    nhat = next(e for e in found if e.name == "Nhật Bản")
    assert (nhat.articles, nhat.first, nhat.last) == ({*NHAT_22, NHAT_23}, "2013-10-22", "2013-10-23")
