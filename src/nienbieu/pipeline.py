"""The library API: each function is one whole job, and each CLI command calls one of them."""

from __future__ import annotations

import ctypes
import dataclasses
import functools
import itertools
import os
import queue
import signal
import sqlite3
import threading
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol

import threadpoolctl

from nienbieu import attribution, clean, dating, dedup, entities, ingest, nlp, timex
from nienbieu.models import Article, DateProvenance, FileStat, Problem, Quote, Sentence, Severity, StoryRow
from nienbieu.scope import Scope, articles_in
from nienbieu.store import Replacement, Store, Timings, timed


def analyze(article: Article, segmenter: str | None = None) -> Article:
    """Split body paragraphs into sentences, find their entities and quotes and tag their time
    expressions. `segmenter`: a word segmenter of `nlp.SEGMENTERS` (default: the best installed)."""
    sentences: list[Sentence] = []
    for number, paragraph in enumerate(article.body):
        if paragraph.kind == "heading":
            continue  # headings carry no dated facts of their own
        split = nlp.split_sentences(paragraph.text)
        # a quotation may run over paragraphs: "ông Kerry cho biết: “…" … "…”."
        inside = bool(sentences) and _left_open(sentences[-1]) and nlp.continues_quote(paragraph.text)
        for text, in_quote in zip(split, nlp.quote_states(split, inside), strict=True):
            sentences.append(Sentence(len(sentences), text, number, in_quote, article_id=article.id))
    article.sentences = sentences
    recognise_entities(article, segmenter)
    # what storing needs of the text, computed here: on a worker process when there are several
    article.fingerprint = dedup.fingerprint(article)
    article.terms = frozenset(dating.term_set(s.text for s in sentences))
    for sentence in sentences:
        sentence.folded = nlp.fold(sentence.text)
    return retag(article)


def _left_open(sentence: Sentence) -> bool:
    stretches = nlp.quoted_stretches(sentence.text, sentence.in_quote)
    return bool(stretches) and not stretches[-1][2]


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
    found = entities.attribute_quotes(article.sentences)
    for quote in attribution.attribute(article.sentences, found):
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
            problems.extend(_overlong_sentences(article))
            articles.append(analyze(article, segmenter))
    return articles


def _overlong_sentences(article: Article) -> list[Problem]:
    """A warning when the text has "sentences" too long to be real ones (a page that lost its
    punctuation): they are stored cut at clause marks, and the user should know."""
    cut = sum(nlp.overlong_sentences(p.text) for p in article.body if p.kind != "heading")
    if not cut:
        return []
    message = (
        f"{cut} sentence{'s' if cut > 1 else ''} longer than {nlp.MAX_SENTENCE_CHARS:,} characters"
        " (missing sentence punctuation?) stored cut at clause marks"
    )
    return [Problem(article.source, Severity.WARNING, "overlong-sentences", message)]


@dataclass(slots=True)
class IngestReport:
    files: int = 0
    added: list[str] = field(default_factory=list)
    already_stored: list[str] = field(default_factory=list)  # read, and found stored from elsewhere
    replaced: list[Replacement] = field(default_factory=list)
    unchanged: list[ingest.Unchanged] = field(default_factory=list)  # not read again, or not analysed
    problems: list[Problem] = field(default_factory=list)
    # wall-clock seconds by stage: "waiting for analysis", "storing", then settling's steps
    timings: Timings = field(default_factory=dict)

    @property
    def skipped(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.ERROR]

    @property
    def unchanged_count(self) -> int:
        """Articles (files and JSONL lines) found unchanged since they were stored."""
        return sum(u.count for u in self.unchanged)

    def as_dict(self, total: int) -> dict[str, Any]:
        """The report as `nienbieu ingest --json` prints it; `total`: articles now in the store."""
        return {
            "files": self.files,
            "added": self.added,
            "already_stored": self.already_stored,
            "unchanged": [{"source": u.path, "articles": u.count} for u in self.unchanged],
            "replaced": [dataclasses.asdict(r) for r in self.replaced],
            "articles_in_store": total,
            "problems": [
                {"source": p.source, "severity": str(p.severity), "code": p.code, "message": p.message}
                for p in self.problems
            ],
        }

    def summary(self, total: int) -> str:
        """One line: what the batch did, and how many articles the store now holds."""
        removed = sum(r.removed for r in self.replaced)
        parts = [_count(len(self.added), "new article"), f"{len(self.already_stored)} already stored",
                 f"{self.unchanged_count} unchanged"]  # fmt: skip
        if removed:
            parts.append(f"{removed} replaced (earlier versions removed)")
        if kept := len(self.replaced) - removed:
            parts.append(f"{kept} updated (earlier versions kept: other sources have them)")
        parts.append(f"{len(self.skipped)} skipped")
        return f"{_count(self.files, 'file')}: {', '.join(parts)}; {_count(total, 'article')} in store"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


