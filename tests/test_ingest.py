import json
import os
import unicodedata
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from nienbieu import ingest, legacy
from nienbieu.models import Severity


def codes(result):
    return [p.code for p in result.problems]


def test_empty_file_is_named(tmp_path):
    path = tmp_path / "trống.txt"
    path.write_bytes(b"")
    result = ingest.read_file(path)
    assert result.documents == [] and codes(result) == ["empty-file"]
    assert result.problems[0].source == str(path)


def test_binary_file_is_refused(tmp_path):
    path = tmp_path / "ảnh.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    assert codes(ingest.read_file(path)) == ["binary-file"]


def to_cp1258(text: str) -> bytes:
    """Windows-1258 spells tones as combining marks after a precomposed base letter."""
    out = []
    for ch in text:
        parts = unicodedata.normalize("NFD", ch)
        tones = [c for c in parts if c in "\u0300\u0301\u0303\u0309\u0323"]
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in tones))
        out.append(base + "".join(tones))
    return "".join(out).encode("cp1258")


def test_windows_1258_is_decoded_with_a_warning(tmp_path):
    path = tmp_path / "cp1258.txt"
    path.write_bytes(to_cp1258("Hội nghị thượng đỉnh NATO diễn ra tại Vilnius."))
    result = ingest.read_file(path)
    assert codes(result) == ["not-utf8"] and result.problems[0].severity is Severity.WARNING
    assert result.documents[0].text == "Hội nghị thượng đỉnh NATO diễn ra tại Vilnius."


def test_undecodable_bytes_are_refused_with_the_offset(tmp_path):
    path = tmp_path / "rác.txt"
    path.write_bytes("Xin chào ".encode() + bytes([0x81, 0x8D, 0x8F, 0x90, 0x9D]) * 20)
    result = ingest.read_file(path)
    assert codes(result) == ["unknown-encoding"]
    assert "byte 10" in result.problems[0].message


def test_utf8_bom_and_nfd_are_normalised(tmp_path):
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbf" + unicodedata.normalize("NFD", "Hà Nội").encode())
    assert ingest.read_file(path).documents[0].text == "Hà Nội"


def test_jsonl_reads_rows_and_names_bad_lines(tmp_path):
    path = tmp_path / "bài báo.jsonl"
    rows = [
        json.dumps(
            {
                "text": "Nội dung thứ nhất.",
                "title": "Một",
                "url": "https://a.vn/1",
                "published": "2021-02-19T06:00:00+07:00",
            },
            ensure_ascii=False,
        ),
        "{not json",
        json.dumps({"title": "thiếu nội dung"}),
        json.dumps({"html": "<p>Nội dung <b>HTML</b>.</p><script>alert(1)</script>"}),
    ]
    path.write_text("\n".join(rows), encoding="utf-8")
    result = ingest.read_file(path)
    assert [d.title for d in result.documents] == ["Một", None]
    assert result.documents[0].published == "2021-02-19T06:00:00+07:00"
    assert "alert" not in result.documents[1].text
    assert [(p.source, p.code) for p in result.problems] == [
        (f"{path}#L2", "bad-jsonl-line"),
        (f"{path}#L3", "bad-jsonl-line"),
    ]


def test_metadata_and_text_are_stored_without_terminal_sequences(tmp_path):
    row = {
        "text": "Đoạn \x1b[31mmột\x1b[0m.\r\nĐoạn \u202ehai\u202c.",
        "title": "Tiêu \x1b]0;bị chiếm\x07đề",
        "outlet": "VTV\x1b[2J\r\n  News\x85",
        "url": " https://vtv.vn/a\x07 ",
        "published": "2021-02-19\x9b31mT06:00:00+07:00",
    }
    path = tmp_path / "độc.jsonl"
    path.write_text(json.dumps(row, ensure_ascii=False), encoding="utf-8")
    [doc] = ingest.read_file(path).documents
    assert (doc.text, doc.title) == ("Đoạn một.\nĐoạn hai.", "Tiêu đề")
    assert (doc.outlet, doc.url, doc.published) == (
        "VTV News",
        "https://vtv.vn/a",
        "2021-02-19T06:00:00+07:00",
    )
    html = tmp_path / "trang.html"
    html.write_text(
        '<html><head><meta property="og:site_name" content="Vn\x1b[31mExpress\u202e">'
        '<meta property="og:url" content="https://vnexpress.net/\x9b1mx"></head>'
        "<body><p>Nội dung \x1b]8;;http://evil\x1b\\bài\x1b]8;;\x1b\\.</p>"
        f"<p>{'Hội nghị NATO diễn ra ở Vilnius. ' * 3}</p></body></html>",
        encoding="utf-8",
    )
    [page] = ingest.read_file(html).documents
    assert (page.outlet, page.url) == ("VnExpress", "https://vnexpress.net/x")
    assert page.text.split("\n")[1:3] == [
        "Nội dung bài.",
        "Hội nghị NATO diễn ra ở Vilnius. " * 2 + "Hội nghị NATO diễn ra ở Vilnius.",
    ]


