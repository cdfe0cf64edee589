"""Search latency on a large synthetic store: p50/p95/max over a fixed mix of queries.

The store is filled directly (no NLP: search reads only sentences, articles and mentions):
N articles of 16 sentences drawn from the MDS articles' sentences with one word dropped or
swapped now and then, 12 outlets, publication dates over five years, and a mention of a name
from a small list in a tenth of the sentences (for --entity).

Queries (fixed seed): single words and word pairs as written, the same without diacritics,
three-word phrases, and a quarter of them with a date range, an outlet or an entity filter.
Baseline in the same run: one `LIKE '%…%'` scan over all sentences (what search without an
index would cost).

    .venv/bin/python bench/bench_search.py [N articles, default 100000] [DB path]
"""

from __future__ import annotations

import random
import re
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from statistics import quantiles

import mds

from nienbieu import nlp, search
from nienbieu.models import Article, DateProvenance, Mention, Sentence
from nienbieu.store import Store

OUTLETS = ["VTV", "VTC News", "VnExpress", "Tuổi Trẻ", "Thanh Niên", "Dân trí", "VietNamNet", "Zing",
           "Lao Động", "Người Lao Động", "Tiền Phong", "Nhân Dân"]  # fmt: skip
NAMES = ["Jens Stoltenberg", "Joe Biden", "Donald Trump", "Nguyễn Xuân Phúc", "Vladimir Putin", "Hà Nội"]


def sentence_pool() -> list[str]:
    pool = []
    for body in sorted(mds.CLUSTERS.glob("*/*.body.txt")):
        for line in body.read_text(encoding="utf-8").split("\n"):
            pool += [s for s in nlp.split_sentences(line) if len(s.split()) >= 6]
    return pool


def _perturb(sentence: str, rng: random.Random) -> str:
    words = sentence.split()
    if rng.random() < 0.3:
        del words[rng.randrange(len(words))]
    return " ".join(words)


def articles(n: int, rng: random.Random, pool: list[str]):
    first = date(2020, 1, 1)
    for k in range(n):
        sentences = []
        for i in range(16):
            text = _perturb(rng.choice(pool), rng)
            mentions = []
            if rng.random() < 0.1:
                name = rng.choice(NAMES)
                mentions = [Mention(len(text) + 1, len(text) + 1 + len(name), name, "PER")]
                text = f"{text} {name}"
            sentences.append(Sentence(i, text, i, mentions=mentions))
        published = datetime.combine(first + timedelta(days=rng.randrange(5 * 365)), datetime.min.time())
        yield Article(
            id=f"s{k:07d}", source=f"synthetic/{k}", body=[], title=sentences[0].text[:80],
            outlet=rng.choice(OUTLETS), published=published,
            published_provenance=DateProvenance.STATED, sentences=sentences,
        )  # fmt: skip


def queries(rng: random.Random, pool: list[str], count: int = 200) -> list[tuple[str, search.Filters]]:
    out = []
    for k in range(count):
        words = re.findall(r"\w+", rng.choice(pool))
        start = rng.randrange(max(1, len(words) - 3))
        kind = k % 4
        if kind == 0:
            text = words[start]
        elif kind == 1:
            text = " ".join(words[start : start + 2])
        elif kind == 2:
            text = search.fold(" ".join(words[start : start + 2]))
        else:
            text = '"' + " ".join(words[start : start + 3]) + '"'
        filters = search.Filters()
        if k % 8 == 1:
            day = date(2020, 1, 1) + timedelta(days=rng.randrange(4 * 365))
            filters = search.Filters(start=day, end=day + timedelta(days=90))
        elif k % 8 == 3:
            filters = search.Filters(outlet=search.fold(rng.choice(OUTLETS)))
        elif k % 8 == 5:
            filters = search.Filters(entity=rng.choice(NAMES).lower())
        out.append((text, filters))
    return out


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    path = Path(sys.argv[2] if len(sys.argv) > 2 else f"/tmp/nienbieu-search-{n}.db")
    rng = random.Random(11)
    pool = sentence_pool()
    with Store(path) as store:
        if store.count() < n:
            started = time.perf_counter()
            batch: list[Article] = []
            for article in articles(n, rng, pool):
                batch.append(article)
                if len(batch) == 2000:
                    store.add(batch)
                    batch.clear()
            store.add(batch)
            print(f"built {n:,} articles in {time.perf_counter() - started:.0f} s ({path})")
        sentences = store.conn.execute("SELECT count(*) FROM sentences").fetchone()[0]
        started = time.perf_counter()
        store.conn.execute(
            "SELECT count(*) FROM sentences WHERE text LIKE '%hội nghị thượng đỉnh%'"
        ).fetchone()
        scan_ms = (time.perf_counter() - started) * 1000
        times, empty = [], 0
        for text, filters in queries(random.Random(5), pool):
            started = time.perf_counter()
            hits = store.search(text, filters, limit=20)
            times.append((time.perf_counter() - started) * 1000)
            empty += not hits
    p = quantiles(times, n=100)
    print(f"articles: {n:,}   sentences: {sentences:,}   queries: {len(times)} ({empty} without hits)")
    print(f"latency ms: p50 {p[49]:.1f}   p95 {p[94]:.1f}   max {max(times):.1f}")
    print(f"baseline, one LIKE scan of all sentences: {scan_ms:.0f} ms   (p95 / scan: {p[94] / scan_ms:.3f})")


if __name__ == "__main__":
    main()
