import json
import shutil
import subprocess
import sys
import time

import pytest
from conftest import EXAMPLES, dump, pulled_lines, synthetic_row
from typer.testing import CliRunner

from nienbieu import distributed, models, pipeline
from nienbieu.cli import Exit, app
from nienbieu.store import Store


@pytest.fixture(scope="module")
def cluster():
    """A scheduler and two single-threaded worker processes on this machine, as a remote
    cluster would be: the engine reaches it by its address."""
    with distributed.local_cluster(2) as local:
        yield local


def _export(path, rows, bad=None):
    """`rows` synthetic articles as a JSONL export, lines numbered from 1 replaced by `bad`."""
    bad = bad or {}
    lines = [bad.get(n, json.dumps(synthetic_row(n), ensure_ascii=False)) for n in range(1, rows + 1)]
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def test_the_dask_engine_stores_row_for_row_what_the_local_engine_does(tmp_path, monkeypatch, cluster):
    monkeypatch.setattr(pipeline, "PIECES_PER_TASK", 4)  # tasks across file boundaries, a full window
    corpus = tmp_path / "corpus"
    shutil.copytree(EXAMPLES, corpus)
    export = _export(corpus / "xuất.jsonl", 40, {7: "{hỏng"})
    # files changed within RACY_NS are stored without their stat, and whether that happens must
    # not depend on which run came first; the workers are other processes: wait, do not patch
    time.sleep(models.RACY_NS / 1e9)
    engines = {"local.db": None, "dask.db": distributed.engine(cluster.scheduler_address)}
    reports = {}
    for name, engine in engines.items():
        done: list[tuple[int, int]] = []
        with Store(tmp_path / name) as store:
            reports[name] = pipeline.ingest_paths(
                [corpus], store, workers=2, engine=engine, progress=lambda *p, seen=done: seen.append(p)
            )
        assert done == sorted(done) and done[-1] == (6, 6)
    local, dask = reports["local.db"], reports["dask.db"]
    assert (dask.files, len(dask.added)) == (6, 44)  # 5 seeds and 39 good rows
    assert [(p.source, p.code) for p in dask.problems] == [(f"{export}#L7", "bad-jsonl-line")]
    assert (dask.added, dask.problems) == (local.added, local.problems)
    # every table, the full-text indexes' own included, row for row; only the `ingested_at`
    # timestamps (of articles and sources) are left out, which differ between any two runs
    stored = dump(tmp_path / "local.db")
    assert dump(tmp_path / "dask.db") == stored
    assert len(stored["articles"]) == 44 and len(stored["sentences_fts"]) == len(stored["sentences"])


def test_only_a_window_of_tasks_is_read_ahead_and_closing_early_cancels_the_rest(
    tmp_path, monkeypatch, cluster
):
    monkeypatch.setattr(pipeline, "PIECES_PER_TASK", 4)
    export = _export(tmp_path / "xuất.jsonl", 60)
    pulled = pulled_lines(monkeypatch)
    results = distributed.in_order([export], 2, "syllable", scheduler=cluster.scheduler_address)
    files_done, articles, problems = next(results)
    # 2 worker threads × TASKS_PER_WORKER 2 = 4 tasks of 4 lines in flight, and the line that
    # closed the 4th
    assert (len(pulled), files_done, len(articles), problems) == (17, 0, 4, [])
    assert [a.source for a in articles] == [f"{export}#L{n}" for n in range(1, 5)]
    results.close()
    assert len(pulled) == 17
    deadline = time.monotonic() + 10
    while cluster.scheduler.tasks and time.monotonic() < deadline:  # released asynchronously
        time.sleep(0.05)
    assert not cluster.scheduler.tasks


def test_ingest_engine_dask_without_a_scheduler_runs_a_local_cluster(tmp_path):
    db = tmp_path / "t.db"
    args = ["ingest", str(EXAMPLES), "--db", str(db), "--engine", "dask", "-j", "2", "--json"]
    result = CliRunner().invoke(app, [*args, "--segmenter", "syllable"])
    assert result.exit_code == Exit.OK, result.output
    assert len(json.loads(result.stdout)["added"]) == 5


def test_without_dask_the_engine_is_refused_with_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # `import distributed` now fails
    with pytest.raises(distributed.EngineUnavailable, match=r"pip install 'nienbieu\[dask\]'"):
        distributed.engine()
    db = tmp_path / "t.db"
    result = CliRunner().invoke(app, ["ingest", str(EXAMPLES), "--db", str(db), "--engine", "dask"])
    assert result.exit_code == Exit.ERROR
    assert "the Dask engine needs dask.distributed" in result.stderr
    assert not db.exists()  # refused before the store was opened


def test_a_scheduler_is_refused_without_the_dask_engine(tmp_path):
    args = ["ingest", str(EXAMPLES), "--db", str(tmp_path / "t.db"), "--scheduler", "tcp://127.0.0.1:8786"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == Exit.USAGE
    assert "--engine dask" in result.output


def test_nienbieu_imports_without_dask_or_pyarrow():
    blocked = "import sys; sys.modules.update(dict.fromkeys(['dask', 'distributed', 'pyarrow']))"
    check = f"{blocked}; import nienbieu.cli, nienbieu.distributed, nienbieu.parquet; print('ok')"
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (0, "ok\n", "")
