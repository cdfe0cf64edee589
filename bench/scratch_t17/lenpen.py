import sys, math
sys.path.insert(0, "/work/wt-t17/bench")
import bench_t17, datewise
from nienbieu import rouge
from datewise import normalized, summed, cosine, MAX_SIMILARITY
ALPHA = float(sys.argv[1])
def centroid_opt(sentences, k, tfidf, keywords):
    vectors = [tfidf.vector(s) for s in sentences]
    centroid = normalized(summed(vectors))
    remaining = set(range(len(sentences)))
    selected = []
    while remaining and len(selected) < k:
        so_far = summed([vectors[i] for i in selected])
        scores = {i: cosine(normalized(summed([vectors[i], so_far])), centroid) - ALPHA * math.log(1 + len(tfidf.words(sentences[i]))) for i in remaining}
        for i in sorted(remaining, key=lambda i: (-scores[i], i)):
            remaining.discard(i)
            if keywords and not any(kw in sentences[i].lower() for kw in keywords):
                continue
            if any(cosine(vectors[i], vectors[j]) > MAX_SIMILARITY for j in selected):
                continue
            selected.append(i)
            break
    return [sentences[i] for i in selected]
datewise.centroid_opt = centroid_opt
sys.argv = ["x", "--systems", "DATEWISE"]
bench_t17.main()
