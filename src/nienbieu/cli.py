"""Command-line interface: each command is one call into the library, then rendering."""

from __future__ import annotations

import codecs
import functools
import io
import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from enum import IntEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text
from typer.core import TyperGroup

from nienbieu import (
    api,
    distributed,
    entities,
    evaluation,
    export,
    llm,
    nlp,
    pipeline,
    rouge,
    search,
    summarize,
)
from nienbieu.models import UNKNOWN_SPEAKER
from nienbieu.pipeline import IngestReport, ingest_paths
from nienbieu.scope import EmptyScope, Scope, articles_in, one_story
from nienbieu.store import DEFAULT_DB, Replacement, Store, StoreError, describe


class Exit(IntEnum):
    OK = 0
    ERROR = 1  # the command could not run (bad database, unwritable output)
    USAGE = 2  # wrong arguments (Typer's own code)
    SKIPPED = 3  # the batch finished, but some input items were skipped
    EMPTY = 4  # nothing to work on: no article in the store, or none in the command's scope


class SafeConsole(Console):
    """A rich console that prints no control character it was not told to: every string given to
    `print` loses its escape sequences, controls and bidirectional overrides (`nlp.strip_controls`)
    before rich reads its markup and adds its own colours. Article text, file names and exception
    messages are printed through one of these; text from articles is also kept from being read as
    markup (`Text`, or `escape`), and emoji codes are left as written."""

    def __init__(self, **options: Any) -> None:
        super().__init__(emoji=False, **options)

    def print(self, *objects: Any, **options: Any) -> None:
        super().print(*(nlp.strip_controls(o) if isinstance(o, str) else o for o in objects), **options)


err = SafeConsole(stderr=True)
out = SafeConsole(highlight=False, soft_wrap=True)

# The database the running command opened, to name it when SQLite fails after opening.
_opened: list[Path] = []


class _Commands(TyperGroup):
    """Every command's store failures end the same way: one line naming the file and the cause,
    and Exit.ERROR; never a traceback. A scope that selects nothing is one line and Exit.EMPTY."""

    def invoke(self, ctx: Any) -> Any:  # typer's own (vendored) click.Context
        try:
            return super().invoke(ctx)
        except EmptyScope as exc:
            err.print(f"[yellow]{escape(str(exc))}[/]", soft_wrap=True, highlight=False)
            raise typer.Exit(Exit.EMPTY) from None
        except StoreError as exc:
            _fail(str(exc))
        except sqlite3.Error as exc:
            _fail(describe(exc, _opened[-1] if _opened else "the database"))


def _fail(message: str) -> NoReturn:
    err.print(f"[red]error:[/] {escape(message)}", soft_wrap=True, highlight=False)
    raise typer.Exit(Exit.ERROR)


app = typer.Typer(
    help="Niên Biểu: turn Vietnamese news articles into a dated, sourced timeline and briefing.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    cls=_Commands,
)


DbOption = Annotated[Path, typer.Option("--db", help="SQLite database file.", show_default=True)]
FormatOption = Annotated[str, typer.Option("--format", "-f", help="Output format: md, json or html.")]
OutputOption = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")
]
# What a command works on (`nienbieu.scope`); `search` filters its hits with the same options.
StoryOption = Annotated[
    int | None, typer.Option("--story", help="Only this story's articles (see `stories`).")
]
QueryOption = Annotated[
    str | None, typer.Option("--query", help='Only articles matching these words and "phrases" (as search).')
]
EntityOption = Annotated[str | None, typer.Option("--entity", help="Only articles that name this.")]
FromOption = Annotated[
    datetime | None, typer.Option("--from", formats=["%Y-%m-%d"], help="Only articles published on or after.")
]
ToOption = Annotated[
    datetime | None, typer.Option("--to", formats=["%Y-%m-%d"], help="Only articles published on or before.")
]


def _scope(
    story: int | None, query: str | None, entity: str | None, start: datetime | None, end: datetime | None
) -> Scope:
    return Scope(story, query, entity, start and start.date(), end and end.date())


