"""The one Jinja environment every HTML of the project is rendered with: the web pages and the
standalone HTML exports (`export.timeline_html`, `brief_html`, TimelineJS slides) share its
templates and stylesheet, so a timeline entry has one HTML form.

Imports only jinja2: the CLI's exports load it without the web server."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import jinja2

from nienbieu.models import UNKNOWN_SPEAKER
from nienbieu.nlp import strip_controls
from nienbieu.web import urls

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"


def _shown(value: Any) -> Any:
    """Every value printed by a template loses its control characters (terminal escapes, bidi
    overrides) before autoescaping: article text is untrusted."""
    return strip_controls(value) if isinstance(value, str) else value


@functools.cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, finalize=_shown, trim_blocks=True
    )
    env.globals["urls"] = urls
    env.globals["unknown_speaker"] = UNKNOWN_SPEAKER
    return env


@functools.cache
def stylesheet() -> str:
    return (STATIC / "app.css").read_text(encoding="utf-8")


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)
