from nienbieu import timeline


def test_timeline_entries_have_correct_dates_and_sources(seeds):
    entries = timeline.build(list(seeds.values()), dates=12, sentences=2)
    by_date = {e.date: e for e in entries}
    assert "2021-02-18" in by_date
    assert by_date["2021-02-18"].sources == [seeds["vtv"].id]
    assert "ngày 18/2" in by_date["2021-02-18"].sentences[0]
    assert "2025-07-14/2025-07-15" in by_date
    assert by_date["2025-07-14/2025-07-15"].sources == [seeds["rutte"].id]
    assert by_date["2025-07-14/2025-07-15"].planned is True
    assert by_date["2021-12-10"].sources == [seeds["vtc"].id]
    assert [e.date for e in entries] == sorted(e.date for e in entries)


def test_every_sentence_is_quoted_from_its_cited_article(seeds):
    articles = {a.id: a for a in seeds.values()}
    for entry in timeline.build(list(seeds.values()), dates=12, sentences=3):
        for text, cite in zip(entry.sentences, entry.citations, strict=True):
            assert articles[cite.article_id].sentences[cite.sentence_index].text == text


def test_dates_and_sentences_limits(seeds):
    entries = timeline.build(list(seeds.values()), dates=3, sentences=1)
    assert len(entries) == 3 and all(len(e.sentences) == 1 for e in entries)


def test_undated_sentences_of_undated_articles_are_not_placed(seeds):
    dated = timeline.assign([seeds["ngoaitruong"]])
    # only the absolute "đầu năm 2017" can be placed without a publication date
    assert sorted(dated) == ["2017"]


def test_quote_fragments_are_not_summary_lines(seeds):
    lines = [t for e in timeline.build(list(seeds.values()), dates=20, sentences=3) for t in e.sentences]
    assert "Sử dụng NATO nhiều hơn như một nền tảng để tham vấn và phối hợp." not in lines
