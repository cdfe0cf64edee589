import os
import subprocess
import sys

import pytest
from conftest import EXAMPLES

from nienbieu import data

TABLES = [
    "boilerplate",
    "entities",
    "gazetteer",
    "legacy_encodings",
    "outlets",
    "sentences",
    "stopwords",
    "timex",
]


@pytest.mark.parametrize("name", TABLES)
def test_every_table_loads_once_by_either_name(name):
    table = data.load(name)
    assert table and table is data.load(f"{name}.toml")


def test_tables_hold_vietnamese_read_as_utf8():
    assert data.load("timex")["words"]["sunday"] == ["chủ nhật", "chủ nhựt"]


def _c_locale() -> dict[str, str]:
    # PYTHONUTF8=0: Python would otherwise switch to UTF-8 by itself under the C locale
    return {**os.environ, "LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0", "PYTHONIOENCODING": ""}


def test_cli_runs_under_the_c_locale(tmp_path):
    """Under LC_ALL=C the default encoding is ASCII: tables must still be read as UTF-8, and
    Vietnamese printed, not raise UnicodeEncodeError."""
    db = str(tmp_path / "c.db")
    cli = [sys.executable, "-c", "from nienbieu.cli import main; main()"]
    probe = subprocess.run(
        [sys.executable, "-c", "import locale; print(locale.getpreferredencoding(False))"],
        env=_c_locale(), capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert probe.stdout.strip().lower() in ("ansi_x3.4-1968", "ascii", "us-ascii")
    ingest = subprocess.run(
        [*cli, "ingest", str(EXAMPLES / "001_eae7b0701f9fa981.txt"), "--db", db, "--segmenter", "syllable"],
        env=_c_locale(), capture_output=True,
    )  # fmt: skip
    assert ingest.returncode == 0, ingest.stderr.decode("utf-8", "replace")
    shown = subprocess.run([*cli, "timeline", "--db", db], env=_c_locale(), capture_output=True)
    assert shown.returncode == 0, shown.stderr.decode("utf-8", "replace")
    assert "# Dòng thời gian" in shown.stdout.decode("utf-8")