@contextmanager
def _open(db: Path, write: bool = False) -> Iterator[Store]:
    """The store of a command. Commands that only read open it read-only, so they work on a
    read-only file and cannot create an empty store at a mistyped path, and see one state of it
    while other processes write (`Store.snapshot`)."""
    _opened.append(db)
    with Store(db, readonly=not write) as store:
        if write:
            yield store
            return
        with store.snapshot():
            yield store


def _emit(text: str, output: Path | None) -> None:
    """A rendered export to stdout, or to `output` replaced as a whole (`export.write_atomic`):
    a failed write leaves the earlier file untouched and exits with ERROR."""
    if output is None:
        _write(text)
        return
    try:
        export.write_atomic(output, text)
    except OSError as exc:
        err.print(f"[red]error:[/] cannot write {escape(str(output))}: {exc.strerror or exc}", soft_wrap=True)
        raise typer.Exit(Exit.ERROR) from exc
    err.print(f"wrote {escape(str(output))}", soft_wrap=True)


def _write(text: str) -> None:
    """Plain text to stdout, one newline at the end, no control character from an article."""
    text = nlp.strip_controls(text)
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def _write_json(data: Any) -> None:
    _write(export.to_json(data))


def _text(*parts: str | tuple[str, str]) -> Text:
    """Article text (parts, or (part, style) pairs) for a rich table or console: controls
    stripped, never read as markup ("[link=…]" in a title stays text)."""
    return Text.assemble(
        *((nlp.strip_controls(p[0]), p[1]) if isinstance(p, tuple) else nlp.strip_controls(p) for p in parts)
    )


def _check_format(fmt: str, allowed: tuple[str, ...] = export.FORMATS) -> str:
    if fmt not in allowed:
        raise typer.BadParameter(f"'{fmt}' is not one of {', '.join(allowed)}", param_hint="--format")
    return fmt


@contextmanager
def _reading(db: Path) -> Iterator[Store]:
    """The store of a command that reads articles: none stored is one line and Exit.EMPTY."""
    with _open(db) as store:
        if not store.count():
            _empty(db)
        yield store


def _one_story(store: Store, scope: Scope, db: Path) -> Scope:
    """Without a scope, a timeline or briefing tells one story: the biggest. Stderr says so, and
    how to pick another."""
    chosen, rows = one_story(store, scope)
    if rows:
        first, others = rows[0], rows[1:]
        listed = "; ".join(f"{r.id}: {r.label} ({r.size})" for r in others[:STORIES_NAMED])
        more = f"; and {len(others) - STORIES_NAMED} more" if len(others) > STORIES_NAMED else ""
        shown = f"this is story {first.id}, the biggest ({first.size} articles): {first.label}."
        choose = "Pick one with --story ID (`nienbieu stories` lists them), or choose articles with --query, "
        err.print(
            _text((f"{len(rows)} stories in {db}: ", "yellow"), f"{shown} Others — {listed}{more}. {choose}"
                  "--entity, --from, --to."),
            soft_wrap=True,
        )  # fmt: skip
    return chosen


STORIES_NAMED = 5  # other stories named on stderr when a timeline shows the biggest


def _empty(db: Path) -> NoReturn:
    db_name = escape(str(db))
    message = f"[yellow]no articles in {db_name}[/]: run `nienbieu ingest PATH --db {db_name}` first"
    err.print(message, soft_wrap=True)
    raise typer.Exit(Exit.EMPTY)


def _installed_segmenter(name: str | None) -> str | None:
    if name is not None and name not in nlp.SEGMENTERS:
        raise typer.BadParameter(f"'{name}' is not one of {', '.join(nlp.SEGMENTERS)}")
    if name is not None and not nlp.available(name):
        raise typer.BadParameter(f"'{name}' is not installed (pip install {name})")
    return name