def _row(i: int) -> bytes:
    return json.dumps({"text": f"Bài số {i} viết về Hà Nội."}, ensure_ascii=False).encode()


def test_a_jsonl_file_over_the_size_limit_is_read_line_by_line(tmp_path, monkeypatch):
    monkeypatch.setattr(ingest, "MAX_BYTES", 4096)
    path = tmp_path / "lớn.jsonl"
    lines = [_row(i) for i in range(1, 101)]  # about 4.6 KB of good rows
    lines[6] = b"{not json"
    lines[19] = json.dumps({"text": "dài " * 2000}).encode()  # 8 KB: over the limit for a line
    lines[49] = b""
    path.write_bytes(b"\n".join(lines) + b"\n" + json.dumps({"text": "x" * 5000}).encode())  # no final \n
    assert path.stat().st_size > 3 * 4096
    result = ingest.read_file(path)
    good = [n for n in range(1, 101) if n not in (7, 20, 50)]
    assert [d.source for d in result.documents] == [f"{path}#L{n}" for n in good]
    assert result.documents[-1].text == "Bài số 100 viết về Hà Nội."
    assert [(p.source, p.code) for p in result.problems] == [
        (f"{path}#L7", "bad-jsonl-line"),
        (f"{path}#L20", "line-too-long"),
        (f"{path}#L101", "line-too-long"),
    ]
    assert "longer than 4 KiB" in result.problems[1].message


def test_a_text_file_over_the_size_limit_is_still_refused_unread(tmp_path, monkeypatch):
    monkeypatch.setattr(ingest, "MAX_BYTES", 4096)
    path = tmp_path / "một bài.txt"
    path.write_text("Hà Nội mùa thu. " * 300, encoding="utf-8")
    result = ingest.read_file(path)
    assert result.documents == [] and codes(result) == ["file-too-large"]
    assert "only a .jsonl export may be larger" in result.problems[0].message


def test_jsonl_lines_are_decoded_and_judged_each_on_its_own(tmp_path):
    path = tmp_path / "trộn.jsonl"
    cp1258 = [
        json.dumps({"text": t}, ensure_ascii=False) for t in (SENTENCE, "Hội nghị diễn ra tại Vilnius.")
    ]
    lines = [b"\xef\xbb\xbf" + _row(1), to_cp1258(cp1258[0]), '{"text": "Hà\x00Nội"}'.encode(), _row(4)]
    path.write_bytes(b"\n".join([*lines, to_cp1258(cp1258[1]), _row(6)]))
    result = ingest.read_file(path)
    assert [(d.source[-3:], d.text) for d in result.documents] == [
        ("#L1", "Bài số 1 viết về Hà Nội."),
        ("#L2", SENTENCE),
        ("#L4", "Bài số 4 viết về Hà Nội."),
        ("#L5", "Hội nghị diễn ra tại Vilnius."),
        ("#L6", "Bài số 6 viết về Hà Nội."),
    ]
    # one warning for the encoding, on its first line: an export in it would warn on every line
    assert [(p.source, p.code, p.severity) for p in result.problems] == [
        (f"{path}#L2", "not-utf8", Severity.WARNING),
        (f"{path}#L3", "binary-line", Severity.ERROR),
    ]
    assert "later lines of the file in the same encoding" in result.problems[0].message


def test_a_utf16_jsonl_file_is_read_line_by_line(tmp_path):
    path = tmp_path / "utf16.jsonl"
    path.write_text("\n".join([_row(1).decode(), "{hỏng", _row(3).decode()]), encoding="utf-16")
    result = ingest.read_file(path)
    assert [d.text for d in result.documents] == ["Bài số 1 viết về Hà Nội.", "Bài số 3 viết về Hà Nội."]
    assert [(p.source, p.code) for p in result.problems] == [(f"{path}#L2", "bad-jsonl-line")]


def test_a_binary_file_named_jsonl_is_refused_once(tmp_path):
    path = tmp_path / "ảnh.jsonl"
    path.write_bytes((b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))) * 100)
    result = ingest.read_file(path)
    assert [(p.source, p.code) for p in result.problems] == [(str(path), "binary-file")]


