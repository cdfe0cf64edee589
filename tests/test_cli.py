import errno
import json
import os
import shutil

import pytest
from conftest import EXAMPLES, HA_NAM, RUTTE, VILNIUS, VTC, VTV
from markdown_it import MarkdownIt
from test_export import FORBIDDEN, HOSTILE, active_content
from typer.testing import CliRunner

from nienbieu import attribution, clean, pipeline
from nienbieu.cli import Exit, app
from nienbieu.models import RawDocument
from nienbieu.store import Store

runner = CliRunner()


def test_ingest_then_timeline(tmp_path):
    db = str(tmp_path / "t.db")
    result = runner.invoke(app, ["ingest", str(EXAMPLES), "--db", db])
    assert result.exit_code == Exit.OK
    result = runner.invoke(app, ["timeline", "--db", db, "--dates", "12"])
    assert result.exit_code == Exit.OK
    assert "## 18/02/2021" in result.stdout and "## 14–15/07/2025 *(dự kiến)*" in result.stdout
    assert "VTV, 2021-02-19" in result.stdout


def test_bad_inputs_are_named_and_the_rest_ingests(tmp_path):
    folder = tmp_path / "bài báo"
    shutil.copytree(EXAMPLES, folder)
    (folder / "rỗng.txt").write_bytes(b"")
    (folder / "nhị phân.txt").write_bytes(b"\x00\x01\x02binary\x00" * 50)
    (folder / "latin.txt").write_bytes(bytes([0x81, 0x8D, 0x8F, 0x90]) * 30)
    db = str(tmp_path / "t.db")
    result = runner.invoke(app, ["ingest", str(folder), "--db", db, "--json"])
    assert result.exit_code == Exit.SKIPPED
    report = json.loads(result.stdout)
    assert len(report["added"]) == 5
    problems = {p["source"].rsplit("/", 1)[-1]: p["code"] for p in report["problems"]}
    assert problems == {
        "rỗng.txt": "empty-file",
        "nhị phân.txt": "binary-file",
        "latin.txt": "unknown-encoding",
    }


def test_articles_lists_provenance(tmp_path):
    db = str(tmp_path / "t.db")
    runner.invoke(app, ["ingest", str(EXAMPLES), "--db", db])
    result = runner.invoke(app, ["articles", "--db", db, "--json"])
    rows = {r["outlet"]: r for r in json.loads(result.stdout)}
    assert rows["VTV"]["published"] == "2021-02-19T06:00:00+07:00"
    assert rows["VTV"]["published_provenance"] == "stated"
    rutte = rows["Tạp chí NƯỚC ĐỨC"]
    assert rutte["published_provenance"] == "inferred"
    # "© 2025" and a visit that "sẽ" happen on 14-15/7/2025: written in 2025, before the visit; the
    # window is the posterior's 90% interval widened by the calibrated 306 days on each side
    # (2024-06-04..2026-06-10 when run in 2026; the candidate days end with the run's day)
    start, end = rutte["published_window"]
    assert "2024-05-01" <= start <= "2024-07-01" and "2026-05-01" <= end <= "2026-07-01"
    assert rutte["published"][:10] <= "2025-07-15"


def test_brief_html_to_file(tmp_path):
    db = str(tmp_path / "t.db")
    runner.invoke(app, ["ingest", str(EXAMPLES), "--db", db])
    out = tmp_path / "brief.html"
    result = runner.invoke(app, ["brief", "--db", db, "--format", "html", "-o", str(out)])
    assert result.exit_code == Exit.OK
    assert out.read_text(encoding="utf-8").startswith("<!doctype html>")


def test_empty_store_and_bad_format(tmp_path):
    db = tmp_path / "t.db"
    Store(db).close()
    for command in (["timeline"], ["brief"], ["articles"], ["entities"], ["quotes"], ["search", "nato"]):
        result = runner.invoke(app, [*command, "--db", str(db)])
        assert (result.exit_code, result.stderr) == (Exit.EMPTY, f"no articles in {db}: run `nienbieu ingest "
                                                     f"PATH --db {db}` first\n"), command  # fmt: skip
    assert runner.invoke(app, ["timeline", "--db", str(db), "--format", "pdf"]).exit_code == Exit.USAGE