# A worker process loads the segmenter's models (about a second, some 20 articles of analysis)
# before it earns its keep.
ARTICLES_PER_WORKER = 20
# Only to choose the number of workers: a news article is a JSONL row of 3 to 6 KB.
JSONL_BYTES_PER_ARTICLE = 4096
# One task for a worker: enough pieces (about one article each) that sending them costs little
# next to analysing them, few enough that the tasks in flight hold little memory.
PIECES_PER_TASK = 24
# Tasks in flight per worker: one running and one waiting; more would only hold more documents
# in memory.
TASKS_PER_WORKER = 2
# Analysed tasks held ready for storing (about 24 articles each): their results are collected by a
# thread of their own, so the workers get new tasks while this process stores; without it they
# idled through every batch stored, and used 40-56% of two cores. A batch of 200 articles is
# 9 tasks: a whole batch stored while the workers analyse the next one.
READ_AHEAD = 12


def read_and_process(
    pieces: list[ingest.Piece | Problem], segmenter: str | None = None
) -> tuple[list[Article], list[Problem]]:
    """One task: read, clean and analyse its pieces (runs in a worker process); articles and
    problems in piece order. A `Problem` among the pieces was found while splitting the file."""
    articles: list[Article] = []
    problems: list[Problem] = []
    for piece in pieces:
        if isinstance(piece, Problem):
            problems.append(piece)
            continue
        read = ingest.read_piece(piece)
        problems.extend(read.problems)
        articles.extend(process(read.documents, problems, segmenter))
    return articles, problems


@dataclass(slots=True)
class _Task:
    pieces: list[ingest.Piece | Problem]
    files_done: int  # files whose every piece is in this task or an earlier one


def _tasks(files: list[Path], skipping: _Skipping | None = None) -> Iterator[_Task]:
    """The pieces of the files in file order then line order, `PIECES_PER_TASK` to a task (a
    task may span files); read lazily, so one big JSONL file is never held whole. What the
    store shows unchanged goes to `skipping`, not into a task: it is not analysed again."""
    skipping = skipping or _Skipping(None)
    pieces: list[ingest.Piece | Problem] = []
    for before, path in enumerate(files):
        for piece in ingest.pieces(path, skipping.known):
            if isinstance(piece, ingest.Unchanged):
                skipping.skip(piece)
                continue
            # A full task goes out only once a piece of `path` follows it: the files before
            # `path` are then certainly done, whatever the task holds.
            if len(pieces) == PIECES_PER_TASK:
                yield _Task(pieces, before)
                pieces = []
            pieces.append(piece)
    yield _Task(pieces, len(files))


@dataclass(slots=True)
class _Skipping:
    """What the store records of the inputs read before (`known`), the inputs found unchanged,
    and the new stats of those found touched but identical, until they are recorded."""

    known: ingest.Known | None
    unchanged: list[ingest.Unchanged] = field(default_factory=list)
    touched: list[tuple[str, FileStat]] = field(default_factory=list)

    def skip(self, item: ingest.Unchanged) -> None:
        self.unchanged.append(item)
        if item.stat:
            self.touched.append((item.path, item.stat))


# What an engine yields, task by task in task order: (files done, articles, problems)
_Item = tuple[int, list[Article], list[Problem]]
Results = Generator[_Item, None, None]


class Engine(Protocol):
    """Runs `read_and_process` over the tasks of the files and yields the results in task order
    (`_in_order` on local processes, or `nienbieu.distributed`'s on a Dask cluster)."""

    def __call__(
        self, files: list[Path], workers: int, segmenter: str | None, skipping: _Skipping | None = None
    ) -> Results: ...


class _Pending(Protocol):
    """A submitted task: a `concurrent.futures.Future` or a Dask one."""

    def result(self) -> tuple[list[Article], list[Problem]]: ...


