import dataclasses
import json
from datetime import date
from pathlib import Path

import pytest

from nienbieu import evaluation

GOLD_DIR = Path(__file__).resolve().parent.parent / "eval" / "timex"


def _row(text, dct, *spans):
    timexes = []
    for surface, type_, value in spans:
        start = text.index(surface)
        timexes.append(
            {"start": start, "end": start + len(surface), "text": surface, "type": type_, "value": value}
        )
    return {"id": text[:10], "text": text, "dct": dct, "timexes": timexes}


def _write(tmp_path, rows):
    path = tmp_path / "gold.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return path


def test_reading_checks_offsets_against_the_text(tmp_path):
    row = _row("Hôm qua ông nói.", "2021-02-19", ("Hôm qua", "DATE", "2021-02-18"))
    row["timexes"][0]["end"] = 5
    with pytest.raises(evaluation.GoldFormatError, match=r"gold.jsonl:1: offsets 0-5"):
        evaluation.read_timex_gold(_write(tmp_path, [row]))


def test_strict_relaxed_and_value_scores(tmp_path):
    rows = [
        # exact span and value
        _row("Hôm qua ông nói.", "2021-02-19", ("Hôm qua", "DATE", "2021-02-18")),
        # span differs from gold ("hồi" is outside the gold span): relaxed match only
        _row("Ông đến vào tháng 9 năm 2020 và về.", None, ("tháng 9", "DATE", "2020-09")),
        # a wrong gold value: strict match, value wrong
        _row("ngày 6/12 ông nói", "2016-12-07", ("ngày 6/12", "DATE", "2015-12-06")),
        # nothing to find
        _row("Ông 80 tuổi.", "2016-12-07"),
    ]
    scores = evaluation.score_timex(evaluation.read_timex_gold(_write(tmp_path, rows)))
    assert (scores.strict.tp, scores.strict.predicted, scores.strict.gold) == (2, 3, 3)
    assert (scores.relaxed.tp, scores.relaxed.predicted, scores.relaxed.gold) == (3, 3, 3)
    assert scores.value_correct == 1
    assert round(scores.strict.f1, 4) == 0.6667
    assert [e["kind"] for e in scores.errors] == ["spurious-or-span", "missed", "value"]


def test_relaxed_matching_is_one_to_one():
    sentence = evaluation.GoldSentence(
        "x",
        "ngày 11 và 12 tháng 7",
        date(2023, 6, 14),
        [evaluation.GoldTimex(0, 21, "ngày 11 và 12 tháng 7", "DATE", None)],
    )
    scores = evaluation.TimexScores()
    predicted = [
        evaluation.GoldTimex(0, 7, "ngày 11", "DATE", None),
        evaluation.GoldTimex(11, 21, "12 tháng 7", "DATE", None),
    ]
    evaluation._score_sentence(scores, sentence, predicted)
    assert (scores.relaxed.tp, scores.relaxed.recall) == (1, 1.0)


@pytest.mark.parametrize("name", ["mds-dev", "synthetic-dev"])
def test_development_sets_stay_above_the_quality_bar(name):
    # These sets were used to develop the rules (the *-test ones were not); a drop here is
    # a regression, not noise.
    scores = evaluation.score_timex(evaluation.read_timex_gold(GOLD_DIR / f"{name}.jsonl"))
    assert scores.strict.f1 >= 0.95
    assert scores.value_accuracy >= 0.95


def test_every_gold_file_is_valid_and_the_test_sets_hold_enough_expressions():
    counts = {
        p.stem: sum(len(s.timexes) for s in evaluation.read_timex_gold(p)) for p in GOLD_DIR.glob("*.jsonl")
    }
    assert counts == {"mds-dev": 86, "mds-test": 72, "synthetic-dev": 105, "synthetic-test": 98}


# --- quotations -----------------------------------------------------------------------


def _quote(body, text, kind="direct", speaker="X", pattern="after-verb", article="cluster_1/1", nth=0):
    start = -1
    for _ in range(nth + 1):
        start = body.index(text, start + 1)
    return evaluation.GoldQuote(article, start, start + len(text), text, kind, speaker, "", pattern)


def _found(body, text, speaker):
    start = body.index(text)
    return evaluation.FoundQuote(start, start + len(text), text, speaker)


@pytest.mark.parametrize(
    ("gold", "system", "same"),
    [
        ("Joe Biden", "Biden", True),  # one name's words among the other's
        ("Jens Stoltenberg", "Stoltenberg", True),
        ("Nguyễn Văn Biên", "nguyen van bien", True),  # case and diacritics aside
        ("Hoa Xuân Oánh", "Hua Chunying", False),
        ("Roy Keane", "Sir Alex", False),
        ("Roy Keane", None, False),
        ("UNNAMED", None, True),  # nobody named is the right answer for an unnamed source
        ("UNKNOWN", None, True),
        ("UNNAMED", "Lê Đình Thái Hằng", False),
    ],
)
def test_speakers_are_the_same_name_whatever_its_length_and_accents(gold, system, same):
    assert evaluation.same_speaker(gold, system) is same


