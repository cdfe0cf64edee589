"""Load on the web app: latency per page and API route, errors and server memory, with many
clients at once against a big store, on this machine (a bounded run: it stops by itself).

The store is bench_scale's synthetic corpus (random mixes of MDS sentences, dates spread over
years), built once by `pipeline.ingest_paths` and kept in out/bench_web/. The server is
`nienbieu serve` in its own process; CLIENTS threads send REQUESTS requests in all, each
picking a route at random from the mix below with parameters drawn from the store (stories,
articles, entity names, search words), so that some answers are new to the server and some are
repeats, as with a newsroom reading the same stories. Reported: p50/p95 per route (ms), errors,
the server's resident memory after the first tenth of the requests and at the end, and its
CPU time (steadier than latencies on a shared machine).

    .venv/bin/python bench/bench_web.py [--articles 100000] [--clients 20] [--requests 3000]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from contextlib import suppress
from pathlib import Path
from statistics import quantiles
from urllib.parse import quote

import bench_scale

from nienbieu import pipeline
from nienbieu.store import Store

OUT = Path(__file__).resolve().parent.parent / "out" / "bench_web"
WORDS = ["Hà Nội", "ha noi", "bão", "Nhật Bản", "tai nạn", "máy bay", "bóng đá", "giá vàng", "Mỹ", "học sinh"]


def build(n: int) -> Path:
    db = OUT / f"store-{n}.db"
    if db.exists():
        return db
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        bench_scale.write_corpus(n, Path(tmp))
        started = time.perf_counter()
        building = OUT / f"building-{n}.db"  # per size: two builds at once must not share a file
        building.unlink(missing_ok=True)
        with Store(building) as store:
            pipeline.ingest_paths([Path(tmp)], store, workers=2, segmenter="syllable")
        print(f"built a store of {n} articles in {time.perf_counter() - started:.0f} s")
    building.rename(db)
    return db


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tree(pid: int) -> list[int]:
    """The process and its descendants (the server's worker process for entity pages)."""
    children = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with suppress(OSError):
            children += [int(c) for c in (task / "children").read_text().split()]
    return [pid, *(p for child in children for p in _tree(child))]


def _rss_kib(pid: int) -> int:
    """Resident memory of the process and its descendants."""
    total = 0
    for member in _tree(pid):
        with suppress(OSError):
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total


def _cpu_seconds(pid: int) -> float:
    """User and system time of the process and its live descendants (/proc/PID/stat fields 14
    and 15, in clock ticks)."""
    ticks = 0
    for member in _tree(pid):
        with suppress(OSError):
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def _get(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request("GET", path)
        reply = conn.getresponse()
        return reply.status, reply.read()
    finally:
        conn.close()


def _routes(port: int) -> dict[str, list[str]]:
    stories = json.loads(_get(port, "/api/stories?limit=50")[1])
    articles = json.loads(_get(port, "/api/articles?limit=500")[1])
    story_ids = [s["id"] for s in stories]
    article_ids = [a["id"] for a in articles]
    names = [e["name"] for e in json.loads(_get(port, f"/api/entities?story={story_ids[0]}&limit=30")[1])]
    return {
        "page /": ["/"],
        "page /timeline": [f"/timeline?story={s}" for s in story_ids[:20]],
        "page /brief": [f"/brief?story={s}" for s in story_ids[:20]],
        "page /search": [f"/search?q={quote(w)}" for w in WORDS],
        "page /articles/ID": [f"/articles/{a}" for a in article_ids],
        "page /entities/NAME": [f"/entities/{quote(n, safe='')}" for n in names[:10]],
        "api /api/stories": ["/api/stories?limit=50"],
        "api /api/timeline": [f"/api/timeline?story={s}" for s in story_ids[:20]],
        "api /api/search": [f"/api/search?q={quote(w)}" for w in WORDS],
        "api /api/articles/ID": [f"/api/articles/{a}" for a in article_ids],
        "api /api/entities": [f"/api/entities?story={s}&limit=50" for s in story_ids[:20]],
    }


def run(db: Path, clients: int, requests: int, seed: int = 5) -> None:
    port = _port()
    start = "from nienbieu.cli import main; main()"
    log = (OUT / "server.log").open("w")  # the server's own log, for the errors
    server = subprocess.Popen([sys.executable, "-c", start, "serve", "--db", str(db), "--port", str(port)],
                              stdout=log, stderr=log)  # fmt: skip
    try:
        for _ in range(300):
            try:
                _get(port, "/api/stories?limit=1")
                break
            except OSError:
                time.sleep(0.2)
        routes = _routes(port)
        rng = random.Random(seed)
        plan = [
            (kind, rng.choice(paths))
            for kind, paths in (rng.choice(list(routes.items())) for _ in range(requests))
        ]
        timings: dict[str, list[float]] = defaultdict(list)
        errors: list[str] = []
        lock = threading.Lock()
        memory: list[int] = []

        def client(share: list[tuple[str, str]]) -> None:
            for kind, path in share:
                began = time.perf_counter()
                try:
                    status, _ = _get(port, path)
                except OSError as exc:
                    status, _ = 0, str(exc).encode()
                took = (time.perf_counter() - began) * 1000
                with lock:
                    timings[kind].append(took)
                    if status != 200:
                        errors.append(f"{status} {path}")
                    if sum(map(len, timings.values())) == requests // 10:
                        memory.append(_rss_kib(server.pid))

        threads = [threading.Thread(target=client, args=(plan[i::clients],)) for i in range(clients)]
        began = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - began
        memory.append(_rss_kib(server.pid))
        cpu = _cpu_seconds(server.pid)
    finally:
        server.terminate()
        server.wait(10)
    print(f"{requests} requests from {clients} clients in {wall:.1f} s ({requests / wall:.0f}/s); "
          f"errors: {len(errors)}")  # fmt: skip
    print(f"{'route':24s} {'n':>5s} {'p50 ms':>8s} {'p95 ms':>8s} {'max ms':>8s}")
    for kind in routes:
        values = sorted(timings[kind])
        if len(values) >= 2:
            cuts = quantiles(values, n=20)
            print(f"{kind:24s} {len(values):>5d} {cuts[9]:>8.1f} {cuts[18]:>8.1f} {values[-1]:>8.1f}")
    print(f"server memory (RSS, its worker too): {memory[0] / 1024:.0f} MiB after {requests // 10} requests, "
          f"{memory[-1] / 1024:.0f} MiB at the end")  # fmt: skip
    # the server's own CPU time: on a shared machine, steadier than its latencies
    print(f"server CPU (with its worker): {cpu:.1f} s (start-up and the routes' set-up requests included)")
    for e in errors[:10]:
        print("error:", e)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=3000)
    args = parser.parse_args()
    db = build(args.articles)
    with Store(db, readonly=True) as store:
        print(f"store: {store.count()} articles, {len(store.story_rows())} stories ({db})")
    run(db, args.clients, args.requests)


if __name__ == "__main__":
    main()