def _in_order(
    files: list[Path], workers: int, segmenter: str | None, skipping: _Skipping | None = None
) -> Results:
    """`read_and_process` over the tasks of the files, on `workers` processes; results in task
    order with the files done. At most `TASKS_PER_WORKER` tasks per worker are in flight, so
    memory stays bounded however much there is to read. Closing the generator early (an error,
    a signal) terminates the workers at once instead of letting them finish their tasks."""
    work = functools.partial(read_and_process, segmenter=segmenter)
    tasks = _tasks(files, skipping)
    head = list(itertools.islice(tasks, 2))
    if workers <= 1 or len(head) < 2:  # one task: starting processes would cost more than it saves
        for task in itertools.chain(head, tasks):
            yield task.files_done, *work(task.pieces)
        return
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_worker_started, initargs=(os.getpid(),))
    try:
        submit = functools.partial(pool.submit, work)
        yield from in_task_order(itertools.chain(head, tasks), submit, TASKS_PER_WORKER * workers)
    except BaseException:
        _terminate(pool)
        raise
    pool.shutdown()


def in_task_order(
    tasks: Iterable[_Task], submit: Callable[[list[ingest.Piece | Problem]], _Pending], window: int
) -> Results:
    """Submit the tasks' pieces and yield their results in task order, with at most `window`
    tasks in flight: the next task is read only once the oldest result is taken."""
    in_flight: deque[tuple[int, _Pending]] = deque()
    for task in tasks:
        in_flight.append((task.files_done, submit(task.pieces)))
        if len(in_flight) >= window:
            files_done, future = in_flight.popleft()
            yield files_done, *future.result()
    for files_done, future in in_flight:
        yield files_done, *future.result()


def one_blas_thread() -> None:
    """Matrix products on one thread in this process. Ours are small (a briefing's similarity
    graph of at most `summarize.BRIEF_POOL` sentences) and the cores are already filled by our
    own processes and threads (ingest workers, the web server's requests): OpenBLAS's threads
    then fight them. On a busy 2-core machine, LexRank over an 879-sentence pool took 1.17 s
    with them and 0.09 s on one thread."""
    threadpoolctl.threadpool_limits(limits=1, user_api="blas")


@dataclass(slots=True)
class _Failed:
    error: BaseException


_END = object()


def _read_ahead(results: Results, depth: int = READ_AHEAD) -> Results:
    """The items of `results` (any engine's analysed tasks in task order), pulled by a thread of
    its own up to `depth` ahead of the caller, so the analysis goes on while the caller stores.
    The first is pulled here, so the workers are started before there is a second thread.
    Closing this generator stops the thread, which closes `results` (after the task it waits for
    is done), and that ends the workers."""
    first = next(results, None)
    if first is None:
        return
    ready: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def pull() -> None:
        try:
            for item in results:
                if not put(item):
                    break
            put(_END)
        except BaseException as error:  # raised again in the caller's thread
            put(_Failed(error))
        finally:
            results.close()

    thread = threading.Thread(target=pull, name="nienbieu-read-ahead", daemon=True)
    thread.start()
    try:
        yield first
        while (item := ready.get()) is not _END:
            if isinstance(item, _Failed):
                raise item.error
            yield item
    finally:
        stop.set()
        thread.join()


def _worker_started(parent: int) -> None:
    """A worker leaves signals to the main process, which stops it: Ctrl-C reaches the whole
    process group, and the main process's own handlers were copied into it by fork."""
    one_blas_thread()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with(parent)