SegmenterOption = Annotated[
    str | None,
    typer.Option(
        "--segmenter",
        callback=_installed_segmenter,
        help="Word segmenter: pyvi (default), underthesea (as good, slower) or syllable (fastest, "
        "fewer entities); see README, Word segmenters, measured.",
    ),
]


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders (.txt, .html, .htm, .jsonl).")],
    db: DbOption = Path(DEFAULT_DB),
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    workers: Annotated[
        int | None,
        typer.Option("--workers", "-j", min=1, help="Processes for the analysis [default: one per core]."),
    ] = None,
    segmenter: SegmenterOption = None,
    engine: Annotated[
        str,
        typer.Option(
            "--engine", help="Where the analysis runs: local (processes of this machine) or dask (a cluster)."
        ),
    ] = "local",
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="With --engine dask: the scheduler's address (tcp://HOST:PORT) [default: a local cluster "
            "of -j processes].",
        ),
    ] = None,
) -> None:
    """Read, clean, analyse and store articles. Unchanged files and rows are skipped; an edited
    file, or a JSONL row with the same id or url, replaces its earlier version (each reported)."""
    runner = _engine(engine, scheduler)
    with (
        _open(db, write=True) as store,
        pipeline.stop_on_signals(),
        _interrupted_ingest(db),
        Progress(
            TextColumn("ingesting"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=True,
            disable=as_json or not err.is_terminal,  # a bar in a log file is noise
        ) as progress,
    ):
        task = progress.add_task("ingest", total=None)
        report = ingest_paths(
            paths,
            store,
            progress=lambda done, total: progress.update(task, completed=done, total=total),
            workers=workers,
            segmenter=segmenter,
            engine=runner,
        )
        total = store.count()
    _report(report, total, as_json)
    raise typer.Exit(Exit.SKIPPED if report.skipped else Exit.OK)


def _engine(name: str, scheduler: str | None) -> pipeline.Engine | None:
    """The engine `--engine` names (None: the local one, `ingest_paths`'s default)."""
    if name not in ENGINES:
        raise typer.BadParameter(f"'{name}' is not one of {', '.join(ENGINES)}", param_hint="--engine")
    if name == "local":
        if scheduler:
            raise typer.BadParameter("a scheduler is for --engine dask", param_hint="--scheduler")
        return None
    try:
        return distributed.engine(scheduler)
    except distributed.EngineUnavailable as exc:
        _fail(str(exc))


ENGINES = ("local", "dask")


@contextmanager
def _interrupted_ingest(db: Path) -> Iterator[None]:
    """A stopped ingest says what it kept and how to finish, and exits 128 + the signal number."""
    try:
        yield
    except pipeline.Interrupted as stop:
        added = len(stop.report.added) if stop.report else 0
        err.print(
            f"[yellow]interrupted ({stop}):[/] {added} new articles were stored in {escape(str(db))} and "
            "are kept; run the same command again to finish the job (it analyses only what is missing)",
            soft_wrap=True,
            highlight=False,
        )
        raise typer.Exit(128 + stop.signum) from None


def _report(report: IngestReport, total: int, as_json: bool) -> None:
    if as_json:
        _write_json(report.as_dict(total))
        return
    for p in report.problems:
        colour = "red" if p.severity == "error" else "yellow"
        line = _text((f"{p.severity}:", colour), f" {p.source}: {p.message} ", (f"({p.code})", "dim"))
        err.print(line, highlight=False, soft_wrap=True)  # a long path stays whole, on one line
    for r in report.replaced:  # one unbroken line each, for grep as much as for the eye
        err.print(f"[bold yellow]{_replacement(r)}[/]", highlight=False, soft_wrap=True)
    err.print(escape(report.summary(total)), highlight=False, soft_wrap=True)


def _replacement(r: Replacement) -> str:
    """One loud line: a source gives another article than before."""
    where = f"{r.source} ({r.key.replace(':', ' ', 1)})" if r.key else r.source
    change = f"{where}: article {r.old_id} → {r.new_id}"
    if r.removed:
        return escape(f"replaced: {change}; the earlier version, “{r.old_title}”, was removed")
    return escape(f"updated: {change}; the earlier version, “{r.old_title}”, stays (another source has it)")


@app.command("timeline")
def timeline_cmd(
    db: DbOption = Path(DEFAULT_DB),
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="Output format: md, json, html or timelinejs.")
    ] = "md",
    dates: Annotated[int, typer.Option("--dates", "-n", min=1, help="How many dates.")] = 10,
    sentences: Annotated[int, typer.Option("--sentences", "-k", min=1, help="Sentences per date.")] = 2,
    output: OutputOption = None,
    story: StoryOption = None,
    query: QueryOption = None,
    entity: EntityOption = None,
    start: FromOption = None,
    end: ToOption = None,
) -> None:
    """Print a dated timeline of one story (the biggest unless a scope is given), each line citing
    its source; with --from or --to, only dates within them."""
    _check_format(fmt, export.TIMELINE_FORMATS)
    with _reading(db) as store:
        entries = api.timeline_entries(store, _one_story(store, _scope(story, query, entity, start, end), db),
                                       dates, sentences)  # fmt: skip
    _emit(export.render_timeline(entries, fmt), output)


