import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from conftest import EXAMPLES
from typer.testing import CliRunner

from nienbieu import llm, summarize
from nienbieu.cli import Exit, app
from nienbieu.models import Article, Briefing, BriefSentence, Paragraph, RewriteNote, Sentence

MEETING = "Các Bộ trưởng quốc phòng NATO ngày 18/2 họp trực tuyến bàn về Sáng kiến NATO 2030."
SPENDING = "Tổng thư ký Jens Stoltenberg cho biết 10 nước đã đạt mức chi 2% GDP cho quốc phòng."
BALTIC = "Ba Lan và các nước Baltic tăng chi tiêu mạnh nhất."


@dataclass
class FakeLLM:
    """What the fake endpoint answers, and what it was sent."""

    base_url: str = ""
    answers: dict[str, str] = field(default_factory=dict)  # sentence -> rewrite; others are echoed
    status: int = 200
    raw: bytes | None = None  # a body to send instead of a chat completion
    delay: float = 0.0
    requests: list[dict] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        fake: FakeLLM = self.server.fake  # type: ignore[attr-defined]
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        fake.requests.append(
            {
                "path": self.path,
                "authorization": self.headers.get("Authorization"),
                "content_type": self.headers.get("Content-Type"),
                "body": body,
            }
        )
        time.sleep(fake.delay)
        sentence = body["messages"][-1]["content"]
        reply = fake.raw or json.dumps(_completion(fake.answers.get(sentence, sentence))).encode("utf-8")
        self.send_response(fake.status if self.path == "/v1/chat/completions" else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # the timeout test hangs up on purpose; the broken pipe is expected


def _completion(text: str) -> dict:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": "fake",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
    }


@pytest.fixture
def fake():
    server = _Server(("127.0.0.1", 0), _Handler)
    server.fake = FakeLLM(base_url=f"http://127.0.0.1:{server.server_address[1]}/v1")
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server.fake
    server.shutdown()
    server.server_close()


@pytest.fixture
def article() -> Article:
    texts = [MEETING, SPENDING, BALTIC]
    return Article(
        id="a1",
        source="a1.txt",
        body=[Paragraph(" ".join(texts))],
        title="NATO họp bàn ngân sách quốc phòng",
        outlet="VTV",
        sentences=[Sentence(i, t, 0, article_id="a1") for i, t in enumerate(texts)],
    )


def _briefing(article: Article) -> Briefing:
    cited = [summarize.citation(article, s) for s in article.sentences[:2]]
    return Briefing([BriefSentence(MEETING, cited[0]), BriefSentence(SPENDING, cited[1])], cited[:1], 150)


def _config(fake: FakeLLM, **kwargs) -> llm.LLMConfig:
    return llm.LLMConfig(fake.base_url, "vistral-7b", **kwargs)


# --- the support check -----------------------------------------------------------------


def test_faithful_rewrite_is_kept_with_its_citation(fake, article):
    faithful = "Ngày 18/2, các Bộ trưởng quốc phòng NATO họp trực tuyến về Sáng kiến NATO 2030."
    fake.answers[MEETING] = faithful
    original = _briefing(article)
    rewritten, notes = summarize.rewrite(original, [article], _config(fake))
    assert notes == []
    assert [s.text for s in rewritten.sentences] == [faithful, SPENDING]
    assert [s.citation for s in rewritten.sentences] == [s.citation for s in original.sentences]
    assert (rewritten.articles, rewritten.word_budget) == (original.articles, 150)
    assert original.sentences[0].text == MEETING  # the input is not modified


def test_added_number_is_refused_and_named(fake, article):
    wrong = "Ông Stoltenberg cho biết 12 nước đã chi 2% GDP cho quốc phòng."
    fake.answers[SPENDING] = wrong
    rewritten, notes = summarize.rewrite(_briefing(article), [article], _config(fake))
    assert [s.text for s in rewritten.sentences] == [MEETING, SPENDING]
    assert notes == [RewriteNote(2, "unsupported", "numbers not in the cited sentence: 12", wrong)]
    assert (
        str(notes[0]) == "sentence 2 kept as extracted (unsupported): numbers not in the cited sentence: 12"
    )


def test_name_from_another_sentence_of_the_article_is_refused(fake, article):
    # "Ba Lan" is in the article, so its syllables are backed, but not in the cited sentence
    fake.answers[SPENDING] = SPENDING.replace("10 nước", "10 nước, trong đó có Ba Lan,")
    rewritten, notes = summarize.rewrite(_briefing(article), [article], _config(fake))
    assert rewritten.sentences[1].text == SPENDING
    assert [(n.sentence, n.reason, n.detail) for n in notes] == [
        (2, "unsupported", "names not in the cited sentence: Ba Lan")
    ]


