import pickle, sys
import numpy as np
sys.path.insert(0, "/work/wt-t17/bench")
from nienbieu import timeline
F = timeline.SENTENCE_FEATURES
data = pickle.load(open("/tmp/t17x/rows.pickle", "rb"))
topics = sorted({t for t, _ in data})

def fit(rows, col, l2=1.0, center=True, feats=None, rank=False):
    xs, ys, ws = [], [], []
    for _, dates in rows:
        for X, Y, k, V in dates:
            X = X[:, feats] if feats is not None else X
            y = Y[:, col] if isinstance(col, int) else Y[:, col].sum(axis=1)
            if rank:
                y = (np.argsort(np.argsort(y)) / (len(y) - 1))
            xs.append(X - X.mean(0) if center else X); ys.append(y - y.mean()); ws.append(np.full(len(y), 1 / (len(y) * len(dates))))
    x, y, w = np.vstack(xs), np.concatenate(ys), np.concatenate(ws)
    g = (x * w[:, None]).T @ x + l2 * np.eye(x.shape[1]) / len(rows)
    return np.linalg.solve(g, (x * w[:, None]).T @ y)

def evaluate(scorefn):
    out = []
    for t in topics:
        s = scorefn(t)
        vals = []
        for topic, dates in data:
            if topic != t: continue
            tl = []
            for X, Y, k, V in dates:
                pick = np.argsort(-s(X), kind="stable")[:k]
                tl.append(Y[pick].mean(0) - Y.mean(0))
            vals.append(np.mean(tl, axis=0))
        out += vals
    return np.mean(out, axis=0)  # per timeline mean, then mean

def show(name, r):
    print(f"{name:40s} r1f {r[2]:+.4f} r1r {r[1]:+.4f} r2f {r[5]:+.4f}")

show("oracle r1f", evaluate(lambda t: (lambda X: None)) if False else np.zeros(6))
# oracle
out = []
for topic, dates in data:
    out.append(np.mean([Y[np.argsort(-Y[:, 2])[:k]].mean(0) - Y.mean(0) for X, Y, k, V in dates], axis=0))
show("oracle r1f", np.mean(out, 0))
for f in F:
    i = F.index(f)
    show(f"single {f}", evaluate(lambda t, i=i: (lambda X: X[:, i])))
for col, name in [(2, "r1f"), (1, "r1r"), (5, "r2f"), ([2, 5], "r1f+r2f")]:
    for l2 in [0.1, 1, 10]:
        for rank in [False, True]:
            W = {t: fit([r for r in data if r[0] != t], col, l2, rank=rank) for t in topics}
            show(f"ridge {name} l2={l2} rank={rank}", evaluate(lambda t: (lambda X, w=W[t]: X @ w)))
