"""The project's language tables (TOML files beside this module), read one way everywhere."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any


def load(name: str) -> dict[str, Any]:
    """The table `name` ("timex", "entities", ... or "timex.toml"), parsed once per process.
    Callers share the result and must not change it."""
    return _parse(name.removesuffix(".toml"))


@cache
def _parse(stem: str) -> dict[str, Any]:
    # UTF-8 whatever the locale: under `LC_ALL=C` or Windows' cp1252 the default encoding
    # cannot decode the Vietnamese in these files
    return tomllib.loads(resources.files(__package__).joinpath(f"{stem}.toml").read_text(encoding="utf-8"))