def test_new_name_and_words_are_listed():
    verdict = summarize.support(
        "Ngoại trưởng Antony Blinken họp trực tuyến với NATO.", [MEETING], context=BALTIC
    )
    assert verdict.names == ("Ngoại", "Antony Blinken")
    assert verdict.syllables == ("ngoại", "antony", "blinken")
    assert (verdict.numbers, verdict.quotes, verdict.precision, verdict.ok) == ((), (), 5 / 8, False)
    assert verdict.reasons() == (
        "names not in the cited sentence: Ngoại, Antony Blinken; "
        "words not in the cited article: ngoại, antony, blinken; "
        "only 62% of its content syllables are in the cited sentence (minimum 80%)"
    )


def test_rewrite_made_of_other_sentences_fails_the_precision_floor(article):
    context = summarize._article_text(article)
    borrowed = "NATO họp bàn ngân sách quốc phòng, các nước tăng chi tiêu mạnh nhất."
    verdict = summarize.support(borrowed, [MEETING], context)
    assert (verdict.numbers, verdict.names, verdict.syllables) == ((), (), ())
    assert verdict.precision == 5 / 13 and not verdict.ok


def test_quotations_must_stay_word_for_word():
    said = "Ông Stoltenberg nói: “Chúng ta phải chi nhiều hơn cho quốc phòng.”"
    reordered = "Ông Stoltenberg nói: “Chúng ta phải chi cho quốc phòng nhiều hơn.”"
    assert summarize.support(reordered, [said]).quotes == ("Chúng ta phải chi cho quốc phòng nhiều hơn.",)
    assert summarize.support("Ông Stoltenberg nói chúng ta phải chi nhiều hơn cho quốc phòng.", [said]).ok
    assert summarize.support("Ông Stoltenberg nói: “phải chi nhiều hơn cho quốc phòng”.", [said]).ok


def test_answer_is_unwrapped_and_an_empty_answer_is_noted(fake, article):
    fake.answers[MEETING] = (
        "<think>Giữ số liệu.</think>\n“Các Bộ trưởng quốc phòng NATO họp trực tuyến ngày 18/2.”"
    )
    fake.answers[SPENDING] = "  \n"
    rewritten, notes = summarize.rewrite(_briefing(article), [article], _config(fake))
    assert [s.text for s in rewritten.sentences] == [
        "Các Bộ trưởng quốc phòng NATO họp trực tuyến ngày 18/2.",
        SPENDING,
    ]
    assert notes == [RewriteNote(2, "empty", "the model answered no text", "")]


# --- the client --------------------------------------------------------------------------


def test_request_carries_model_sentence_and_json(fake, article):
    summarize.rewrite(_briefing(article), [article], _config(fake))
    assert len(fake.requests) == 2
    first = fake.requests[0]
    assert first["path"] == "/v1/chat/completions"
    assert first["content_type"] == "application/json"
    assert first["body"]["model"] == "vistral-7b"
    assert first["body"]["temperature"] == 0.0
    assert [m["role"] for m in first["body"]["messages"]] == ["system", "user"]
    assert first["body"]["messages"][1]["content"] == MEETING
    assert first["authorization"] is None


def test_bearer_key_is_sent_when_set(fake):
    assert llm.chat(_config(fake, api_key="sk-thu-nghiem"), [{"role": "user", "content": BALTIC}]) == BALTIC
    assert fake.requests[0]["authorization"] == "Bearer sk-thu-nghiem"
    assert "sk-thu-nghiem" not in repr(_config(fake, api_key="sk-thu-nghiem"))


def test_http_500_names_the_status_and_the_briefing_falls_back(fake, article):
    fake.status = 500
    fake.raw = b'{"error": {"message": "model overloaded", "type": "server_error"}}'
    expected = f"{fake.base_url}/chat/completions answered HTTP 500 Internal Server Error: model overloaded"
    with pytest.raises(llm.LLMError) as caught:
        llm.chat(_config(fake), [{"role": "user", "content": MEETING}])
    assert str(caught.value) == expected
    original = _briefing(article)
    rewritten, notes = summarize.rewrite(original, [article], _config(fake))
    assert rewritten is original
    assert notes == [RewriteNote(None, "llm-error", expected)]
    assert len(fake.requests) == 2  # the briefing stopped asking after its first failure


def test_malformed_json_is_an_llm_error(fake):
    url = f"{fake.base_url}/chat/completions"
    fake.raw = b'{"choices": ['
    with pytest.raises(llm.LLMError) as caught:
        llm.chat(_config(fake), [{"role": "user", "content": MEETING}])
    assert str(caught.value) == f"""{url} did not answer JSON: '{{"choices": ['"""
    fake.raw = b'{"object": "chat.completion", "choices": []}'
    with pytest.raises(llm.LLMError) as caught:
        llm.chat(_config(fake), [{"role": "user", "content": MEETING}])
    assert str(caught.value) == f"{url} answered JSON without choices[0].message.content"


def test_timeout_is_an_llm_error(fake, article):
    fake.delay = 1.0
    started = time.monotonic()
    rewritten, notes = summarize.rewrite(_briefing(article), [article], _config(fake, timeout=0.2))
    assert time.monotonic() - started < 0.9
    assert notes == [
        RewriteNote(None, "llm-error", f"{fake.base_url}/chat/completions did not answer within 0.2 s")
    ]
    assert [s.text for s in rewritten.sentences] == [MEETING, SPENDING]