def _die_with(parent: int) -> None:
    """On Linux, have the kernel end this worker when its parent dies, even by `kill -9`: a
    worker otherwise waits for work forever, holding its memory."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: the main process's handlers still stop workers
        return
    if os.getppid() != parent:  # the parent died before the request was made
        os._exit(1)


_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def _terminate(pool: ProcessPoolExecutor) -> None:
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        process.terminate()
    # A worker ended while it sent a result leaves the pool's thread reading the rest of it for
    # ever, and the interpreter's exit waiting for that thread (a SIGTERM'd ingest hung so, its
    # workers busy), unless this process's own end of the pipe is closed too: the read then ends.
    writer = getattr(getattr(pool, "_result_queue", None), "_writer", None)
    if writer is not None:
        with suppress(OSError):
            writer.close()
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.join(timeout=5)


def _estimated_articles(path: Path) -> int:
    if ingest.SUFFIXES[path.suffix.lower()] != "jsonl":
        return 1
    try:
        return -(-path.stat().st_size // JSONL_BYTES_PER_ARTICLE)
    except OSError:
        return 0  # reading will name the problem


def default_workers(files: list[Path]) -> int:
    """One process per core, as many as the work keeps busy (`ARTICLES_PER_WORKER` each). How
    many articles there are is known only once all is read, so it is estimated from the files:
    a text or HTML file is one article, a JSONL file one per `JSONL_BYTES_PER_ARTICLE` bytes.
    A wrong estimate costs some speed, never a different result."""
    articles = sum(_estimated_articles(path) for path in files)
    return min(os.cpu_count() or 1, articles // ARTICLES_PER_WORKER) or 1


def ingest_paths(
    paths: Iterable[str | Path],
    store: Store,
    batch_size: int = 200,
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
    segmenter: str | None = None,
    engine: Engine | None = None,
) -> IngestReport:
    """Read, clean, analyse and store articles; one transaction per batch of `batch_size`
    articles. Reading and analysis stream (JSONL files line by line, a few tasks in flight), so
    their memory does not grow with the size of a file. Inputs stored before and unchanged are
    not analysed again (`report.unchanged`); a source that now gives another text replaces the
    article it gave (`report.replaced`; README, "Sources").

    With `workers` > 1 (default: `default_workers`) the analysis (the slow part: word
    segmentation) runs on that many processes; storing stays in this one, in file order then
    line order, so the result does not depend on it.
    `segmenter="syllable"` skips statistical word segmentation: several times faster, a few
    points less entity F1 (README, "Speed"). `engine`: where the analysis runs (default: local
    processes; `nienbieu.distributed.engine()`: a Dask cluster, `workers` its local size)."""
    files, problems = ingest.discover(paths)
    report = IngestReport(files=len(files), problems=problems)
    if workers is None:
        workers = default_workers(files)
    batch: list[Article] = []
    reader = store.reader()  # the inputs are read (and looked up) in the read-ahead's thread
    skipping = _Skipping(reader, report.unchanged)

    def flush() -> None:
        with timed(report.timings, "storing"):
            _add(store, batch, report)
            batch.clear()
            if skipping.touched:
                store.refresh(skipping.touched)
                skipping.touched.clear()

    try:
        with closing(_read_ahead((engine or _in_order)(files, workers, segmenter, skipping))) as results:
            for files_done, articles, found in _waited(results, report.timings):
                report.problems.extend(found)
                batch.extend(articles)
                if len(batch) >= batch_size:
                    flush()
                if progress:
                    progress(files_done, len(files))
        flush()
        settle(store, report.timings)
    except Interrupted as stop:
        stop.report = report
        raise
    finally:
        reader.close()
    return report


def _waited(results: Results, timings: Timings) -> Iterator[_Item]:
    """`results`, with the time spent waiting for each added to `timings`."""
    while True:
        with timed(timings, "waiting for analysis"):
            item = next(results, None)
        if item is None:
            return
        yield item


class Interrupted(BaseException):
    """A stop signal (SIGTERM, SIGINT) during a job, raised by `stop_on_signals`. What was
    committed stays, whole; `report`: what an interrupted ingest had stored by then. A
    BaseException, as KeyboardInterrupt is: no `except Exception` may swallow it."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.report: IngestReport | None = None


@contextmanager
def stop_on_signals(signums: Iterable[int] = (signal.SIGTERM, signal.SIGINT)) -> Iterator[None]:
    """Turn stop signals into `Interrupted` while a job runs, so that it ends as an error does:
    the open transaction rolled back, worker processes terminated. Without it SIGTERM ends the
    process on the spot and its workers live on."""

    def stop(signum: int, frame: object) -> None:
        raise Interrupted(signum)

    previous = {signum: signal.signal(signum, stop) for signum in signums}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _add(store: Store, batch: list[Article], report: IngestReport) -> None:
    """Store a batch and count it in the report. An article added and replaced within the run
    (an export holding two versions of one row) is reported replaced, not added."""
    if not batch:
        return
    result = store.add(batch)
    report.added += result.added
    report.already_stored += result.already_stored
    report.replaced += result.replaced
    gone = {r.old_id for r in result.replaced if r.removed}
    if gone:
        report.added = [a for a in report.added if a not in gone]


SETTLE_BATCH = 250  # undated articles loaded and dated at a time