READ_COMMANDS = (["timeline"], ["brief"], ["articles"], ["entities"], ["quotes"], ["search", "nato"])


def test_read_commands_name_a_missing_store_and_create_nothing(tmp_path):
    db = tmp_path / "tyop.db"
    for command in READ_COMMANDS:
        result = runner.invoke(app, [*command, "--db", str(db)])
        assert result.exit_code == Exit.ERROR, command
        assert result.stderr.startswith(f"error: there is no database at {db}: check --db"), command
        assert not db.exists() and not list(tmp_path.iterdir()), command


def test_corrupt_database_is_an_error_not_a_traceback(tmp_path):
    db = tmp_path / "t.db"
    db.write_bytes(b"this is not sqlite" * 100)
    result = runner.invoke(app, ["articles", "--db", str(db)])
    assert result.exit_code == Exit.ERROR


def test_eval_timex_scores_several_files_together(tmp_path):
    rows = [
        {
            "id": "a",
            "text": "Hôm qua ông nói.",
            "dct": "2021-02-19",
            "timexes": [{"start": 0, "end": 7, "text": "Hôm qua", "type": "DATE", "value": "2021-02-18"}],
        },
        {"id": "b", "text": "Ông 80 tuổi.", "dct": None, "timexes": []},
    ]
    paths = []
    for i, row in enumerate(rows):
        paths.append(tmp_path / f"{i}.jsonl")
        paths[-1].write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["eval", "timex", *map(str, paths), "--json"])
    assert result.exit_code == Exit.OK
    scores = json.loads(result.stdout)
    assert (scores["sentences"], scores["strict"]["f1"], scores["value_accuracy"]) == (2, 1.0, 1.0)


def test_eval_timex_names_the_bad_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "x"}\n', encoding="utf-8")
    result = runner.invoke(app, ["eval", "timex", str(path)])
    assert result.exit_code == Exit.ERROR
    assert "bad.jsonl:1" in result.stderr


def test_eval_summary_keeps_diacritics_and_cuts_the_system_to_the_budget(tmp_path):
    system, ref = tmp_path / "sys.txt", tmp_path / "ref.txt"
    system.write_text("Ha Noi mưa to. Hà Nội ngập nặng sau mưa lớn kéo dài.", encoding="utf-8")
    ref.write_text("Hà Nội ngập nặng.", encoding="utf-8")
    result = runner.invoke(app, ["eval", "summary", str(system), "--ref", str(ref), "--json"])
    scores = json.loads(result.stdout)
    assert scores["rouge-1"]["recall"] == 1.0
    assert scores["rouge-1"]["precision"] == 4 / 13  # "Ha Noi" is not "Hà Nội"
    cut = runner.invoke(app, ["eval", "summary", str(system), "--ref", str(ref), "--words", "4", "--json"])
    assert json.loads(cut.stdout)["rouge-1"]["precision"] == 0.0  # "ha noi mưa to"


def test_eval_timeline_reads_our_export_and_plain_mappings(tmp_path):
    ours, gold = tmp_path / "ours.json", tmp_path / "gold.json"
    ours.write_text(
        json.dumps({"timeline": [{"date": "2023-07-11", "sentences": ["NATO họp ở Vilnius."]}]}),
        encoding="utf-8",
    )
    gold.write_text(
        json.dumps({"2023-07-11": "Hội nghị NATO ở Vilnius.", "2023-07-12": ["Kết thúc."]}), encoding="utf-8"
    )
    result = runner.invoke(app, ["eval", "timeline", str(ours), str(gold), "--json"])
    scores = json.loads(result.stdout)
    assert scores["date"]["precision"] == 1.0 and scores["date"]["recall"] == 0.5
    assert scores["agreement-1"]["precision"] == 3 / 4
    assert list(scores) == [
        *("date", "concat-1", "concat-2", "agreement-1", "agreement-2"),
        *("align-1", "align-2", "align+-1", "align+-2"),
    ]
    # "Kết thúc." (2 syllables) on 07-12 aligns with our 07-11 entry, a day off, and shares nothing
    assert scores["align-1"]["precision"] == 3 / 4 and scores["align-1"]["recall"] == 3 / 7
    table = runner.invoke(app, ["eval", "timeline", str(ours), str(gold)]).stdout
    assert [line.split()[0] for line in table.splitlines()] == list(scores)
    gold.write_text("[1, 2]", encoding="utf-8")
    bad = runner.invoke(app, ["eval", "timeline", str(ours), str(gold)])
    assert bad.exit_code == Exit.ERROR and "entry 1 has no date" in bad.stderr


