import datetime
import sys

import pyarrow.parquet as pq
import pytest
from conftest import EXAMPLES, RUTTE, VILNIUS, VTC, VTV, VTV_COPY
from typer.testing import CliRunner

from nienbieu import api, export, parquet
from nienbieu.cli import Exit, app
from nienbieu.store import Store

runner = CliRunner()


@pytest.fixture(scope="module")
def exported(mixed_store, tmp_path_factory):
    """The mixed store (seeds, three MDS clusters, a copy of the VTV seed) as Parquet, read back."""
    folder = tmp_path_factory.mktemp("parquet")
    with Store(mixed_store, readonly=True) as store:
        written = export.parquet(store, folder)
    return written, {name: pq.read_table(folder / f"{name}.parquet").to_pylist() for name in written}


def test_every_table_is_written_with_its_rows_counted(exported):
    written, tables = exported
    assert written == {"articles": 16, "sentences": 348, "mentions": 895, "time_expressions": 110,
                       "quotes": 34, "stories": 6}  # fmt: skip
    assert {name: len(rows) for name, rows in tables.items()} == written


# the columns of articles.parquet that `articles --json` has too, with the same values
SHARED_WITH_JSON = (
    "copy_of", "outlet", "title", "title_stated", "published", "published_provenance", "published_evidence",
    "published_confidence", "author", "sentences", "source",
)  # fmt: skip


def test_articles_carry_the_fields_of_articles_json_by_the_same_names(exported, mixed_store):
    _, tables = exported
    with Store(mixed_store, readonly=True) as store:
        listed = {row["id"]: row for row in api.articles(store)}
    for row in tables["articles"]:
        shown = listed[row["id"]]
        for field in SHARED_WITH_JSON:
            assert row[field] == shown[field], field
        window = row["published_window"] and [day.isoformat() for day in row["published_window"]]
        assert window == shown["published_window"]
    by_id = {row["id"]: row for row in tables["articles"]}
    assert by_id[VTV_COPY]["copy_of"] == VTV and by_id[VTV_COPY]["story"] == by_id[VTV]["story"]
    assert by_id[VTC]["published"] == "2021-12-10T20:10:46+07:00"
    assert by_id[VTC]["published_day"] == datetime.date(2021, 12, 10)
    assert by_id[RUTTE]["published_provenance"] == "inferred" and len(by_id[RUTTE]["published_window"]) == 2
    assert (
        by_id[VILNIUS]["title"].startswith("Tổng thư ký NATO Jens Stoltenberg")
        and not by_id[VILNIUS]["title_stated"]
    )
    assert by_id[VTV]["body"].startswith("Mỹ và các đồng minh NATO mong muốn thiết lập lại")


def test_stories_are_the_rows_of_stories_json(exported, mixed_store):
    _, tables = exported
    with Store(mixed_store, readonly=True) as store:
        listed = sorted(api.stories(store), key=lambda row: row["id"])
    assert tables["stories"] == listed
    nato = next(row for row in tables["stories"] if row["label"].startswith("NATO – Mỹ – Ukraine"))
    assert (nato["articles"], nato["copies"], nato["outlets"]) == (3, 1, ["VTV", "Tạp chí NƯỚC ĐỨC"])


def test_a_known_sentence_mention_time_expression_and_quote(exported):
    _, tables = exported
    assert {
        "article_id": VTV,
        "index": 1,
        "paragraph": 1,
        "in_quote": False,
        "text": "Các Bộ trưởng quốc phòng Tổ chức Hiệp ước Bắc Đại Tây Dương (NATO) ngày 18/2 tiếp tục nhóm "
        "họp trực tuyến nhằm thảo luận về tương lai của khối, trong đó có Sáng kiến NATO 2030.",
    } in tables["sentences"]
    hoa_ky = {"start": 71, "end": 77, "text": "Hoa Kỳ", "type": "LOC", "canonical": "Mỹ"}
    assert {"article_id": VILNIUS, "sentence_index": 0, **hoa_ky} in tables["mentions"]
    timex = {(t["article_id"], t["sentence_index"], t["text"]): t for t in tables["time_expressions"]}
    assert timex[VTV, 1, "ngày 18/2"]["value"] == "2021-02-18"
    assert timex[VTV, 1, "ngày 18/2"]["granularity"] == "day"
    quote = {"quote": "duy trì và tăng cường hỗ trợ cho Ukraine", "speaker": "Stoltenberg",
             "candidate": "Stoltenberg", "confidence": 0.8003}  # fmt: skip
    assert {"article_id": VILNIUS, "sentence_index": 5, "start": 95, "end": 137, **quote} in tables["quotes"]


def test_rows_are_read_and_written_a_batch_at_a_time(tmp_path, monkeypatch):
    monkeypatch.setattr(parquet, "BATCH_ROWS", 50)
    monkeypatch.setattr(parquet, "WIDE_BATCH_ROWS", 2)
    db = tmp_path / "t.db"
    assert (
        runner.invoke(app, ["ingest", str(EXAMPLES), "--db", str(db), "--segmenter", "syllable"]).exit_code
        == 0
    )
    with Store(db, readonly=True) as store:
        written = export.parquet(store, tmp_path / "out")
    assert written["sentences"] == 147
    # one row group per batch: 50 + 50 + 47 sentences, never the whole table at once
    metadata = pq.ParquetFile(tmp_path / "out" / "sentences.parquet").metadata
    assert [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)] == [50, 50, 47]
    metadata = pq.ParquetFile(tmp_path / "out" / "articles.parquet").metadata
    assert [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)] == [2, 2, 1]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "articles.parquet",
        "mentions.parquet",
        "quotes.parquet",
        "sentences.parquet",
        "stories.parquet",
        "time_expressions.parquet",
    ]  # fmt: skip  (and no temporary file left)


def test_export_parquet_writes_the_folder_and_says_what_it_wrote(mixed_store, tmp_path):
    result = runner.invoke(app, ["export", "--parquet", str(tmp_path / "bảng"), "--db", str(mixed_store)])
    assert result.exit_code == Exit.OK, result.output
    assert "wrote 16 articles, 348 sentences, 895 mentions, 110 time expressions, 34 quotes, 6 stories" in (
        result.stderr
    )
    assert pq.read_table(tmp_path / "bảng" / "articles.parquet").num_rows == 16


def test_without_pyarrow_the_export_is_refused_with_how_to_install_it(mixed_store, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # `import pyarrow` now fails
    result = runner.invoke(app, ["export", "--parquet", str(tmp_path / "out"), "--db", str(mixed_store)])
    assert result.exit_code == Exit.ERROR
    assert "Parquet export needs pyarrow" in result.stderr and "nienbieu[parquet]" in result.stderr
    assert not (tmp_path / "out").exists()


def test_an_empty_store_exports_nothing(tmp_path):
    Store(tmp_path / "empty.db").close()
    result = runner.invoke(
        app, ["export", "--parquet", str(tmp_path / "out"), "--db", str(tmp_path / "empty.db")]
    )
    assert result.exit_code == Exit.EMPTY


def test_the_documented_schemas_are_the_written_ones():
    documented: dict[str, list[tuple[str, str]]] = {}
    table = None
    for line in (EXAMPLES.parent / "docs" / "scaling.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("### ") and line.endswith(".parquet"):
            table = documented.setdefault(line[4:].removesuffix(".parquet"), [])
        elif table is not None and line.startswith("| `"):
            name, kind = (cell.strip() for cell in line.split("|")[1:3])
            table.append((name.strip("`"), kind))
    assert documented == {t.name: [(c.name, c.type) for c in t.columns] for t in parquet.TABLES}
