import pickle, sys, os
sys.path.insert(0, "/work/wt-t17/bench")
import numpy as np
import bench_t17
from nienbieu import rouge, summarize, timeline
CACHE = "/tmp/t17x/rows.pickle"
if os.path.exists(CACHE):
    data = pickle.load(open(CACHE, "rb"))
else:
    articles = bench_t17.load_articles()
    english = rouge.english()
    data = []
    for gold in bench_t17.load_golds():
        start, end = gold.span
        pool = [a for a in articles[gold.topic] if a.published and start <= a.published.date() <= end]
        buckets, leads = timeline.assign(pool), timeline._leads(pool)
        idf = timeline._Idf([s.text for a in pool for s in a.sentences])
        keep = bench_t17.has_keyword(gold.keywords)
        k = round(sum(map(len, gold.reference.values())) / len(gold.reference))
        dates = []
        for key, summary in gold.reference.items():
            if key not in buckets: continue
            lines = [d for d in timeline.candidate_lines(key, buckets[key], leads)[0] if keep(d.sentence) and summarize.is_summary_material(d.sentence)]
            if len(lines) < 2: continue
            found = timeline.pool(key, lines, idf)
            ref = " ".join(summary)
            sc = [(rouge.rouge_n(d.sentence.text, ref, 1, english), rouge.rouge_n(d.sentence.text, ref, 2, english)) for d in lines]
            y = np.array([[a.precision, a.recall, a.f1, b.precision, b.recall, b.f1] for a, b in sc])
            dates.append((found.features, y, k, found.vectors))
        data.append((gold.topic, dates))
    pickle.dump(data, open(CACHE, "wb"))
print("loaded", sum(len(d) for _, d in data), "dates")