RewriteOption = Annotated[
    bool,
    typer.Option(
        "--rewrite",
        help="Rephrase each sentence with the chat model set in NIENBIEU_LLM_URL, NIENBIEU_LLM_MODEL "
        "(and NIENBIEU_LLM_KEY); a rephrasing its cited source does not support is dropped.",
    ),
]


@app.command()
def brief(
    db: DbOption = Path(DEFAULT_DB),
    fmt: FormatOption = "md",
    words: Annotated[int, typer.Option("--words", "-w", min=20, help="Word budget.")] = 150,
    output: OutputOption = None,
    rewrite: RewriteOption = False,
    story: StoryOption = None,
    query: QueryOption = None,
    entity: EntityOption = None,
    start: FromOption = None,
    end: ToOption = None,
) -> None:
    """Print a short multi-document summary of one story (the biggest unless a scope is given),
    each sentence citing its article."""
    _check_format(fmt)
    config = _llm_config() if rewrite else None  # a missing endpoint is a usage error: say so first
    with _reading(db) as store:
        scope = _one_story(store, _scope(story, query, entity, start, end), db)
        briefing = api.briefing(store, scope, words)
        articles = articles_in(store, scope) if config is not None else []
    if config is not None:
        briefing, notes = summarize.rewrite(briefing, articles, config)
        for note in notes:
            err.print(f"[yellow]rewrite:[/] {escape(str(note))}", soft_wrap=True)
    _emit(export.render_brief(briefing, fmt), output)


def _llm_config() -> llm.LLMConfig:
    try:
        config = llm.config_from_env()
    except llm.LLMError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(Exit.USAGE) from exc
    if config is None:
        err.print(
            "[red]error:[/] --rewrite needs an OpenAI-compatible endpoint: set NIENBIEU_LLM_URL "
            "(e.g. http://localhost:11434/v1) and NIENBIEU_LLM_MODEL; NIENBIEU_LLM_KEY if it wants a key",
            soft_wrap=True,
        )
        raise typer.Exit(Exit.USAGE)
    return config


