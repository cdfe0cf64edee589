import sys, math
sys.path.insert(0, "/work/wt-t17/bench")
import numpy as np
import train_date_ranker as tdr, bench_t17
from nienbieu import rouge, timeline, dating
from datetime import timedelta, date
base_rows = tdr.rows()
articles = bench_t17.load_articles()
extra = {}
def extras(buckets, pool):
    keys = list(buckets)
    ment = {k: sum(d.explicit for d in v) for k, v in buckets.items()}
    srcs = {k: len({d.article.id for d in v if d.explicit}) for k, v in buckets.items()}
    cols = []
    for k in keys:
        days = dating.period(k)
        if days and days[0] == days[1] and len(k) == 10:
            near = [srcs.get((days[0] + timedelta(days=o)).isoformat(), 0) for o in (-3,-2,-1,1,2,3)]
            burst = math.log1p(srcs[k]) - math.log1p(max(near))
            nb = math.log1p(sum(near))
        else:
            burst, nb = 0.0, 0.0
        # share of explicit mentions in the first sentence
        items = buckets[k]
        title = sum(d.explicit and d.sentence.index == 0 for d in items)
        cols.append([burst, nb, math.log1p(title)])
    m = np.array(cols, dtype=float).reshape(len(keys), -1)
    top = np.abs(m).max(axis=0); top[top == 0] = 1
    return m / top
rows = []
golds = bench_t17.load_golds()
for gold, r in zip(golds, base_rows):
    start, end = gold.span
    pool = [a for a in articles[gold.topic] if a.published and start <= a.published.date() <= end]
    buckets = timeline.assign(pool)
    rows.append((r[0], r[1], np.hstack([r[2], extras(buckets, pool)]), r[3], r[4], r[5]))
def loto(rs, cols):
    scores = []
    for topic, dates, feats, labels, inside, size in rs:
        train = [(a, b, c[:, cols], d, e, f) for a, b, c, d, e, f in rs if a != topic]
        w = tdr.fit(train)
        s = feats[:, cols] @ np.array(w.weights) + w.bias
        ranked = [i for i in np.argsort(-s, kind="stable") if inside[i]][:size]
        chosen = {dates[i] for i in ranked}
        gold = {d for d, l in zip(dates, labels) if l}
        scores.append(rouge.Score(len(chosen & gold) / max(1, len(chosen)), len(chosen & gold) / size))
    return rouge.average(scores).f1
n = base_rows[0][2].shape[1]
# monkeypatch fit to not assert feature names
orig = tdr.fit
print("base", loto(rows, list(range(n))))
for j, name in enumerate(["burst", "neighbors", "title"]):
    print(name, loto(rows, list(range(n)) + [n + j]))
print("all", loto(rows, list(range(n + 3))))
def expand(f, n):
    base = f[:, :n]
    prods = [base[:, i] * base[:, j] for i in range(9) for j in range(i, 9)]
    return np.hstack([base, np.array(prods).T])
rows2 = [(a, b, expand(c, n), d, e, f) for a, b, c, d, e, f in rows]
m = rows2[0][2].shape[1]
for l2 in (0.1, 1.0, 3.0):
    tdr.L2 = l2
    print("quadratic l2", l2, loto(rows2, list(range(m))))
tdr.L2 = 0.1
for out in (0.0, 0.3, 1.0):
    tdr.OUTSIDE = out
    print("outside", out, loto(rows, list(range(n))))
