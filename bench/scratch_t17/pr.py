import sys
sys.path.insert(0, "/work/wt-t17/bench")
import bench_t17
from nienbieu import rouge
orig_score = bench_t17.score
acc = {}
def score(system, reference):
    s = orig_score(system, reference)
    acc.setdefault(len(acc) % 2, []).append(s)
    return s
bench_t17.score = score
sys.argv = ["x", "--systems", sys.argv[1]]
bench_t17.main()
rows = acc[0] + acc.get(1, [])
for m in ("ar-1", "ar-2", "date"):
    a = rouge.average([r[m] for r in rows]); print(m, f"P {a.precision:.4f} R {a.recall:.4f}")
