from __future__ import annotations

from pathlib import Path

import pytest

from nienbieu import clean, ingest, pipeline
from nienbieu.models import Article

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SEEDS = {
    "vtv": "000_276604fbab095470.txt",
    "ngoaitruong": "001_eae7b0701f9fa981.txt",
    "rutte": "002_c8e971b6ef8c3c37.txt",
    "vilnius": "003_f78783df44546c52.txt",
    "vtc": "004_e94dbbfd1c763f8c.txt",
}


def load(name: str) -> Article:
    read = ingest.read_file(EXAMPLES / SEEDS[name])
    article, problems = clean.clean(read.documents[0])
    assert problems == []
    return pipeline.analyze(article)


@pytest.fixture(scope="session")
def seeds() -> dict[str, Article]:
    return {name: load(name) for name in SEEDS}


def body_text(article: Article) -> str:
    return "\n".join(p.text for p in article.body)