def test_ingest_with_the_fast_segmenter_on_two_processes(tmp_path):
    db = str(tmp_path / "fast.db")
    result = runner.invoke(app, ["ingest", str(EXAMPLES), "--db", db, "-j", "2", "--segmenter", "syllable"])
    assert result.exit_code == 0, result.output
    listed = runner.invoke(app, ["articles", "--db", db, "--json"])
    assert len(json.loads(listed.stdout)) == 5


def test_ingest_rejects_an_unknown_segmenter(tmp_path):
    result = runner.invoke(
        app, ["ingest", str(EXAMPLES), "--db", str(tmp_path / "x.db"), "--segmenter", "bpe"]
    )
    assert result.exit_code == 2 and "underthesea, syllable" in result.output


def test_search_prints_snippets_and_json(tmp_path):
    db = str(tmp_path / "s.db")
    runner.invoke(app, ["ingest", str(EXAMPLES), "--db", db])
    result = runner.invoke(
        app, ["search", "xuyen dai tay duong", "--db", db, "--from", "2021-01-01", "--json"]
    )
    rows = json.loads(result.stdout)
    assert result.exit_code == 0 and rows and all(r["published"] >= "2021" for r in rows)
    words = ["xuyên", "đại", "tây", "dương"]  # typed without marks: found folded, none is exact
    assert all(all(w in r["text"].lower() for w in words) and r["exact"] is False for r in rows)
    shown = runner.invoke(app, ["search", "Stoltenberg", "--db", db, "-n", "2"])
    assert shown.exit_code == 0 and shown.stdout.count("Stoltenberg") >= 2
    bad = runner.invoke(app, ["search", "nato", "--db", db, "--from", "18/2/2021"])
    assert bad.exit_code == 2


def test_articles_name_the_copies_of_a_syndicated_story(tmp_path):
    from test_dedup import SYNDICATED, write_jsonl

    source = write_jsonl(tmp_path / "a.jsonl", SYNDICATED)
    db = str(tmp_path / "d.db")
    runner.invoke(app, ["ingest", str(source), "--db", db])
    listed = {
        r["outlet"]: r for r in json.loads(runner.invoke(app, ["articles", "--db", db, "--json"]).stdout)
    }
    assert listed["VTV"]["also_published_by"] == [{"id": listed["VTC"]["id"], "outlet": "VTC"}]
    assert listed["VTC"]["copy_of"] == listed["VTV"]["id"]
    table = runner.invoke(app, ["articles", "--db", db]).stdout
    assert "also: VTC" in table and f"copy of {listed['VTV']['id']}" in table


def test_a_200_mb_article_is_refused_unread_a_200_mb_export_is_streamed_and_the_batch_goes_on(tmp_path):
    corpus = tmp_path / "thư mục có dấu"
    shutil.copytree(EXAMPLES, corpus)
    article, export = corpus / "bài 200MB.txt", corpus / "bản xuất 200MB.jsonl"
    for huge in (article, export):
        with huge.open("wb") as f:  # sparse: 200 MB of NUL bytes on paper, nothing on disk
            f.truncate(200 * 2**20)
    result = runner.invoke(app, ["ingest", str(corpus), "--db", str(tmp_path / "h.db"), "--json"])
    report = json.loads(result.stdout)
    assert result.exit_code == Exit.SKIPPED
    # the article by its size; the export by its first bytes, as a line-by-line reader sees them
    assert [(p["source"], p["code"]) for p in report["problems"]] == [
        (str(article), "file-too-large"),
        (str(export), "binary-file"),
    ]
    assert "200 MiB; the limit is 50 MiB" in report["problems"][0]["message"]
    assert (report["files"], len(report["added"])) == (7, 5)


