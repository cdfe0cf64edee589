"""The library API: each function is one whole job, and each CLI command calls one of them."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from nienbieu import clean, ingest, nlp, timex
from nienbieu.models import Article, Problem, Sentence, Severity
from nienbieu.store import Store


def analyze(article: Article) -> Article:
    """Split body paragraphs into sentences and tag their time expressions."""
    sentences: list[Sentence] = []
    for number, paragraph in enumerate(article.body):
        if paragraph.kind == "heading":
            continue  # headings carry no dated facts of their own
        split = nlp.split_sentences(paragraph.text)
        for text, in_quote in zip(split, nlp.quote_states(split), strict=True):
            sentences.append(Sentence(len(sentences), text, number, in_quote, article_id=article.id))
    dct = article.published.date() if article.published else None
    for sentence, found in zip(sentences, timex.tag_document((s.text for s in sentences), dct), strict=True):
        sentence.timexes = found
    article.sentences = sentences
    return article


def process(raw_documents: Iterable, problems: list[Problem]) -> list[Article]:
    articles = []
    for raw in raw_documents:
        article, found = clean.clean(raw)
        problems.extend(found)
        if not any(p.severity is Severity.ERROR for p in found):
            articles.append(analyze(article))
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


def ingest_paths(
    paths: Iterable[str | Path],
    store: Store,
    batch_size: int = 200,
    progress: Callable[[int, int], None] | None = None,
) -> IngestReport:
    """Read, clean, analyse and store articles; one transaction per batch of files."""
    files, problems = ingest.discover(paths)
    report = IngestReport(files=len(files), problems=problems)
    batch: list[Article] = []

    def flush() -> None:
        result = store.add(batch)
        report.added += result.added
        report.already_stored += result.already_stored
        report.replaced += result.replaced
        batch.clear()

    for done, path in enumerate(files, start=1):
        read = ingest.read_file(path)
        report.problems.extend(read.problems)
        batch.extend(process(read.documents, report.problems))
        if len(batch) >= batch_size:
            flush()
        if progress:
            progress(done, len(files))
    if batch:
        flush()
    return report
