from nienbieu import summarize
from nienbieu.models import Article, Sentence


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


def test_sparse_and_dense_vectors_give_the_same_cosines():
    texts = ["NATO họp ở Brussels.", "NATO họp bàn ngân sách ở Brussels.", "Nga tấn công Ukraine."]
    dense = summarize.vectorize(texts)
    rows, df = summarize.sparse_vectors(texts)
    assert df["nato"] == 2 and df["ukraine"] == 1
    assert round(summarize.cosine(rows[0], rows[1]), 5) == round(float(dense[0] @ dense[1]), 5)
    assert summarize.cosine(rows[0], rows[2]) == 0.0


def test_rank_puts_a_central_lead_first_and_leaves_out_repeats():
    def art(i, *sentences):
        return Article(str(i), "t", [], sentences=[Sentence(n, s, 0) for n, s in enumerate(sentences)])

    lead = "Mỹ và NATO nhất trí tăng ngân sách quốc phòng tại hội nghị ở Brussels hôm nay."
    articles = [
        art(1, lead, "Thời tiết ở Brussels hôm đó có mưa nhỏ và gió nhẹ suốt buổi chiều."),
        art(2, lead + " ", "Các bộ trưởng NATO sẽ gặp lại nhau vào tháng sau để bàn ngân sách."),
    ]
    ranked = [(a.id, s.index) for a, s in summarize.rank(articles)]
    assert ranked[0] in (("1", 0), ("2", 0))
    assert not {("1", 0), ("2", 0)} <= set(ranked)  # the same lead twice is one line


def test_rank_compares_at_most_brief_pool_sentences_the_best_placed_first(monkeypatch):
    # one article of 2,500 one-line sentences: comparing them all is quadratic (a page of 50,000
    # crashed at 7.7 GiB)
    texts = [
        f"Ngày {i % 28 + 1} các bộ trưởng NATO họp bàn về ngân sách quốc phòng chung." for i in range(2500)
    ]
    article = Article(id="a1", source="x.txt", body=[])
    article.sentences = [Sentence(i, t, i, article_id="a1") for i, t in enumerate(texts)]
    compared = []
    vectorize = summarize.vectorize
    monkeypatch.setattr(summarize, "vectorize", lambda rows: compared.append(rows) or vectorize(rows))
    ranked = summarize.rank([article])
    assert compared == [texts[:1000]]  # BRIEF_POOL; same shape: the earliest are the best placed
    assert ranked[0][1].index == 0