def test_reading_the_first_document_of_a_big_jsonl_reads_only_the_start_of_it(tmp_path, monkeypatch):
    path = tmp_path / "lớn.jsonl"
    path.write_bytes(b"\n".join(_row(i) for i in range(1, 20001)))  # about 0.9 MB
    opened = []
    real_open = ingest._open_regular

    def recording_open(path):
        opened.append(real_open(path))
        return opened[-1]

    monkeypatch.setattr(ingest, "_open_regular", recording_open)
    items = ingest.read_items(path)
    first = next(items)
    assert (first.source, first.text) == (f"{path}#L1", "Bài số 1 viết về Hà Nội.")
    [f] = opened
    assert f.raw.tell() <= 16384  # a buffer or two, of 0.9 MB
    assert sum(1 for _ in items) == 19999 and f.closed


def test_html_drops_scripts_and_reads_metadata(tmp_path):
    path = tmp_path / "trang.html"
    path.write_text(
        "<html><head><title>Trang</title>"
        '<meta property="og:site_name" content="VnExpress">'
        '<meta property="article:published_time" content="2023-06-14T09:00:00+07:00"></head>'
        "<body><nav>Trang chủ | Thế giới</nav><h1>NATO họp ở Vilnius</h1>"
        "<p>Hội nghị diễn ra ngày 11/7.</p><style>p{color:red}</style>"
        "<script>document.write('x')</script><iframe>quảng cáo</iframe></body></html>",
        encoding="utf-8",
    )
    [doc] = ingest.read_file(path).documents
    assert doc.title == "NATO họp ở Vilnius"
    assert doc.outlet == "VnExpress"
    assert doc.published == "2023-06-14T09:00:00+07:00"
    assert "Hội nghị diễn ra ngày 11/7." in doc.text
    for junk in ("document.write", "color:red", "quảng cáo", "Trang chủ"):
        assert junk not in doc.text


def test_discover_recurses_and_reports_unsupported(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "x.txt").write_text("x")
    (tmp_path / "a" / "y.htm").write_text("y")
    (tmp_path / "a" / "z.pdf").write_text("z")
    other = tmp_path / "note.docx"
    other.write_text("d")
    files, problems = ingest.discover([tmp_path / "a", other, tmp_path / "missing"])
    assert [f.name for f in files] == ["x.txt", "y.htm"]
    assert [p.code for p in problems] == ["unsupported-type", "not-found"]


SENTENCE = "Tổng thư ký NATO Jens Stoltenberg đã gặp gỡ các quan chức Mỹ tại Hà Nội ngày 18/2."


@pytest.mark.parametrize("scheme", legacy.SCHEMES)
def test_legacy_bytes_are_converted_with_a_named_warning(tmp_path, scheme):
    path = tmp_path / f"{scheme}.txt"
    path.write_bytes(legacy.from_unicode(SENTENCE, scheme).encode("cp1252"))
    result = ingest.read_file(path)
    assert result.documents[0].text == SENTENCE
    [problem] = result.problems
    assert (problem.code, problem.severity, problem.source) == (
        f"legacy-{scheme}",
        Severity.WARNING,
        str(path),
    )
    assert "converted" in problem.message and legacy.NAMES[scheme] in problem.message


@pytest.mark.parametrize(("scheme", "mojibake"), [("tcvn3", "Hµ Néi"), ("vni", "Haø Noäi")])
def test_utf8_mojibake_of_legacy_text_is_converted(scheme, mojibake):
    body = legacy.from_unicode(SENTENCE, scheme)
    assert mojibake in body
    text, problems = ingest.decode(body.encode("utf-8"), "a.txt")
    assert text == SENTENCE and [p.code for p in problems] == [f"legacy-{scheme}"]


@pytest.mark.parametrize(
    "text",
    [
        SENTENCE,
        "NATO Secretary General Jens Stoltenberg met US officials in Hanoi on 18 February.",
        "Le secrétaire général de l'OTAN a rencontré à Hanoï, où il était reçu, des élus américains.",
    ],
)
def test_good_utf8_is_not_converted(text):
    assert ingest.decode(text.encode("utf-8"), "a.txt") == (text, [])


@given(st.binary(max_size=400))
def test_decode_never_raises_and_returns_text_or_an_error(data):
    text, problems = ingest.decode(data, "x.txt")
    if text is None:
        assert any(p.severity is Severity.ERROR for p in problems)
    else:
        assert isinstance(text, str) and all(p.severity is Severity.WARNING for p in problems)


