"""The library API: each function is one whole job, and each CLI command calls one of them."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from nienbieu import clean, dating, dedup, entities, ingest, nlp, timex
from nienbieu.models import Article, DateProvenance, Problem, Quote, Sentence, Severity
from nienbieu.store import Store


def analyze(article: Article, segmenter: str | None = None) -> Article:
    """Split body paragraphs into sentences, find their entities and quotes and tag their time
    expressions. `segmenter`: a word segmenter of `nlp.SEGMENTERS` (default: the best installed)."""
    sentences: list[Sentence] = []
    for number, paragraph in enumerate(article.body):
        if paragraph.kind == "heading":
            continue  # headings carry no dated facts of their own
        split = nlp.split_sentences(paragraph.text)
        for text, in_quote in zip(split, nlp.quote_states(split), strict=True):
            sentences.append(Sentence(len(sentences), text, number, in_quote, article_id=article.id))
    article.sentences = sentences
    recognise_entities(article, segmenter)
    article.fingerprint = dedup.fingerprint(article)
    return retag(article)


def recognise_entities(article: Article, segmenter: str | None = None) -> Article:
    """Named entities of every sentence and the article's attributed quotes."""
    words = [nlp.segment(sentence.text, segmenter) for sentence in article.sentences]
    for sentence, segmented in zip(article.sentences, words, strict=True):
        sentence.mentions = entities.recognise(sentence.text, words=segmented)
    if entities.writes_names_in_lower_case(article.sentences):
        for sentence, segmented in zip(article.sentences, words, strict=True):
            sentence.mentions = entities.recognise(sentence.text, sloppy=True, words=segmented)
    for sentence in article.sentences:
        sentence.quotes = []
    for quote in entities.attribute_quotes(article.sentences):
        article.sentences[quote.sentence_index].quotes.append(quote)
    return article


def retag(article: Article) -> Article:
    """(Re-)tag time expressions against the article's publication date, stated or inferred."""
    dct = article.published.date() if article.published else None
    window = None if dating.is_reliable(article) else article.published_window
    tagged = timex.tag_document((s.text for s in article.sentences), dct, window)
    for sentence, found in zip(article.sentences, tagged, strict=True):
        sentence.timexes = found
    return article


def infer_dates(
    articles: list[Article], today: date | None = None, corpus: dating.DatedCorpus | None = None
) -> list[Article]:
    """Estimate publication dates of articles that state none, from their text and the
    dated articles of the corpus (`corpus`, default: `articles` themselves, e.g.
    `Store.dated_corpus()`); re-tag their time expressions. Returns the changed ones.

    (Estimating on forked workers was tried: one second saved at 10,000 articles, for a gigabyte
    more memory, because each worker weighs the same candidate articles again.)"""
    pending = [a for a in articles if a.published_provenance is not DateProvenance.STATED]
    if not pending:
        return []
    corpus = corpus or dating.DatedCorpus.build(articles)
    changed = []
    for article in pending:
        estimate = dating.infer_dct(article, corpus, today)
        if estimate is None:
            if article.published_provenance is DateProvenance.UNKNOWN:
                continue
            article.published, article.published_window, article.published_confidence = None, None, None
            article.published_provenance, article.published_evidence = DateProvenance.UNKNOWN, None
        else:
            article.published = datetime(estimate.date.year, estimate.date.month, estimate.date.day)
            article.published_provenance = DateProvenance.INFERRED
            article.published_window = (estimate.start, estimate.end)
            article.published_confidence = estimate.confidence
            article.published_evidence = "; ".join(estimate.evidence[:12])
        changed.append(retag(article))
    return changed


def process(raw_documents: Iterable, problems: list[Problem], segmenter: str | None = None) -> list[Article]:
    articles = []
    for raw in raw_documents:
        article, found = clean.clean(raw)
        problems.extend(found)
        if not any(p.severity is Severity.ERROR for p in found):
            articles.append(analyze(article, segmenter))
    return articles


@dataclass(slots=True)
class IngestReport:
    files: int = 0
    added: list[str] = field(default_factory=list)
    already_stored: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def skipped(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.ERROR]


