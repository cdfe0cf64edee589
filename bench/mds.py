"""The Vietnamese MDS clusters (../shared/eval/vietnamese-mds) as the benchmarks read them."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

CLUSTERS = Path(__file__).resolve().parents[1] / ".." / "shared" / "eval" / "vietnamese-mds" / "clusters"


def info(body: Path) -> dict[str, str]:
    """The `KEY: value` fields of the `.info.txt` beside a `.body.txt` (TITLE, TIME, SUMMARY, …)."""
    lines = body.with_name(body.name.replace(".body.txt", ".info.txt")).read_text(encoding="utf-8")
    fields = (line.partition(":") for line in lines.splitlines())
    return {key.strip(): value.strip() for key, _, value in fields}


def detokenise(text: str) -> str:
    """The `.info.txt` fields are word-segmented ("máy_bay ,"): back to plain text."""
    text = re.sub(r"\s+([,.;:!?%)\]])", r"\1", text.replace("_", " "))
    return re.sub(r"\s+", " ", re.sub(r"([(\[])\s+", r"\1", text)).strip()


def title(fields: dict[str, str]) -> str:
    return detokenise(fields.get("TITLE", ""))


def published(fields: dict[str, str]) -> datetime | None:
    return datetime.strptime(fields["TIME"], "%d/%m/%Y %H:%M") if fields.get("TIME") else None
