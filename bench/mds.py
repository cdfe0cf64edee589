"""The Vietnamese MDS clusters (../shared/eval/vietnamese-mds) as the benchmarks read them: the
reading itself is `nienbieu.evaluation`'s (which `nienbieu eval quotes` uses too)."""

from __future__ import annotations

from pathlib import Path

from nienbieu.evaluation import mds_detokenise as detokenise
from nienbieu.evaluation import mds_fields as info
from nienbieu.evaluation import mds_published as published

CLUSTERS = Path(__file__).resolve().parents[1] / ".." / "shared" / "eval" / "vietnamese-mds" / "clusters"

__all__ = ["CLUSTERS", "detokenise", "info", "published", "title"]


def title(fields: dict[str, str]) -> str:
    return detokenise(fields.get("TITLE", ""))