# A worker process loads the segmenter's models (about a second) before it earns its keep.
FILES_PER_WORKER = 20


def read_and_process(path: Path, segmenter: str | None = None) -> tuple[list[Article], list[Problem]]:
    """One file: read, clean and analyse its documents (runs in a worker process)."""
    read = ingest.read_file(path)
    problems = list(read.problems)
    return process(read.documents, problems, segmenter), problems


def _in_order(
    files: list[Path], workers: int, segmenter: str | None
) -> Iterator[tuple[list[Article], list[Problem]]]:
    """`read_and_process` over the files, on `workers` processes, results in file order."""
    work = functools.partial(read_and_process, segmenter=segmenter)
    if workers <= 1 or len(files) < 2:
        yield from map(work, files)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(work, files)


def ingest_paths(
    paths: Iterable[str | Path],
    store: Store,
    batch_size: int = 200,
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
    segmenter: str | None = None,
) -> IngestReport:
    """Read, clean, analyse and store articles; one transaction per batch of files.

    With `workers` > 1 (default: one per core once there are enough files to share) the
    analysis (the slow part: word segmentation) runs on that many processes; storing stays in
    this one, in file order, so the result does not depend on it.
    `segmenter="syllable"` skips statistical word segmentation: several times faster, a few
    points less entity F1 (README, "Speed")."""
    files, problems = ingest.discover(paths)
    report = IngestReport(files=len(files), problems=problems)
    if workers is None:
        workers = min(os.cpu_count() or 1, len(files) // FILES_PER_WORKER) or 1
    batch: list[Article] = []

    def flush() -> None:
        result = store.add(batch)
        report.added += result.added
        report.already_stored += result.already_stored
        report.replaced += result.replaced
        batch.clear()

    for done, (articles, found) in enumerate(_in_order(files, workers, segmenter), start=1):
        report.problems.extend(found)
        batch.extend(articles)
        if len(batch) >= batch_size:
            flush()
        if progress:
            progress(done, len(files))
    if batch:
        flush()
    settle(store)
    return report


def settle(store: Store) -> None:
    """What storing articles changes beyond themselves, computed for the articles not settled
    yet (those just stored, and any a killed run left): publication dates of the undated ones,
    estimated against the whole stored corpus, then near-duplicate groups.

    Dates estimated earlier are kept: `redate` estimates every one again."""
    pending = store.articles(ids=store.pending(undated=True))
    if pending:
        store.update_dating(infer_dates(pending, corpus=store.dated_corpus()))
    store.update_duplicates(store.pending())


def redate(store: Store, today: date | None = None) -> int:
    """Estimate the publication date of every stored article that states none again (dates
    inferred at ingest saw only the articles stored by then). Returns how many changed."""
    pending = [a for a in store.articles() if a.published_provenance is not DateProvenance.STATED]
    before = {a.id: (a.published, a.published_confidence) for a in pending}
    changed = infer_dates(pending, today, corpus=store.dated_corpus())
    store.update_dating(changed)
    store.update_duplicates()  # who is earliest in a group may have changed
    return sum(before[a.id] != (a.published, a.published_confidence) for a in changed)


def corpus_entities(store: Store) -> tuple[list[Article], list[entities.Entity]]:
    """Every stored article (near-duplicate copies left out) with canonical entity names, and
    the entities themselves.

    Articles stored before entity recognition existed are analysed now, once."""
    pending = set(store.without_entities())
    articles = store.articles(canonical_only=True)  # a syndicated copy would count every name twice
    if pending:
        store.update_entities(recognise_entities(a) for a in articles if a.id in pending)
    found = entities.link(articles)
    entities.canonical_speakers(articles)
    return articles, found


def corpus_quotes(articles: Iterable[Article], who: str | None = None) -> list[tuple[Article, Quote]]:
    """Attributed quotes, oldest article first; `who` matches any part of the speaker's name."""
    wanted = (who or "").lower()
    return [
        (article, quote)
        for article in articles
        for sentence in article.sentences
        for quote in sentence.quotes
        if not wanted or (quote.speaker and wanted in quote.speaker.lower())
    ]