@app.command("search")
def search_cmd(
    query: Annotated[str, typer.Argument(help='Words (all must occur) and "quoted phrases".')],
    db: DbOption = Path(DEFAULT_DB),
    start: FromOption = None,
    end: ToOption = None,
    entity: EntityOption = None,
    outlet: Annotated[str | None, typer.Option("--outlet", help="Outlet name contains this.")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="Most hits to show.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Search stored titles and sentences, diacritics optional ("nato my" finds "NATO Mỹ"); exact
    spellings first, titles before sentences, near-duplicate copies shown once."""
    filters = search.Filters(start and start.date(), end and end.date(), entity, outlet)
    with _reading(db) as store:
        if as_json:
            _write_json(api.search_hits(store, query, filters, limit))
            return
        hits = store.search(query, filters, limit)
    if not hits:
        err.print(f"no match for {escape(query)!r}")
    for h in hits:
        source = ", ".join(filter(None, [h.outlet, (h.published or "")[:10], h.article_id]))
        copies = (
            f" (and {len(h.also)} near-duplicate cop{'y' if len(h.also) == 1 else 'ies'})" if h.also else ""
        )
        out.print(_text((source, "dim"), " ", "(title)" if h.is_title else h.title or "", (copies, "dim")))
        # the snippet with its matches between two markers: text, match, text, match, …, text
        pieces = h.snippet(mark=("\x00", "\x00")).split("\x00")
        out.print(_text("  ", *((p, "bold") if i % 2 else p for i, p in enumerate(pieces))))


@app.command()
def articles(
    db: DbOption = Path(DEFAULT_DB),
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List stored articles: id, outlet, title, publication date and where it came from."""
    with _reading(db) as store:
        rows = api.articles(store)
    if as_json:
        _write_json(rows)
        return
    table = Table("id", "outlet", "title", "published", "date from", "duplicates", show_lines=False)
    for r in rows:
        cells = (r["id"], r["outlet"] or "—", r["title"] if r["title_stated"] else f"({r['title']})",
                 _published_cell(r), r["published_provenance"], _duplicates_cell(r))  # fmt: skip
        table.add_row(*map(_text, cells))
    SafeConsole(width=200).print(table)


@app.command()
def redate(db: DbOption = Path(DEFAULT_DB)) -> None:
    """Estimate again every publication date a page did not state, against all stored articles.
    (Ingest estimates a new article's date against the store as it is then, and keeps it.)"""
    with _open(db, write=True) as store:
        if not store.count():
            _empty(db)
        changed = pipeline.redate(store)
    out.print(f"{changed} inferred publication date{'s' if changed != 1 else ''} changed")


@app.command()
def recover(
    damaged: Annotated[Path, typer.Argument(help="The damaged store.", exists=True, dir_okay=False)],
    db: Annotated[Path, typer.Option("--db", help="The new store to copy what can be read into.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Copy every article of a damaged store that can still be read whole into a new store."""
    if db.exists() and db.resolve() == damaged.resolve():
        raise typer.BadParameter("the new store must be another file than the damaged one", param_hint="--db")
    with _open(db, write=True) as store:
        found = pipeline.recover(damaged, store)
    if as_json:
        _write_json({"recovered": found.recovered, "lost": found.lost, "listed_whole": found.listed_whole})
    else:
        more = "" if found.listed_whole else "; the list of articles itself broke off, so more may be lost"
        recovered = f"recovered {len(found.recovered)} articles into {escape(str(db))}"
        lost = f"{len(found.lost)} could not be read whole{more}"
        err.print(f"{recovered}; {lost}", highlight=False, soft_wrap=True)
    raise typer.Exit(Exit.SKIPPED if found.lost or not found.listed_whole else Exit.OK)


@app.command("stories")
def stories_cmd(
    db: DbOption = Path(DEFAULT_DB),
    start: Annotated[
        datetime | None, typer.Option("--from", formats=["%Y-%m-%d"], help="Only stories told on or after.")
    ] = None,
    end: Annotated[
        datetime | None, typer.Option("--to", formats=["%Y-%m-%d"], help="Only stories told on or before.")
    ] = None,
    min_articles: Annotated[int, typer.Option("--min-articles", min=1, help="Only stories this big.")] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """The stories of the store, biggest and most recent first: id, label, articles, days, outlets."""
    with _reading(db) as store:
        rows = api.stories(store, start and start.date(), end and end.date(), min_articles)
    if as_json:
        _write_json(rows)
        return
    table = Table("id", "articles", "first", "last", "outlets", "story")
    for r in rows:
        size = f"{r['articles']}" + (f" (+{r['copies']} copies)" if r["copies"] else "")
        outlets = _text(", ".join(r["outlets"][:3]))
        table.add_row(str(r["id"]), size, r["first"] or "—", r["last"] or "—", outlets, _text(r["label"]))
    Console(width=200).print(table)


@app.command("entities")
def entities_cmd(
    db: DbOption = Path(DEFAULT_DB),
    kind: Annotated[str | None, typer.Option("--type", help="Only PER, ORG, LOC or MISC.")] = None,
    top: Annotated[int | None, typer.Option("--top", min=1, help="Only the N most mentioned.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    story: StoryOption = None,
    query: QueryOption = None,
    entity: EntityOption = None,
    start: FromOption = None,
    end: ToOption = None,
) -> None:
    """Canonical entities: name, aliases, mentions, articles, first and last date."""
    if kind is not None and kind.upper() not in ("PER", "ORG", "LOC", "MISC"):
        raise typer.BadParameter(f"'{kind}' is not one of PER, ORG, LOC, MISC", param_hint="--type")
    with _reading(db) as store:
        rows = api.entities(
            store, _scope(story, query, entity, start, end), kind.upper() if kind else None, top
        )
    if as_json:
        _write_json(rows)
        return
    table = Table("name", "type", "aliases", "mentions", "articles", "first", "last")
    for r in rows:
        aliases = ", ".join(r["aliases"][:6])
        cells = (r["name"], r["type"], aliases, str(r["mentions"]), str(r["articles"]),
                 r["first"] or "—", r["last"] or "—")  # fmt: skip
        table.add_row(*map(_text, cells))
    SafeConsole(width=200).print(table)


@app.command("quotes")
def quotes_cmd(
    db: DbOption = Path(DEFAULT_DB),
    who: Annotated[
        str | None, typer.Option("--who", help="Only quotes whose speaker's name contains this.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    story: StoryOption = None,
    query: QueryOption = None,
    entity: EntityOption = None,
    start: FromOption = None,
    end: ToOption = None,
) -> None:
    """Direct quotations with their speaker and source article."""
    with _reading(db) as store:
        rows = api.quotes(store, _scope(story, query, entity, start, end), who)
    if as_json:
        _write_json(rows)
        return
    for r in rows:
        source = ", ".join(filter(None, [r["outlet"], r["published"], r["article_id"]]))
        _write(f"{r['speaker'] or UNKNOWN_SPEAKER}: “{r['quote']}” — {source}")


@app.command("export")
def export_cmd(
    parquet: Annotated[
        Path,
        typer.Option(
            "--parquet",
            file_okay=False,
            help="Write the store as Parquet files into this folder (made if missing).",
        ),
    ],
    db: DbOption = Path(DEFAULT_DB),
) -> None:
    """Export the store's articles, sentences, mentions, time expressions, quotes and stories as
    Parquet files, for DuckDB, Spark or pandas."""
    from nienbieu.parquet import ParquetUnavailable

    with _reading(db) as store:
        try:
            written = export.parquet(store, parquet)
        except ParquetUnavailable as exc:
            _fail(str(exc))
        except OSError as exc:
            _fail(f"cannot write {parquet}: {exc.strerror or exc}")
    counts = ", ".join(f"{n:,} {name.replace('_', ' ')}" for name, n in written.items())
    err.print(escape(f"wrote {counts} to {parquet}"), highlight=False, soft_wrap=True)


@app.command()
def serve(
    db: DbOption = Path(DEFAULT_DB),
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on (localhost only by default).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")] = 8000,
) -> None:
    """Serve the store's stories, timelines, briefings, search and articles as web pages and a
    JSON API (/api/…), read-only: http://127.0.0.1:8000/ by default."""
    from nienbieu import web  # the web stack loads only for this command

    _opened.append(db)
    web.serve(db, host=host, port=port)


eval_app = typer.Typer(help="Score a pipeline stage against a gold file.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")


GoldFiles = Annotated[list[Path], typer.Argument(help="Gold JSONL files, scored together.", exists=True)]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print scores as JSON.")]
ErrorCount = Annotated[int, typer.Option("--errors", help="Also list this many errors.")]


@eval_app.command("timex")
def eval_timex(gold: GoldFiles, as_json: JsonFlag = False, errors: ErrorCount = 0) -> None:
    """Strict-span P/R/F1 and value accuracy of the time-expression tagger (docs/timex-annotation.md)."""
    _evaluate(
        gold, evaluation.read_timex_gold, evaluation.score_timex, evaluation.timex_report, as_json, errors
    )


NerModel = Annotated[str, typer.Option("--model", help="rules (default) or underthesea (its own CRF NER).")]


@eval_app.command("ner")
def eval_ner(
    gold: GoldFiles,
    as_json: JsonFlag = False,
    errors: ErrorCount = 0,
    model: NerModel = "rules",
    segmenter: SegmenterOption = None,
) -> None:
    """Entity-level P/R/F1 per type, exact span and type (docs/ner-annotation.md). `--segmenter`:
    the words the rules read (the underthesea model segments on its own)."""
    if model not in entities.RECOGNISERS:
        err.print(f"[red]error:[/] unknown model {model!r}; choose from {', '.join(entities.RECOGNISERS)}")
        raise typer.Exit(Exit.ERROR)
    recognise = entities.RECOGNISERS[model]
    if segmenter is not None:
        if recognise is not entities.recognise:
            raise typer.BadParameter("only the rules read a segmenter's words", param_hint="--segmenter")
        recognise = functools.partial(recognise, backend=segmenter)
    score = functools.partial(evaluation.score_ner, recognise=recognise)
    _evaluate(gold, evaluation.read_ner_gold, score, evaluation.ner_report, as_json, errors)


MDS_CLUSTERS = Path("shared") / "eval" / "vietnamese-mds" / "clusters"


@eval_app.command("quotes")
def eval_quotes(
    gold: Annotated[Path, typer.Argument(help="Quotation gold JSONL (eval/quotes/gold.jsonl).", exists=True)],
    articles: Annotated[
        Path | None,
        typer.Option(
            "--articles",
            help="The MDS clusters folder (default: shared/eval/vietnamese-mds/clusters above GOLD).",
        ),
    ] = None,
    split_file: Annotated[
        Path | None,
        typer.Option(
            "--split-file",
            help="TOML listing clusters per part; without it, every cluster GOLD names (test too).",
            exists=True,
        ),
    ] = None,
    part: Annotated[
        str, typer.Option("--part", help="With --split-file: dev (default), test, or all.")
    ] = "dev",
    as_json: JsonFlag = False,
    errors: ErrorCount = 0,
) -> None:
    """Quotations found and attributed, against gold spans of the MDS article bodies
    (docs/quotes-annotation.md): the speakers shown ("ours"), the best-guess candidates ("ours,
    best guess") and a nearest-preceding-person baseline; detection P/R/F1 (spans sharing half
    of the shorter), speaker accuracy, attribution P/R/F1, per pattern."""
    folder = articles or next(
        (p / MDS_CLUSTERS for p in gold.resolve().parents if (p / MDS_CLUSTERS).is_dir()), None
    )
    if folder is None or not folder.is_dir():
        err.print("[red]error:[/] no MDS clusters folder; give it with --articles")
        raise typer.Exit(Exit.ERROR)
    with _bad_gold_exits():
        names = evaluation.read_split(split_file, part) if split_file else None
        found = evaluation.quote_articles(evaluation.read_quote_gold(gold), folder, names)
    results = {
        name: evaluation.score_quotes(a) for name, a in evaluation.analyse_quotes(found, folder).items()
    }
    if as_json:
        _write_json(
            {name: s.as_dict() for name, s in results.items()} | {"errors": results["ours"].errors[:errors]}
        )
        return
    _write(evaluation.quotes_report(results))
    for e in results["ours"].errors[:errors]:
        _write(export.to_json(e, indent=None))


RefFiles = Annotated[
    list[Path], typer.Option("--ref", help="Reference summary (repeat for several).", exists=True)
]
WordBudget = Annotated[
    int, typer.Option("--words", help="Cut the system summary to this many syllables first (0: no cut).")
]


@eval_app.command("summary")
def eval_summary(
    system: Annotated[Path, typer.Argument(help="System summary, plain text.", exists=True)],
    ref: RefFiles,
    words: WordBudget = 0,
    as_json: JsonFlag = False,
) -> None:
    """ROUGE-1/2/L (P/R/F1) on syllables with diacritics kept, averaged over the references."""
    with _bad_gold_exits():
        texts = [evaluation.read_summary(p) for p in [system, *ref]]
    if words:
        texts[0] = rouge.truncate(texts[0], words)
    _print_scores(rouge.rouge(texts[0], texts[1:]), as_json)


@eval_app.command("timeline")
def eval_timeline(
    system: Annotated[Path, typer.Argument(help="System timeline JSON.", exists=True)],
    reference: Annotated[Path, typer.Argument(help="Reference timeline JSON.", exists=True)],
    as_json: JsonFlag = False,
) -> None:
    """Date F1, concatenation, agreement and alignment ROUGE-1/2 (Martschat & Markert 2017:
    `align-n` one-to-one, `align+-n` align+ m:1, the AR-n of TLS papers) between two timelines:
    `nienbieu timeline -f json` output or `{"YYYY-MM-DD": ["sentence", ...]}`."""
    with _bad_gold_exits():
        pair = evaluation.read_timeline(system), evaluation.read_timeline(reference)
    _print_scores(rouge.timeline_scores(*pair), as_json)


@contextmanager
def _bad_gold_exits() -> Iterator[None]:
    """A gold or system file that cannot be read is named, and the command exits with ERROR."""
    try:
        yield
    except evaluation.GoldFormatError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(Exit.ERROR) from exc


def _print_scores(scores: dict[str, rouge.Score], as_json: bool) -> None:
    if as_json:
        _write_json({name: s.as_dict() for name, s in scores.items()})
    else:
        _write(evaluation.scores_report(scores))


def _evaluate(
    gold: list[Path],
    read: Callable[[Path], list],
    score: Callable[..., Any],
    report: Callable[[Any], str],
    as_json: bool,
    errors: int,
) -> None:
    with _bad_gold_exits():
        scores = score(s for path in gold for s in read(path))
    if as_json:
        _write_json(scores.as_dict() | {"errors": scores.errors[:errors]})
        return
    _write(report(scores))
    for e in scores.errors[:errors]:
        _write(export.to_json(e, indent=None))


def _duplicates_cell(row: dict) -> str:
    if row["copy_of"]:
        return f"copy of {row['copy_of']}"
    also = [c["outlet"] or c["id"] for c in row["also_published_by"]]
    return f"also: {', '.join(also)}" if also else ""


def _published_cell(row: dict) -> str:
    if not row["published"]:
        return "—"
    if row["published_provenance"] != "inferred":
        return row["published"]
    start, end = row["published_window"]
    return f"≈ {row['published'][:10]} (p={row['published_confidence']:.2f}; 90%: {start}..{end})"


def _utf8_streams() -> None:
    """Vietnamese text on stdout and stderr whatever the locale: under `LC_ALL=C` (with UTF-8
    mode off) or a Windows code page they would be ASCII or cp1252, and printing would crash."""
    for stream in (sys.stdout, sys.stderr):
        encoding = getattr(stream, "encoding", None) or "ascii"
        if codecs.lookup(encoding).name != "utf-8" and isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(encoding="utf-8", errors="replace")


def main() -> None:
    _utf8_streams()
    pipeline.one_blas_thread()
    app()