def settle(store: Store, timings: Timings | None = None) -> None:
    """What storing articles changes beyond themselves, computed for the articles not settled
    yet (those just stored, and any a killed run left): publication dates of the undated ones,
    estimated against the whole stored corpus, then near-duplicate groups and stories.
    `timings`: where to add the time of each step.

    Dates estimated earlier are kept: `redate` estimates every one again."""
    with timed(timings, "date inference"):
        undated = store.pending(undated=True)
        if undated:
            _estimate_dates(store, undated, settling=True)
    store.settle_groups(timings)


def redate(store: Store, today: date | None = None) -> int:
    """Estimate the publication date of every stored article that states none again (dates
    inferred at ingest saw only the articles stored by then). Returns how many changed."""
    moved = _estimate_dates(store, store.undated(), today)
    store.update_duplicates()  # who is earliest in a group may have changed
    return moved


@dataclass(slots=True)
class Recovery:
    """What `recover` could read of a damaged store."""

    recovered: list[str] = field(default_factory=list)  # ids now in the new store
    lost: list[str] = field(default_factory=list)  # ids whose rows could not be read whole
    listed_whole: bool = True  # False: the list of articles itself broke off (more may be lost)


def recover(damaged: str | Path, store: Store, batch_size: int = 200) -> Recovery:
    """Copy every article of a damaged store whose rows can all still be read into `store` (a
    new or healthy one), then settle them: their duplicate groups are found again and the
    dates they did not state estimated again. An article with an unreadable row is left out
    whole. Sources are not carried over: each article keeps the name of its first source, and
    ingesting the original files again records them (finding the articles already stored)."""
    found = Recovery()
    batch: list[Article] = []

    def flush() -> None:
        stored = store.add(batch)
        found.recovered += stored.added + stored.already_stored
        batch.clear()

    with Store(damaged, salvage=True) as source:
        ids, found.listed_whole = source.readable_ids()
        for article_id in ids:
            try:
                read = source.articles(ids=[article_id])
            except sqlite3.DatabaseError:
                read = []
            if read:
                batch += read
            else:
                found.lost.append(article_id)
            if len(batch) >= batch_size:
                flush()
    if batch:
        flush()
    settle(store)
    return found


def _estimate_dates(store: Store, ids: list[str], today: date | None = None, settling: bool = False) -> int:
    """Date the stored articles `ids` against the stored corpus, a few hundred in memory at a
    time; returns how many estimates moved. `settling`: they are pending articles, and only
    those still waiting for a date when it is written get it (`Store.update_dating`)."""
    corpus = store.dated_corpus()
    moved = 0
    for start in range(0, len(ids), SETTLE_BATCH):
        chunk = ids[start : start + SETTLE_BATCH]
        articles = store.articles(ids=chunk)
        before = {a.id: (a.published, a.published_confidence) for a in articles}
        changed = infer_dates(articles, today, corpus=corpus)
        store.update_dating(changed, attempted=chunk if settling else None)
        moved += sum(before[a.id] != (a.published, a.published_confidence) for a in changed)
    return moved


def stories(
    store: Store, start: date | None = None, end: date | None = None, min_articles: int = 1
) -> list[StoryRow]:
    """The stored stories (biggest, then most recent first) with at least `min_articles`
    articles that were told (published) between `start` and `end`, both days included."""
    return [
        row
        for row in store.story_rows()
        if row.size >= min_articles
        and (start is None or (row.last or "") >= start.isoformat())
        and (end is None or (row.first or "9999") <= end.isoformat())
    ]


def corpus_entities(store: Store, scope: Scope | None = None) -> tuple[list[Article], list[entities.Entity]]:
    """The stored articles in `scope` (default: all; near-duplicate copies left out) with entity
    names linked across them, and the entities themselves. Raises `EmptyScope` when a scope
    selects no article.

    Articles stored before entity recognition existed are analysed now, once."""
    # no near-duplicate copies: a syndicated copy would count every name twice
    articles = articles_in(store, scope or Scope())
    return articles, link_articles(store, articles)


def link_articles(store: Store, articles: list[Article]) -> list[entities.Entity]:
    """The entities of these stored articles, their names linked across them and their quotes'
    speakers given canonical names (in place). Articles stored before entity recognition existed
    are analysed now, once."""
    pending = set(store.without_entities(a.id for a in articles))
    if pending:
        recognised = [recognise_entities(a) for a in articles if a.id in pending]
        if not store.readonly:
            store.update_entities(recognised)
    found = entities.link(articles)
    entities.canonical_speakers(articles)
    return found


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