def test_timeline_reflects_articles_added_later_and_redate_reports_changes(tmp_path):
    db, first, later = str(tmp_path / "t.db"), tmp_path / "first", tmp_path / "later"
    first.mkdir(), later.mkdir()
    for n, path in enumerate(sorted(EXAMPLES.glob("*.txt"))):
        shutil.copy(path, (first if n < 2 else later) / path.name)
    assert runner.invoke(app, ["ingest", str(first), "--db", db]).exit_code == Exit.OK
    assert "14–15/07/2025" not in runner.invoke(app, ["timeline", "--db", db]).stdout
    assert runner.invoke(app, ["ingest", str(later), "--db", db]).exit_code == Exit.OK
    assert (
        "## 14–15/07/2025 *(dự kiến)*" in runner.invoke(app, ["timeline", "--db", db, "--dates", "12"]).stdout
    )
    result = runner.invoke(app, ["redate", "--db", db])
    assert result.exit_code == Exit.OK and "inferred publication date" in result.stdout
    assert runner.invoke(app, ["redate", "--db", db]).stdout == "0 inferred publication dates changed\n"
    assert runner.invoke(app, ["redate", "--db", str(tmp_path / "empty.db")]).exit_code == Exit.EMPTY


def test_search_shows_title_hits_and_counts_copies(tmp_path):
    from test_dedup import SYNDICATED, write_jsonl

    db = str(tmp_path / "d.db")
    runner.invoke(app, ["ingest", str(write_jsonl(tmp_path / "a.jsonl", SYNDICATED)), "--db", db])
    ids = {
        r["outlet"]: r["id"]
        for r in json.loads(runner.invoke(app, ["articles", "--db", db, "--json"]).stdout)
    }
    shown = runner.invoke(app, ["search", "vững chắc", "--db", db]).stdout
    assert shown.splitlines() == [
        f"VTV, 2023-06-13, {ids['VTV']} Stoltenberg gặp Biden (and 1 near-duplicate copy)",
        "  Ông Biden khẳng định cam kết của Mỹ với Điều 5 là vững chắc.",
    ]
    titles = runner.invoke(app, ["search", "Biden tiếp", "--db", db]).stdout.splitlines()
    assert titles[:2] == [f"VTC, 2023-06-14, {ids['VTC']} (title)", "  Biden tiếp Stoltenberg"]


def test_an_impossible_stated_date_is_refused_by_name_and_the_batch_goes_on(tmp_path):
    export = tmp_path / "xuất.jsonl"
    rows = [
        {
            "text": (EXAMPLES / "000_276604fbab095470.txt").read_text(encoding="utf-8"),
            "published": "2021-02-19",
        },
        # a page without a dateline; its text names days without a year ("ngày 6/12"), which
        # against a DCT of 31/12/9999 used to reach for year 10000 and stop the whole ingest
        {
            "text": (EXAMPLES / "001_eae7b0701f9fa981.txt").read_text(encoding="utf-8"),
            "published": "9999-12-31",
        },
        {
            "text": (EXAMPLES / "004_e94dbbfd1c763f8c.txt").read_text(encoding="utf-8"),
            "published": "2021-12-10",
        },
    ]
    export.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    db = str(tmp_path / "t.db")
    result = runner.invoke(app, ["ingest", str(export), "--db", db])
    assert result.exit_code == Exit.OK  # warnings alone: the batch succeeded
    assert (
        f'{export}#L2: publication date "9999-12-31" is outside the dates a news article can have'
        in " ".join(result.stderr.split())
    )
    assert "(implausible-date)" in result.stderr
    assert "3 new articles, 0 already stored, 0 unchanged, 0 skipped" in result.stderr
    listed = json.loads(runner.invoke(app, ["articles", "--db", db, "--json"]).stdout)
    dates = {
        r["source"].rsplit("#", 1)[-1]: (r["published_provenance"], (r["published"] or "")[:4])
        for r in listed
    }
    assert dates["L1"] == ("stated", "2021") and dates["L3"] == ("stated", "2021")
    assert dates["L2"][0] == "inferred" and dates["L2"][1] != "9999"  # dated from its text, as if undated