def test_a_field_that_is_not_a_string_is_ignored_with_a_warning(tmp_path):
    path = tmp_path / "xuất.jsonl"
    row = {"text": "Nội dung bài báo.", "published": 12345, "title": ["Một"], "url": None, "outlet": "VTV"}
    path.write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    result = ingest.read_file(path)
    [doc] = result.documents
    assert (doc.published, doc.title, doc.url, doc.outlet) == (None, None, None, "VTV")
    assert [(p.source, p.severity, p.code, p.message) for p in result.problems] == [
        (f"{path}#L1", Severity.WARNING, "bad-field", 'title ["Một"] is a list, not a string; ignored'),
        (
            f"{path}#L1",
            Severity.WARNING,
            "bad-date",
            "publication date 12345 is a number, not a date string (ISO 8601 or d/m/yyyy hh:mm); "
            "ignored; the date is taken from the text",
        ),
    ]


def _odd_folder(root: Path) -> Path:
    """A folder of articles among what else a file system holds."""
    folder = root / "tin"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("Tiêu đề\n\nBài viết về hội nghị.", encoding="utf-8")
    (folder / "sub" / "b.txt").write_text("Tiêu đề\n\nBài viết khác.", encoding="utf-8")
    os.mkfifo(folder / "ống.txt")
    (folder / "null.jsonl").symlink_to(os.devnull)
    (folder / "vòng.txt").symlink_to(folder / "vòng.txt")  # a -> a
    (folder / "sub" / "lên").symlink_to("..")  # a folder link to its parent
    (folder / "trên").symlink_to("..")  # up out of the folder given, into one that contains it
    (root / "ngoài.txt").write_text("Tiêu đề\n\nBài viết ở ngoài.", encoding="utf-8")
    (folder / "mất.html").symlink_to(folder / "không có.html")
    (folder / "bí danh.txt").symlink_to(folder / "a.txt")  # the same file by another name
    return folder


def test_odd_entries_in_a_folder_are_named_and_never_opened(tmp_path):
    folder = _odd_folder(tmp_path)
    files, problems = ingest.discover([folder, folder / "a.txt", folder / "ống.txt"])
    assert files == [folder / "a.txt", folder / "sub" / "b.txt"]  # each file once, none from outside
    link = "is a symbolic link to"
    loop = "a folder that contains it: following it would loop; skipped"
    assert [(Path(p.source).name, p.code, p.message) for p in problems] == [
        ("mất.html", "broken-symlink", f"{link} {folder / 'không có.html'}, which does not exist; skipped"),
        ("null.jsonl", "not-a-regular-file", f"{link} /dev/null, a character device, not a file; skipped"),
        ("lên", "symlink-loop", f"{link} {folder}, {loop}"),
        ("trên", "symlink-loop", f"{link} {tmp_path}, {loop}"),
        ("vòng.txt", "symlink-loop", "is a symbolic link that leads back to itself (a loop); skipped"),
        ("ống.txt", "not-a-regular-file", "is a FIFO (named pipe), not a file; skipped"),  # named once
    ]


def test_odd_entries_given_by_name_are_named_not_missing(tmp_path):
    folder = _odd_folder(tmp_path)
    given = ["ống.txt", "null.jsonl", "vòng.txt", "mất.html", "không có.txt"]
    _, problems = ingest.discover([folder / name for name in given])
    assert [p.code for p in problems] == [
        "not-a-regular-file",
        "not-a-regular-file",
        "symlink-loop",
        "broken-symlink",
        "not-found",
    ]


def test_a_fifo_swapped_in_after_discovery_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "ống.jsonl"
    os.mkfifo(fifo)
    text = ingest.read_piece(ingest.Piece(str(tmp_path / "ống.txt")))  # no such file yet
    assert [p.code for p in text.problems] == ["unreadable"]
    os.rename(fifo, tmp_path / "ống.txt")
    swapped = tmp_path / "ống.txt"
    for result in (ingest.read_file(swapped), ingest.read_piece(ingest.Piece(str(swapped)))):
        assert [(p.code, p.message) for p in result.problems] == [
            ("not-a-regular-file", "is a FIFO (named pipe), not a file; skipped")
        ]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads and lists mode-000 files and folders")