def test_spans_match_one_to_one_when_they_share_half_of_the_shorter():
    gold = [
        evaluation.GoldQuote("a", 0, 100, "", "direct", "X", "", "other"),
        evaluation.GoldQuote("a", 110, 120, "", "scare", "NONE", "", "-"),
    ]
    found = [
        evaluation.FoundQuote(40, 140, "", None),  # shares 60 with the first, 10 (all) with the second
        evaluation.FoundQuote(0, 30, "", None),  # shares 30 with the first: half of 30, but taken
        evaluation.FoundQuote(95, 112, "", None),  # shares 2 of its 17 with the second: too little
    ]
    assert evaluation.match_quotes(found, gold) == {0: 0}
    # without the long one, the short one gets the first gold span
    assert evaluation.match_quotes(found[1:], gold) == {0: 0}


def test_scores_of_a_hand_made_article():
    body = (
        'Ông Kerry cho biết: "Mỹ sẽ không rút quân khỏi khu vực này". '
        "Nga gọi đó là một “thiên đường” của “bọn khủng bố quốc tế”. "
        "“Chúng tôi sẽ đáp trả thích đáng”, một quan chức giấu tên nói."
    )
    gold = [
        _quote(body, "Mỹ sẽ không rút quân khỏi khu vực này", speaker="John Kerry", pattern="before-colon"),
        _quote(body, "thiên đường", kind="scare", speaker="NONE", pattern="-"),
        _quote(body, "bọn khủng bố quốc tế", kind="partial", speaker="Nga", pattern="in-clause"),
        _quote(body, "Chúng tôi sẽ đáp trả thích đáng", speaker="UNNAMED", pattern="unnamed"),
    ]
    found = [
        _found(body, "Mỹ sẽ không rút quân khỏi khu vực này", "Kerry"),  # right
        _found(body, "thiên đường", "Kerry"),  # a scare quote attributed
        _found(body, "Chúng tôi sẽ đáp trả thích đáng", "Kerry"),  # found, but the source is unnamed
        _found(body, "Ông Kerry cho biết", None),  # nothing of the kind
    ]
    scores = evaluation.score_quotes([evaluation.QuoteArticle("cluster_1/1", body, gold, found)])
    assert (scores.detection.tp, scores.detection.predicted, scores.detection.gold) == (2, 4, 3)
    assert (scores.attribution.tp, scores.attribution.predicted, scores.attribution.gold) == (1, 4, 3)
    assert scores.speaker_accuracy == 0.5
    assert round(scores.attribution.f1, 4) == round(2 * (1 / 4) * (1 / 3) / (1 / 4 + 1 / 3), 4) == 0.2857
    assert (scores.reported["scare"], scores.attributed["scare"]) == (1, 1)
    assert scores.by_pattern["before-colon"].as_dict()["attribution_recall"] == 1.0
    assert (scores.by_pattern["unnamed"].detected, scores.by_pattern["unnamed"].correct) == (1, 0)
    assert scores.by_pattern["in-clause"].detected == 0
    kinds = [(e["kind"], e.get("pattern")) for e in scores.errors]
    assert kinds == [
        ("scare-reported", None),
        ("speaker", "unnamed"),
        ("spurious", None),
        ("missed", "in-clause"),
    ]


def test_candidate_spans_of_the_baseline_take_any_double_marks():
    body = 'Ông nói “đáp trả thích đáng”, gọi là "vùng xám" và "Ý định thực sự của Nhật Bản” rồi “ok”.'
    spans = [body[s:e] for s, e in evaluation.quotation_spans(body)]
    # "ok" is under the 8 characters the product asks for too
    assert spans == ["đáp trả thích đáng", "vùng xám", "Ý định thực sự của Nhật Bản"]


def test_a_respelled_sentence_is_found_in_the_body():
    # cleaning writes tone marks one way ("hòa"), respaces, and may change the kind of mark
    text = "Ông nói:  “Hoà bình là  mục tiêu” ,  rồi đi."
    body = evaluation._Body(text)
    wanted = evaluation._fold('"Hòa bình là mục tiêu"')[0]
    at = body.locate(wanted, 0)
    assert at is not None
    assert text[slice(*body.span(at, len(wanted)))] == "“Hoà bình là  mục tiêu”"
    assert body.locate_span("Hòa bình là mục tiêu", 0) == (11, 32)