# --- hostile articles -----------------------------------------------------------------


def _hostile(n: int) -> RawDocument:
    """An article whose title, outlet, url, sentences and quote carry HOSTILE (test_export)."""
    text = (
        f"Ngày 1{n}/7/2023, ông Jens Stoltenberg nói tại Vilnius rằng NATO sẽ họp. {HOSTILE} "
        f"Hội nghị thượng đỉnh NATO diễn ra ngày 11/7/2023 tại Vilnius lần {n}.\n"
        f"“Liên minh {HOSTILE} mạnh hơn bao giờ hết”, ông Stoltenberg nói.\n"
        f"Ông Joe Biden gặp ông \u202eStoltenberg\u202c ngày 12/7/2023 tại Vilnius, lần {n}."
    )
    return RawDocument(
        source=f"độc\u202e{n}\x1b[31m.txt",
        text=text,
        url="javascript:alert(1)",
        title=f"Tiêu đề {n} {HOSTILE}",
        published=f"2023-07-1{n}T08:00:00+07:00",
        outlet=f"Báo {HOSTILE}",
    )


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory):
    """A store of hostile articles as a version that did not strip controls at ingest kept them."""
    db = tmp_path_factory.mktemp("hostile") / "h.db"
    with Store(db) as store:
        store.add(pipeline.analyze(clean.clean(_hostile(n))[0], "syllable") for n in range(3))
        pipeline.settle(store)
        assert all("\x1b[31m" in a.title and "\u202e" in a.outlet for a in store.articles())
    return db


PRINTING = [
    *(["timeline", "-f", f] for f in ("md", "json", "html", "timelinejs")),
    *(["brief", "-f", f] for f in ("md", "json", "html")),
    *([command, *flag] for command in ("articles", "entities", "quotes") for flag in ([], ["--json"])),
    ["search", "NATO"],
    ["search", "NATO", "--json"],
    ["redate"],
]


@pytest.mark.parametrize("command", PRINTING, ids=" ".join)
def test_no_command_prints_a_control_character_of_a_hostile_store(hostile_db, command):
    result = runner.invoke(app, [*command, "--db", str(hostile_db)])
    assert result.exit_code == Exit.OK, result.output
    assert FORBIDDEN.search(result.stdout) is None and FORBIDDEN.search(result.stderr) is None
    if "--json" in command or command[-1] in ("json", "timelinejs"):
        assert json.loads(result.stdout)


def test_json_output_escapes_controls_and_keeps_the_text(hostile_db):
    stdout = runner.invoke(app, ["articles", "--db", str(hostile_db), "--json"]).stdout
    assert "\\u202e" in stdout and "\\u009b31m" in stdout
    rows = json.loads(stdout)
    assert sorted(r["outlet"] for r in rows) == [f"Báo {HOSTILE}"] * 3
    assert sorted(r["source"] for r in rows) == [f"độc\u202e{n}\x1b[31m.txt" for n in range(3)]


def test_the_markdown_timeline_of_a_hostile_store_renders_inert(hostile_db):
    md = runner.invoke(app, ["timeline", "--db", str(hostile_db), "--dates", "5"]).stdout
    assert (
        "\\[click\\](javascript:alert(1)) !\\[x\\](http://evil/x.png) &amp;lt;b&amp;gt; \\`code\\` đỏ" in md
    )
    html = MarkdownIt("commonmark").render(md)
    assert active_content(html) == [] and "<script" not in html and "javascript:alert(1)</a>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &lt;img src=x onerror=alert(1)&gt;" in html


def test_tables_and_search_show_article_text_as_text_not_as_rich_markup(hostile_db):
    listed = runner.invoke(app, ["articles", "--db", str(hostile_db)]).stdout
    found = runner.invoke(app, ["search", "liên minh", "--db", str(hostile_db)]).stdout
    assert "[click](javascript:alert(1))" in listed and "[click](javascript:alert(1))" in found
    assert "\n  “Liên minh <script>alert(1)</script> <img src=x onerror=alert(1)> [click](javascript" in found


