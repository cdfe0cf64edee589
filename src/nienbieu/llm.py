"""A tiny client for an OpenAI-compatible chat-completions endpoint, used only by the optional
abstractive rewrite of the briefing (`nienbieu brief --rewrite`, `summarize.rewrite`).

Nothing here runs unless it is configured. The configuration is read from the environment, so a key
never has to appear in a file or on a command line:

- ``NIENBIEU_LLM_URL``: base URL of the API, e.g. ``http://localhost:11434/v1`` (Ollama),
  ``http://localhost:8000/v1`` (vLLM, llama.cpp server) or ``https://api.openai.com/v1``; requests are
  POSTed to ``{URL}/chat/completions``. Unset: no rewriting.
- ``NIENBIEU_LLM_MODEL``: the model name sent with each request (required once the URL is set).
- ``NIENBIEU_LLM_KEY``: optional; sent as ``Authorization: Bearer <key>``.
- ``NIENBIEU_LLM_TIMEOUT``: optional; seconds to wait for each answer (default 30).

The model's answer is never trusted. `summarize.rewrite` keeps a rewritten sentence only when
`summarize.support` finds it backed by the sentence it cites:

- every number in it (digit runs such as ``10``, ``2,5``, ``1.000``) occurs in the cited sentence;
- every capitalised name (a run of capitalised words, e.g. ``Jens Stoltenberg``, ``Ba Lan``) occurs,
  word for word and in the same case, in the cited sentence; a run that starts a sentence or a
  quotation may begin with an ordinary word capitalised by position ("Ngày 18/2", "Ông Stoltenberg":
  a stopword or a word the cited sentence has in lower case) if the rest of the run occurs;
- every quotation in it (text between quotation marks) occurs word for word in the cited sentence:
  reported speech may be paraphrased, quoted speech may not;
- every content syllable (lower-cased, diacritics kept, not in ``summarize.stopwords()``, not a
  number) occurs in the cited sentence or elsewhere in the cited article (its title and body);
- at least ``summarize.MIN_PRECISION`` (80%) of its distinct content syllables occur in the cited sentence
  itself, so a "rewrite" cannot be mostly other sentences of the article.

A rewrite that fails any rule, or an empty answer, is dropped for the extractive sentence and
reported in a note; citations never change.
Every failure of the endpoint (an HTTP error status, an unreachable server, a timeout, a body that
is not chat-completions JSON) is raised as `LLMError` with a one-line message naming the URL;
`summarize.rewrite` turns it into a note and returns the extractive briefing unchanged.
"""

from __future__ import annotations

import http.client
import json
import os
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

DEFAULT_TIMEOUT = 30.0  # seconds; a local model on a laptop answers one sentence well within this


class LLMError(Exception):
    """The endpoint could not be used; the message says why, in one line."""


@dataclass(frozen=True, slots=True)
class LLMConfig:
    base_url: str  # up to and including the API version, e.g. "http://localhost:11434/v1"
    model: str
    api_key: str | None = field(default=None, repr=False)  # kept out of logs and tracebacks
    timeout: float = DEFAULT_TIMEOUT


def config_from_env(environ: Mapping[str, str] | None = None) -> LLMConfig | None:
    """The endpoint configured by NIENBIEU_LLM_URL / _MODEL / _KEY / _TIMEOUT, or None when no URL is set.

    Raises LLMError when the URL is set but the rest cannot be used."""
    env = os.environ if environ is None else environ
    url = env.get("NIENBIEU_LLM_URL", "").strip()
    if not url:
        return None
    if not url.startswith(("http://", "https://")):
        raise LLMError(f"NIENBIEU_LLM_URL must start with http:// or https://, not {url!r}")
    model = env.get("NIENBIEU_LLM_MODEL", "").strip()
    if not model:
        raise LLMError("NIENBIEU_LLM_URL is set but NIENBIEU_LLM_MODEL is not: name the model to use")
    return LLMConfig(url, model, env.get("NIENBIEU_LLM_KEY") or None, _timeout(env))


def _timeout(env: Mapping[str, str]) -> float:
    raw = env.get("NIENBIEU_LLM_TIMEOUT", "").strip()
    if not raw:
        return DEFAULT_TIMEOUT
    try:
        seconds = float(raw)
    except ValueError:
        seconds = 0.0
    if not seconds > 0:
        raise LLMError(f"NIENBIEU_LLM_TIMEOUT must be a positive number of seconds, not {raw!r}")
    return seconds


def chat(config: LLMConfig, messages: Sequence[Mapping[str, str]], temperature: float = 0.0) -> str:
    """The text of the first choice the endpoint answers to `messages`."""
    url = config.base_url.rstrip("/") + "/chat/completions"
    if not url.startswith(("http://", "https://")):  # urllib would also open file:// and ftp://
        raise LLMError(f"not an http(s) URL: {url}")
    body = {"model": config.model, "messages": [dict(m) for m in messages], "temperature": temperature}
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if config.api_key:
        headers["Authorization"] = f"Bearer {config.api_key}"
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    return _content(_post(url, data, headers, config.timeout), url)


def _post(url: str, data: bytes, headers: dict[str, str], timeout: float) -> bytes:
    try:
        request = urllib.request.Request(url, data=data, headers=headers, method="POST")
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.read()
    except urllib.error.HTTPError as exc:
        raise LLMError(f"{url} answered HTTP {exc.code} {exc.reason}{_error_detail(exc)}") from exc
    except TimeoutError as exc:  # no answer, or the answer stalled
        raise LLMError(f"{url} did not answer within {timeout:g} s") from exc
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):  # timed out while connecting or sending
            raise LLMError(f"{url} did not answer within {timeout:g} s") from exc
        raise LLMError(f"cannot reach {url}: {exc.reason}") from exc
    except (OSError, http.client.HTTPException) as exc:  # e.g. the server closed the connection
        raise LLMError(f"connection to {url} failed: {exc or type(exc).__name__}") from exc
    except ValueError as exc:  # a malformed host or port in the URL
        raise LLMError(f"invalid URL {url}: {exc}") from exc


def _error_detail(exc: urllib.error.HTTPError) -> str:
    """The server's own explanation: OpenAI-style {"error": {"message": ...}}, else the start of the body."""
    try:
        text = exc.read().decode("utf-8", "replace").strip()
    except (OSError, http.client.HTTPException):
        return ""
    try:
        error = json.loads(text).get("error")
        message = error.get("message") if isinstance(error, dict) else error
    except (ValueError, AttributeError):
        message = text
    return f": {_snippet(str(message))}" if message else ""


def _content(raw: bytes, url: str) -> str:
    try:
        payload = json.loads(raw)
    except ValueError as exc:  # also bytes that are not UTF-8
        text = raw.decode("utf-8", "replace")
        raise LLMError(f"{url} did not answer JSON: {_snippet(text)!r}") from exc
    try:
        content = payload["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError) as exc:
        raise LLMError(f"{url} answered JSON without choices[0].message.content") from exc
    if not isinstance(content, str):
        raise LLMError(f"{url} answered a non-text choices[0].message.content")
    return content


def _snippet(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