def test_unreachable_server_is_an_llm_error():
    with socket.socket() as probe:  # a port nobody listens on once this socket is closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(llm.LLMError) as caught:
        llm.chat(llm.LLMConfig(f"http://127.0.0.1:{port}/v1/", "m", timeout=2), [])
    assert str(caught.value).startswith(f"cannot reach http://127.0.0.1:{port}/v1/chat/completions: ")


def test_config_from_environment():
    assert llm.config_from_env({}) is None
    env = {"NIENBIEU_LLM_URL": "http://localhost:11434/v1", "NIENBIEU_LLM_MODEL": "qwen2.5:7b"}
    assert llm.config_from_env(env) == llm.LLMConfig("http://localhost:11434/v1", "qwen2.5:7b", None, 30.0)
    keyed = llm.config_from_env(env | {"NIENBIEU_LLM_KEY": "sk-1", "NIENBIEU_LLM_TIMEOUT": "90"})
    assert (keyed.api_key, keyed.timeout) == ("sk-1", 90.0)
    with pytest.raises(llm.LLMError, match="NIENBIEU_LLM_MODEL is not"):
        llm.config_from_env({"NIENBIEU_LLM_URL": "http://localhost:11434/v1"})
    with pytest.raises(llm.LLMError, match="must start with http"):
        llm.config_from_env(env | {"NIENBIEU_LLM_URL": "localhost:11434/v1"})
    with pytest.raises(llm.LLMError, match="positive number of seconds, not 'nhanh'"):
        llm.config_from_env(env | {"NIENBIEU_LLM_TIMEOUT": "nhanh"})


# --- the command line -------------------------------------------------------------------------

runner = CliRunner()
NO_LLM = {"NIENBIEU_LLM_URL": None, "NIENBIEU_LLM_MODEL": None, "NIENBIEU_LLM_KEY": None}


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> str:
    path = str(tmp_path_factory.mktemp("llm") / "t.db")
    assert runner.invoke(app, ["ingest", str(EXAMPLES), "--db", path]).exit_code == Exit.OK
    return path


def _brief_json(db: str, env: dict, *extra: str):
    # the five seeds are three stories: a scope takes them all (they all name NATO)
    command = ["brief", "--db", db, "-f", "json", "--query", "NATO", *extra]
    result = runner.invoke(app, command, env=NO_LLM | env)
    return result, json.loads(result.stdout) if result.exit_code == Exit.OK else None


def test_cli_rewrite_keeps_supported_sentences_and_reports_the_rest(fake, db):
    _, plain = _brief_json(db, {})
    texts = [s["text"] for s in plain["sentences"]]
    trump = next(t for t in texts if t.startswith("Mỹ và các đồng minh NATO"))
    rutte = next(t for t in texts if "14-15 tháng 7" in t)
    shorter = trump.replace("mong muốn", "muốn").replace("cựu ", "")
    fake.answers = {trump: shorter, rutte: rutte.replace("14-15", "16-17")}
    env = {"NIENBIEU_LLM_URL": fake.base_url, "NIENBIEU_LLM_MODEL": "vistral-7b"}
    result, rewritten = _brief_json(db, env, "--rewrite")
    assert result.exit_code == Exit.OK
    assert [s["text"] for s in rewritten["sentences"]] == [shorter if t == trump else t for t in texts]
    assert [s["citation"] for s in rewritten["sentences"]] == [s["citation"] for s in plain["sentences"]]
    number = texts.index(rutte) + 1
    assert result.stderr == (
        f"rewrite: sentence {number} kept as extracted (unsupported): "
        "numbers not in the cited sentence: 16, 17\n"
    )
    assert len(fake.requests) == len(texts)


def test_cli_rewrite_endpoint_failure_prints_the_extractive_briefing(fake, db):
    fake.status = 500
    _, plain = _brief_json(db, {})
    result, rewritten = _brief_json(
        db, {"NIENBIEU_LLM_URL": fake.base_url, "NIENBIEU_LLM_MODEL": "m"}, "--rewrite"
    )
    assert result.exit_code == Exit.OK and rewritten == plain
    assert result.stderr.startswith("rewrite: briefing kept as extracted (llm-error): ")
    assert "answered HTTP 500 Internal Server Error" in result.stderr


def test_cli_rewrite_without_endpoint_is_a_usage_error(db):
    result, _ = _brief_json(db, {}, "--rewrite")
    assert result.exit_code == Exit.USAGE == 2
    assert "--rewrite needs an OpenAI-compatible endpoint: set NIENBIEU_LLM_URL" in result.stderr
    assert result.stdout == ""
    result, _ = _brief_json(db, {"NIENBIEU_LLM_URL": "http://127.0.0.1:9/v1"}, "--rewrite")
    assert result.exit_code == Exit.USAGE
    assert "NIENBIEU_LLM_URL is set but NIENBIEU_LLM_MODEL is not" in result.stderr