def test_ingest_names_a_hostile_file_without_its_controls(tmp_path):
    bad = tmp_path / "bài\u202egnp.jsonl\x1b[31m.jsonl"
    bad.write_text("không phải JSON\n", encoding="utf-8")
    db = str(tmp_path / "t.db")
    shown = runner.invoke(app, ["ingest", str(tmp_path), "--db", db])
    assert shown.exit_code == Exit.SKIPPED
    line = f"error: {tmp_path}/bàignp.jsonl.jsonl#L1: invalid JSON: Expecting value (bad-jsonl-line)"
    assert line in shown.stderr.splitlines()
    report = runner.invoke(app, ["ingest", str(tmp_path), "--db", db, "--json"]).stdout
    assert FORBIDDEN.search(report) is None and json.loads(report)["problems"][0]["source"] == f"{bad}#L1"


# --- -o FILE ------------------------------------------------------------------------


def test_a_full_disk_leaves_the_previous_output_file_untouched(hostile_db, tmp_path, monkeypatch):
    out = tmp_path / "dòng thời gian.md"
    out.write_text("# Dòng thời gian hôm qua\n" * 40, encoding="utf-8")
    before = out.read_bytes()
    real_write, calls = os.write, []

    def full_disk(fd: int, data: bytes) -> int:  # 100 bytes go to disk, then the disk is full
        calls.append(fd)
        if len(calls) > 1:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, bytes(data[:100]))

    monkeypatch.setattr(os, "write", full_disk)
    result = runner.invoke(app, ["timeline", "--db", str(hostile_db), "-o", str(out)])
    monkeypatch.undo()
    assert result.exit_code == Exit.ERROR and len(calls) == 2
    assert result.stderr == f"error: cannot write {out}: No space left on device\n"
    assert out.read_bytes() == before and os.listdir(tmp_path) == [out.name]


def test_output_replaces_the_file_whole_and_a_directory_in_the_way_is_an_error(hostile_db, tmp_path):
    out = tmp_path / "t.json"
    out.write_text("cũ", encoding="utf-8")
    result = runner.invoke(app, ["timeline", "--db", str(hostile_db), "-f", "json", "-o", str(out)])
    assert result.exit_code == Exit.OK and result.stderr == f"wrote {out}\n"
    assert json.loads(out.read_text(encoding="utf-8"))["timeline"] and os.listdir(tmp_path) == ["t.json"]
    folder = tmp_path / "thư mục"
    folder.mkdir()
    result = runner.invoke(app, ["brief", "--db", str(hostile_db), "-o", str(folder)])
    assert (
        result.exit_code == Exit.ERROR and result.stderr == f"error: cannot write {folder}: Is a directory\n"
    )
    assert folder.is_dir() and sorted(os.listdir(tmp_path)) == ["t.json", "thư mục"]


def test_the_same_file_names_in_two_folders_are_two_sets_of_articles(tmp_path, monkeypatch):
    """`cd d1 && nienbieu ingest . --db ../s.db`, then the same in d2: nothing is replaced."""
    seeds = sorted(EXAMPLES.glob("*.txt"))
    for folder, chosen in (("d1", seeds[:2]), ("d2", seeds[2:4])):
        (tmp_path / folder).mkdir()
        for name, seed in zip(("a.txt", "b.txt"), chosen, strict=True):
            shutil.copy(seed, tmp_path / folder / name)
    reports = []
    for folder in ("d1", "d2"):
        monkeypatch.chdir(tmp_path / folder)
        result = runner.invoke(app, ["ingest", ".", "--db", "../s.db", "--segmenter", "syllable", "--json"])
        reports.append(json.loads(result.stdout))
    assert [(len(r["added"]), r["replaced"], r["articles_in_store"]) for r in reports] == [
        (2, [], 2),
        (2, [], 4),
    ]
    again = runner.invoke(app, ["ingest", ".", "--db", "../s.db"])
    assert again.stderr.splitlines()[-1] == (
        "2 files: 0 new articles, 0 already stored, 2 unchanged, 0 skipped; 4 articles in store"
    )


