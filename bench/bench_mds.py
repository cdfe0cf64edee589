"""ROUGE of the briefing on the Vietnamese MDS clusters, next to baselines computed in the same run.

For each cluster the word budget is the mean length (syllables) of its two human references;
every system is cut to that budget, then scored with ROUGE-1/2/L F1 (syllables, diacritics kept)
averaged over the two references, and averaged over clusters.

Systems: ours (`summarize.brief`), the original authors' machine summary (`*.sum.txt`), and a
lead baseline (first sentences of the documents, taken in turn). LexRank/TextRank baselines
are still to come (issue 5).

    .venv/bin/python bench/bench_mds.py [../shared/eval/vietnamese-mds/clusters] [N clusters]
"""

from __future__ import annotations

import sys
from pathlib import Path
from statistics import mean

from nienbieu import nlp, pipeline, rouge, summarize
from nienbieu.models import Article, Paragraph


def cluster_articles(folder: Path) -> list[Article]:
    articles = []
    for body in sorted(folder.glob("*.body.txt")):
        paragraphs = [Paragraph(p.strip()) for p in body.read_text(encoding="utf-8").split("\n") if p.strip()]
        articles.append(pipeline.analyze(Article(id=body.stem, source=str(body), body=paragraphs)))
    return articles


def lead(articles: list[Article]) -> str:
    queues = [[s for p in a.body for s in nlp.split_sentences(p.text)] for a in articles]
    out = []
    for depth in range(max(map(len, queues), default=0)):
        out += [q[depth] for q in queues if depth < len(q)]
    return " ".join(out)


def main() -> None:
    args = sys.argv[1:]
    root = Path(args[0] if args else "../shared/eval/vietnamese-mds/clusters")
    folders = sorted(p for p in root.iterdir() if p.is_dir())[: int(args[1]) if len(args) > 1 else None]
    table: dict[str, dict[str, list[float]]] = {}
    for folder in folders:
        refs = [r.read_text(encoding="utf-8") for r in sorted(folder.glob("*.ref[12].txt"))]
        budget = round(mean(len(rouge.tokens(r)) for r in refs))
        articles = cluster_articles(folder)
        systems = {
            "ours (brief)": " ".join(s.text for s in summarize.brief(articles, words=budget).sentences),
            "authors' system": next(folder.glob("*.sum.txt")).read_text(encoding="utf-8"),
            "lead": lead(articles),
        }
        for name, text in systems.items():
            scores = rouge.rouge(rouge.truncate(text, budget), refs)
            row = table.setdefault(name, {k: [] for k in scores})
            for k, s in scores.items():
                row[k].append(s.f1)
    print(f"clusters: {len(folders)}")
    print(f"{'system':18s} ROUGE-1  ROUGE-2  ROUGE-L   (F1, mean over clusters)")
    for name, row in table.items():
        print(
            f"{name:18s} {mean(row['rouge-1']):.4f}   {mean(row['rouge-2']):.4f}   {mean(row['rouge-l']):.4f}"
        )


if __name__ == "__main__":
    main()