def test_gold_offsets_are_checked_against_the_body_files(tmp_path):
    (tmp_path / "cluster_1").mkdir()
    (tmp_path / "cluster_1" / "7.body.txt").write_text("Ông nói “hòa bình là mục tiêu”.", encoding="utf-8")
    gold = [evaluation.GoldQuote("cluster_1/7", 9, 20, "hòa bình", "direct", "X", "", "other")]
    with pytest.raises(evaluation.GoldFormatError, match=r"cluster_1/7: offsets 9-20"):
        evaluation.quote_articles(gold, tmp_path)


# A real excerpt: cluster_24/12209436 of the MDS set (VietnamNet, 19/10/2013), with its gold rows.
EXCERPT = (
    "Bộ trưởng Bộ Giao thông Lào Sommad Pholsena bày tỏ sự thất vọng khi ông chờ đợi sự giúp đỡ hơn nữa "
    'tại hiện trường vụ tai nạn. "Thật khó để tìm kiếm các thi thể dưới nước," ông Sommad nói với các '
    "phóng viên. Trước đó, Bộ trưởng Bộ Giao thông Thái Lan Chadchart Sittipunt cho biết Hải quân Thái ban "
    "đầu đã cử các thợ lặn tới hỗ trợ nhưng công việc của họ trở nên rất phức tạp bởi dòng chảy mạnh, "
    "nước sâu tới 10m và tầm nhìn kém trong con sông đục ngầu. Ông cũng nói rằng các tàu đánh cá bằng "
    "lưới rà của Hải quân cũng được gửi đến tiếp viện vào hôm 18/10 để quét toàn bộ dòng sông với những "
    "chiếc lưới khổng lồ nhằm định vị thân máy bay, cùng với một nhóm bác sĩ pháp y để giúp xác định các "
    'nạn nhân. "Chúng tôi nghĩ rằng máy bay đã bị gãy làm đôi. Phần đuôi của máy bay có chứa hộp đen," '
    "ông Chadchart nói trong một cuộc điện đàm sau khi gặp gỡ với người đồng cấp Lào ở Pakse. "
    '"Nhiều thi thể được tin là vẫn mắc kẹt trong máy bay hoặc đang trôi nổi trên sông."'
)
EXCERPT_GOLD = [
    ("Thật khó để tìm kiếm các thi thể dưới nước,", "Sommad Pholsena", "addressee"),
    (
        "Chúng tôi nghĩ rằng máy bay đã bị gãy làm đôi. Phần đuôi của máy bay có chứa hộp đen,",
        "Chadchart Sittipunt",
        "after-verb",
    ),
    (
        "Nhiều thi thể được tin là vẫn mắc kẹt trong máy bay hoặc đang trôi nổi trên sông.",
        "Chadchart Sittipunt",
        "continuation",
    ),
]


def _excerpt_cluster(tmp_path):
    folder = tmp_path / "clusters" / "cluster_24"
    folder.mkdir(parents=True)
    (folder / "12209436.body.txt").write_text(EXCERPT, encoding="utf-8")
    (folder / "12209436.info.txt").write_text(
        "TITLE: Công_tác cứu_hộ máy_bay rơi tại Lào gặp nhiều khó_khăn \nTIME: 19/10/2013 10:35\n",
        encoding="utf-8",
    )
    rows = [
        dataclasses.asdict(_quote(EXCERPT, text, speaker=who, pattern=pattern, article="cluster_24/12209436"))
        | {"note": ""}
        for text, who, pattern in EXCERPT_GOLD
    ]
    gold = tmp_path / "gold.jsonl"
    gold.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return gold, tmp_path / "clusters"


def test_the_product_and_the_baseline_on_a_real_excerpt(tmp_path):
    gold, clusters = _excerpt_cluster(tmp_path)
    articles = evaluation.quote_articles(evaluation.read_quote_gold(gold), clusters)
    systems = evaluation.analyse_quotes(articles, clusters)
    ours, baseline = systems["ours"][0], systems["baseline"][0]
    # the product finds the two quotes with a speech verb beside them, each with its speaker, and
    # the follow-on quotation standing as a sentence of its own, said by the speaker before it
    assert [(EXCERPT[f.start : f.end][:20], f.speaker) for f in ours.found] == [
        ("Thật khó để tìm kiếm", "Sommad"),
        ("Chúng tôi nghĩ rằng ", "Chadchart"),
        ("Nhiều thi thể được t", "Chadchart"),
    ]
    assert ours.unmapped == 0
    scores = evaluation.score_quotes([ours])
    assert (scores.detection.tp, scores.detection.predicted, scores.detection.gold) == (3, 3, 3)
    assert scores.attribution.tp == 3
    assert (scores.by_pattern["continuation"].gold, scores.by_pattern["continuation"].correct) == (1, 1)
    # the baseline takes every span, and the nearest person before each: nobody is named in the
    # sentence before "Chúng tôi nghĩ…", while the follow-on gets the right man by position
    assert [f.speaker for f in baseline.found] == ["Sommad Pholsena", None, "Chadchart"]
    scores = evaluation.score_quotes([baseline])
    assert (scores.detection.tp, scores.attribution.tp) == (3, 2)


