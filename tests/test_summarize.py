from nienbieu import summarize
from nienbieu.models import Sentence


def test_brief_respects_the_word_budget_and_cites(seeds):
    b = summarize.brief(list(seeds.values()), words=120)
    assert 0 < sum(len(s.text.split()) for s in b.sentences) <= 120
    ids = {a.id for a in seeds.values()}
    assert {s.citation.article_id for s in b.sentences} <= ids
    assert [c.article_id for c in b.articles] == list(
        dict.fromkeys(s.citation.article_id for s in b.sentences)
    )


def test_brief_is_chronological_for_dated_articles(seeds):
    b = summarize.brief([seeds["vtc"], seeds["vtv"]], words=200)
    published = [s.citation.published for s in b.sentences]
    assert published == sorted(published)


def test_diacritics_are_kept_in_terms():
    assert "hà_nội" in summarize.terms("Hà Nội") and "ha_noi" not in summarize.terms("Hà Nội")


def test_mmr_skips_near_duplicates():
    texts = [
        "NATO họp ở Brussels bàn ngân sách.",
        "NATO họp ở Brussels bàn ngân sách quốc phòng.",
        "Nga tấn công miền đông Ukraine.",
    ]
    matrix = summarize.vectorize(texts)
    chosen = summarize.mmr(summarize.lexrank(matrix), matrix, k=2, max_similarity=0.5)
    assert sorted(chosen) in ([0, 2], [1, 2])


def test_summary_material_rejects_fragments():
    assert not summarize.is_summary_material(Sentence(0, "Liệu kế hoạch có bị hoãn?", 0))
    assert not summarize.is_summary_material(Sentence(0, "Ông nói: “Không thể phủ nhận.", 0))
    assert not summarize.is_summary_material(
        Sentence(1, "Nhưng giờ là lúc nhìn về tương lai.", 0, in_quote=True)
    )
    assert summarize.is_summary_material(Sentence(0, "“Tôi tin vậy,” ông Kerry nói.", 0))