def _lines(stderr: str) -> list[str]:
    """What `ingest` writes on stderr, without the blank line the progress bar leaves."""
    return [line for line in stderr.splitlines() if line]


def _write_rows(path, rows) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def test_a_row_updated_under_its_id_replaces_loudly(tmp_path):
    from conftest import synthetic_row

    export, db = tmp_path / "latest.jsonl", str(tmp_path / "s.db")
    rows = [{**synthetic_row(1), "id": "vtv-1"}, {**synthetic_row(2), "id": "vtv-2"}]
    _write_rows(export, rows)
    old = json.loads(runner.invoke(app, ["ingest", str(export), "--db", db, "--json"]).stdout)["added"]
    _write_rows(export, [{**rows[0], "text": rows[0]["text"] + "\n\nCập nhật: đã nghiệm thu."}, rows[1]])
    shown = runner.invoke(app, ["ingest", str(export), "--db", db])
    [new] = {
        r["id"] for r in json.loads(runner.invoke(app, ["articles", "--db", db, "--json"]).stdout)
    } - set(old)
    assert shown.exit_code == Exit.OK
    assert _lines(shown.stderr) == [
        f"replaced: {export}#L1 (id vtv-1): article {old[0]} → {new}; the earlier version, "
        f"“{rows[0]['title']}”, was removed",
        "1 file: 1 new article, 0 already stored, 1 unchanged, 1 replaced (earlier versions removed), "
        "0 skipped; 2 articles in store",
    ]
    _write_rows(export, rows)  # back to the first version: replaced again, listed in JSON
    report = json.loads(runner.invoke(app, ["ingest", str(export), "--db", db, "--json"]).stdout)
    assert report["replaced"] == [
        {"source": f"{export}#L1", "key": "id:vtv-1", "old_id": new, "new_id": old[0],
         "old_title": rows[0]["title"], "removed": True}
    ]  # fmt: skip


def test_an_edited_text_file_replaces_loudly(tmp_path):
    article, db = tmp_path / "bài.txt", str(tmp_path / "s.db")
    article.write_text("Hội nghị NATO\n\nHội nghị khai mạc sáng nay ở Vilnius.", encoding="utf-8")
    [old] = json.loads(runner.invoke(app, ["ingest", str(article), "--db", db, "--json"]).stdout)["added"]
    article.write_text("Hội nghị NATO\n\nHội nghị bế mạc chiều nay ở Vilnius.", encoding="utf-8")
    shown = _lines(runner.invoke(app, ["ingest", str(article), "--db", db]).stderr)
    [new] = [r["id"] for r in json.loads(runner.invoke(app, ["articles", "--db", db, "--json"]).stdout)]
    assert shown == [
        f"replaced: {article}: article {old} → {new}; the earlier version, “Hội nghị NATO”, was removed",
        "1 file: 1 new article, 0 already stored, 0 unchanged, 1 replaced (earlier versions removed), "
        "0 skipped; 1 article in store",
    ]


# --- scopes: --query, --entity, --from, --to -------------------------------------------------


def test_the_timeline_of_a_query_cites_only_articles_in_scope(mixed_store):
    # without a scope, one story: the biggest, the others named on stderr
    listed = json.loads(runner.invoke(app, ["stories", "--db", str(mixed_store), "--json"]).stdout)
    whole = runner.invoke(app, ["timeline", "--db", str(mixed_store), "-f", "json"])
    said = " ".join(whole.stderr.split())
    assert said.startswith(
        f"{len(listed)} stories in {mixed_store}: this is story {listed[0]['id']}, the biggest"
    )
    with Store(mixed_store, readonly=True) as store:
        biggest = store.story_articles(listed[0]["id"])
    assert {c["article_id"] for e in json.loads(whole.stdout)["timeline"] for c in e["citations"]} <= biggest
    result = runner.invoke(app, ["timeline", "--db", str(mixed_store), "--query", "nato", "-f", "json"])
    assert result.exit_code == Exit.OK
    entries = json.loads(result.stdout)["timeline"]
    assert [e["date"] for e in entries] == [
        "2006", "2014", "2021", "2021-02-18", "2021-02-19", "2021-05-01", "2021-12-10", "2022-02",
        "2025-07-14/2025-07-15", "2030",
    ]  # fmt: skip
    cited = {
        c["article_id"] for e in entries for c in [*e["citations"], *(q["citation"] for q in e["quotes"])]
    }
    assert cited == {VTV, VTC, VILNIUS, RUTTE}  # NGOAITRUONG is in scope, but none of its dates made it