def test_the_eval_quotes_command(tmp_path):
    from typer.testing import CliRunner

    from nienbieu.cli import app

    gold, clusters = _excerpt_cluster(tmp_path)
    split = tmp_path / "split.toml"
    split.write_text('dev = ["cluster_24"]\ntest = ["cluster_2"]\n', encoding="utf-8")
    args = ["eval", "quotes", str(gold), "--articles", str(clusters), "--split-file", str(split), "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    scores = json.loads(result.output)
    assert scores["ours"]["attribution"]["f1"] == 1.0  # the follow-on quotation is found too
    assert scores["ours, best guess"]["attribution"]["f1"] == 1.0
    assert scores["baseline"]["attribution"]["f1"] == 0.6667
    result = CliRunner().invoke(app, [*args[:-1], "--part", "train"])
    assert result.exit_code == 1
    assert "no part 'train'" in result.output


# --- word segmentation ------------------------------------------------------------

# The start of sentence dev-3 of UD Vietnamese-VTB (columns as in the file), then a made-up
# multiword-token range and empty node, which are not words of the text.
CONLLU = """# sent_id = dev-3
# text = Họ đưa chúng tôi đến khu vực công trường bên cạnh
1\tHọ\thọ\tNOUN\tN\t_\t2\tnsubj\t_\t_
2\tđưa\tđưa\tVERB\tV\t_\t0\troot\t_\t_
3\tchúng tôi\tchúng tôi\tNOUN\tN\t_\t2\tobj\t_\t_
4\tđến\tđến\tVERB\tV\t_\t2\txcomp\t_\t_
5\tkhu vực\tkhu vực\tNOUN\tN\t_\t4\tobj\t_\t_
6\tcông trường\tcông trường\tNOUN\tN\t_\t5\tnmod\t_\t_
7-8\tbên cạnh\t_\t_\t_\t_\t_\t_\t_\t_
7\tbên\tbên\tNOUN\tN\t_\t5\tnmod\t_\t_
8\tcạnh\tcạnh\tNOUN\tN\t_\t7\tcompound\t_\t_
8.1\tđó\tđó\tPRON\tPRO\t_\t_\t_\t_\t_

1\tHà Nội\tHà Nội\tPROPN\tNNP\t_\t0\troot\t_\t_
"""


def test_conllu_gold_words(tmp_path):
    path = tmp_path / "gold.conllu"
    path.write_text(CONLLU, encoding="utf-8")
    first, second = evaluation.read_conllu_words(path)
    assert first.id == "dev-3" and second.id == "2"
    assert first.words == ("Họ", "đưa", "chúng tôi", "đến", "khu vực", "công trường", "bên", "cạnh")
    assert first.text == "Họ đưa chúng tôi đến khu vực công trường bên cạnh"
    assert second.words == ("Hà Nội",)


def test_conllu_rejects_a_row_without_ten_columns(tmp_path):
    path = tmp_path / "bad.conllu"
    path.write_text("1\tHọ\thọ\n", encoding="utf-8")
    with pytest.raises(evaluation.GoldFormatError, match=r"bad\.conllu:1: 3 columns"):
        evaluation.read_conllu_words(path)


def test_word_scores_count_exact_character_spans():
    gold = evaluation.GoldWords("s", ("Họ", "đưa", "chúng tôi", "khu vực"))
    assert evaluation.word_spans(gold.words) == {(0, 2), (3, 6), (7, 16), (17, 24)}
    # one syllable per word: "chúng tôi" and "khu vực" are missed, their syllables spurious
    predicted = [(0, 2), (3, 6), (7, 12), (13, 16), (17, 20), (21, 24)]
    scores = evaluation.score_words(gold, predicted)
    assert (scores.tp, scores.predicted, scores.gold) == (2, 6, 4)
    assert round(scores.f1, 3) == 0.4


def test_sentences_starting_inside_a_gold_quotation_are_counted_against_in_quote(tmp_path):
    gold, clusters = _excerpt_cluster(tmp_path)
    [(article, analysed)] = evaluation.analysed_clusters(
        evaluation.quote_articles(evaluation.read_quote_gold(gold), clusters), clusters
    )
    # "Phần đuôi của máy bay …" goes on with the quotation opened by "Chúng tôi nghĩ rằng …"
    assert [s.index for s in analysed.sentences if s.in_quote] == [5]
    assert evaluation.quote_states(article, analysed.sentences) == {"tp": 1, "tn": 6}
    analysed.sentences[0].in_quote = True
    analysed.sentences[5].in_quote = False
    assert evaluation.quote_states(article, analysed.sentences) == {"fp": 1, "fn": 1, "tn": 5}