def test_unreadable_files_and_folders_are_named(tmp_path):
    folder = tmp_path / "tin"
    (folder / "khoá").mkdir(parents=True)
    (folder / "khoá" / "c.txt").write_text("Tiêu đề\n\nBài viết.", encoding="utf-8")
    (folder / "a.txt").write_text("Tiêu đề\n\nBài viết.", encoding="utf-8")
    (folder / "khoá").chmod(0)
    (folder / "a.txt").chmod(0)
    try:
        files, problems = ingest.discover([folder])
        assert (files, [(p.source, p.code) for p in problems]) == (
            [folder / "a.txt"],
            [(str(folder / "khoá"), "unreadable")],
        )
        assert [p.code for p in ingest.read_file(folder / "a.txt").problems] == ["unreadable"]
    finally:
        (folder / "khoá").chmod(0o755)


def test_a_folder_that_cannot_be_listed_is_named(tmp_path, monkeypatch):
    """The same as a mode-000 folder, wherever the tests run (root lists any folder)."""
    (tmp_path / "tin" / "khoá").mkdir(parents=True)
    (tmp_path / "tin" / "a.txt").write_text("Tiêu đề\n\nBài viết.", encoding="utf-8")
    scandir = os.scandir

    def refuse(path):
        if Path(path).name == "khoá":
            raise PermissionError(13, "Permission denied", str(path))
        return scandir(path)

    monkeypatch.setattr(ingest.os, "scandir", refuse)
    files, problems = ingest.discover([tmp_path / "tin"])
    assert files == [tmp_path / "tin" / "a.txt"]
    assert [(p.source, p.code, p.message) for p in problems] == [
        (str(tmp_path / "tin" / "khoá"), "unreadable", "cannot list the folder: Permission denied; skipped")
    ]


_NAMES = st.sampled_from(["a.txt", "b.jsonl", "c.html", "d", "e.pdf"])
# Link targets: itself, its folder, or a path under the root (a file, a folder, a link, nothing)
_LINK = st.sampled_from(["itself", "its folder", "", "x", "x/y", "a.txt", "x/a.txt", "d", "gone", "y/d"])
_ENTRY = st.tuples(
    st.lists(st.sampled_from(["x", "y"]), max_size=2),  # the folder it is in
    _NAMES,
    st.one_of(st.just("file"), st.just("folder"), st.tuples(_LINK)),
)


@settings(max_examples=80, deadline=None)
@given(st.lists(_ENTRY, max_size=12))
@example([([], "a.txt", "file"), ([], "b.txt", ("a.txt",)), (["x"], "d", ("its folder",))])
def test_discover_ends_and_finds_every_real_file_once_whatever_the_links(entries):
    """Random trees of files, folders and links (to parents, to themselves, to nothing)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp).resolve()
        for folders, name, what in entries:
            parent = root.joinpath(*folders)
            parent.mkdir(parents=True, exist_ok=True)
            path = parent / name
            if path.exists() or path.is_symlink():
                continue
            if what == "file":
                path.write_text("x")
            elif what == "folder":
                path.mkdir()
            else:  # absolute targets: whatever links lead through, they stay under the root
                targets = {"itself": path, "its folder": parent}
                path.symlink_to(targets.get(what[0], root / what[0]))
        files, problems = ingest.discover([root])
        real = sorted(
            p for p in root.rglob("*") if p.is_file() and not p.is_symlink() and p.suffix in ingest.SUFFIXES
        )
        assert len(files) == len(set(files)) and all(f.resolve() == f and f.is_file() for f in files)
        assert sorted(files) == real  # links lead only to files under the root here
        assert "not-found" not in {p.code for p in problems}


_ID = st.one_of(st.none(), st.integers(), st.booleans(), st.floats(allow_nan=False), st.text(max_size=8))
_ROW = st.fixed_dictionaries(
    {"text": st.just("Hội nghị khai mạc ở Vilnius.")},
    optional={"id": _ID, "url": st.one_of(_ID, st.just(" "))},
)


@settings(max_examples=150, deadline=None)
@given(_ROW)
def test_a_rows_identity_is_its_id_else_its_url_else_its_line(row):
    """The reader (in the main process, to find versions) and the worker (storing the row) agree."""
    line = json.dumps(row, ensure_ascii=False).encode()
    piece = ingest.Piece("/tin/x.jsonl", 1, line.decode(), ingest.line_digest(line))
    [doc] = ingest.read_piece(piece).documents
    assert doc.origin.key == ingest._piece_key(piece)

    def own(value):
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        return value.strip() if isinstance(value, str) and value.strip() else None

    named = [(field, own(row.get(field))) for field in ("id", "url") if own(row.get(field)) is not None]
    expected = f"{named[0][0]}:{named[0][1]}" if named else f"sha256:{ingest.line_digest(line).hex()}"
    assert (doc.origin.file, doc.origin.key, doc.origin.line) == ("/tin/x.jsonl", expected, piece.digest)