def test_a_timeline_from_to_keeps_only_dates_within(mixed_store):
    args = ["timeline", "--db", str(mixed_store), "--from", "2021-01-01", "--to", "2021-12-31", "-n", "20"]
    entries = json.loads(runner.invoke(app, [*args, "-f", "json"]).stdout)["timeline"]
    # VTV also looks back to 2014 and ahead to 2030: not in a timeline of 2021
    assert [(e["date"], e["sources"]) for e in entries] == [
        ("2021", [VTV]), ("2021-02", [VTV]), ("2021-02-18", [VTV]), ("2021-02-19", [VTV]),
        ("2021-05-01", [VTV]), ("2021-12-10", [VTC]),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("command", "scope", "message"),
    [
        (["timeline"], ["--query", "nato", "--to", "2012-12-31"], '--query "nato" --to 2012-12-31'),
        (["brief"], ["--entity", "Không Ai"], '--entity "Không Ai"'),
        (["entities"], ["--query", '"Đại Tây Dương"', "--to", "2020-12-31"],
         '--query "\\"Đại Tây Dương\\"" --to 2020-12-31'),
        (["quotes", "--who", "Stoltenberg"], ["--entity", "Myanmar", "--from", "2030-01-01"],
         '--entity "Myanmar" --from 2030-01-01'),
    ],
)  # fmt: skip
def test_an_empty_scope_exits_4_and_names_the_scope(mixed_store, command, scope, message):
    result = runner.invoke(app, [*command, "--db", str(mixed_store), *scope])
    assert (result.exit_code, result.stdout, result.stderr) == (
        Exit.EMPTY,
        "",
        f"no article matches {message}\n",
    )


def test_scoped_entities_json(mixed_store):
    result = runner.invoke(
        app, ["entities", "--db", str(mixed_store), "--entity", "Nhật", "--top", "2", "--json"]
    )
    assert result.exit_code == Exit.OK
    assert json.loads(result.stdout) == [
        {"name": "Nhật Bản", "type": "LOC", "aliases": ["Nhật"], "mentions": 55, "articles": 3,
         "first": "2013-10-22", "last": "2013-10-23"},
        {"name": "Trung Quốc", "type": "LOC", "aliases": [], "mentions": 33, "articles": 3,
         "first": "2013-10-22", "last": "2013-10-23"},
    ]  # fmt: skip


def test_scoped_quotes_json_keeps_who(mixed_store):
    args = ["quotes", "--db", str(mixed_store), "--query", "myanmar", "--json"]
    rows = json.loads(runner.invoke(app, args).stdout)
    # Trương Hải Tùng's quotation runs on into another speaker's (its closing mark is missing):
    # his confidence is under the threshold, so he is the candidate, not the speaker shown
    assert [(r["speaker"], r["candidate"], r["article_id"], r["published"]) for r in rows] == [
        (None, "Trương Hải Tùng", "2862b8fe063ac9fb", "2013-10-15"),
        ("Hoàng Văn Phúc", "Hoàng Văn Phúc", "f31f567d546e7bea", "2013-10-15"),
    ]
    assert rows[0]["confidence"] < attribution.model().threshold <= rows[1]["confidence"]
    rows = json.loads(runner.invoke(app, [*args, "--who", "phúc"]).stdout)
    assert [r["article_id"] for r in rows] == ["f31f567d546e7bea"]


def test_scoped_brief_json(mixed_store):
    args = ["brief", "--db", str(mixed_store), "--entity", "ha nam", "--to", "2013-11-01", "-f", "json"]
    briefing = json.loads(runner.invoke(app, args).stdout)
    assert sorted(c["article_id"] for c in briefing["articles"]) == sorted(HA_NAM)
    assert {s["citation"]["article_id"] for s in briefing["sentences"]} == HA_NAM
