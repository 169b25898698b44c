"""Deterministic stand-ins for the slow parts (no mocks)."""

from __future__ import annotations

import hashlib
import math
import re
import time

_TOKEN = re.compile(r"\w+|[^\w\s]")


class HashingEmbedder:
    """Bag of hashed words, normalized: similar texts get similar vectors, instantly.

    Counts what it embeds, and can be told to fail after a number of batches to
    simulate a crash in the middle of a refresh.
    """

    name = "fake-hashing-64"
    max_tokens = 256

    def __init__(self, dim: int = 64, fail_after_batches: int | None = None) -> None:
        self.dim = dim
        self.fail_after_batches = fail_after_batches
        self.batches = 0
        self.texts: list[str] = []

    def embed_batch(self, texts: list[str]) -> list[list[float]]:
        if self.fail_after_batches is not None and self.batches >= self.fail_after_batches:
            raise RuntimeError("simulated crash while embedding")
        self.batches += 1
        self.texts.extend(texts)
        return [self._vector(text) for text in texts]

    def count_tokens(self, text: str) -> int:
        return len(_TOKEN.findall(text))

    def _vector(self, text: str) -> list[float]:
        vector = [0.0] * self.dim
        for word in _TOKEN.findall(text.lower()):
            digest = hashlib.blake2b(word.encode("utf-8"), digest_size=4).digest()
            vector[int.from_bytes(digest, "big") % self.dim] += 1.0
        norm = math.sqrt(sum(v * v for v in vector)) or 1.0
        return [v / norm for v in vector]


class ScriptedChat:
    """A chat model that streams the replies it was given, in order, word by word,
    and keeps the messages it was sent."""

    name = "scripted"

    def __init__(self, *replies: str, delay_s: float = 0.0) -> None:
        self.replies = list(replies)
        self.delay_s = delay_s  # between words, so a browser can see the answer grow
        self.calls: list[list[dict[str, str]]] = []
        self.sent: list[str] = []
        self.sampled: list[tuple[int, float]] = []  # (max_tokens, temperature) of each call

    def enqueue(self, reply: str) -> None:
        """`{n:Evil Corp}` in a reply becomes the number the prompt gave the source whose
        label names Evil Corp, and `{n:=low code}` that of the source whose text has "low
        code", as a model would cite them. `sent` keeps the replies as streamed."""
        self.replies.append(reply)

    @staticmethod
    def _cite(reply: str, messages: list[dict[str, str]]) -> str:
        prompt = "\n".join(m["content"] for m in messages)

        def number(match: re.Match[str]) -> str:
            wanted = match.group(1)
            found = (re.search(r"<source>\[(\d+)\][^<]*?" + re.escape(wanted[1:]), prompt) if wanted.startswith("=")
                     else re.search(r"<source>\[(\d+)\] \([^)]*" + re.escape(wanted), prompt))
            assert found, f"no source labelled {match.group(1)!r} in the prompt"
            return found.group(1)

        return re.sub(r"\{n:([^}]+)\}", number, reply)

    def stream(self, messages: list[dict[str, str]], *, max_tokens: int, temperature: float = 0.0):
        self.calls.append(messages)
        self.sampled.append((max_tokens, temperature))
        reply = self._cite(self.replies.pop(0), messages)
        self.sent.append(reply)
        for index, word in enumerate(reply.split(" ")):
            if self.delay_s:
                time.sleep(self.delay_s)
            yield word if index == 0 else " " + word


class FakeOpenAIServer:
    """A minimal OpenAI-compatible chat server on 127.0.0.1 that streams a fixed reply."""

    def __init__(self, reply: str, api_key: str = "test-key") -> None:
        import json
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.requests: list[dict] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), **body})
                if self.headers.get("Authorization") != f"Bearer {api_key}":
                    self.send_response(401)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(b'{"error": {"message": "bad key"}}')
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                for index, word in enumerate(reply.split(" ")):
                    chunk = {"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": body["model"],
                             "choices": [{"index": 0, "delta": {"content": word if index == 0 else " " + word},
                                          "finish_reason": None}]}
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                self.wfile.write(b"data: [DONE]\n\n")

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def __enter__(self) -> FakeOpenAIServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def ten_and_ten(taxonomy):  # type: ignore[no-untyped-def]
    """Ten ML engineer postings (eight ask for Kubernetes) and ten data scientist postings
    (nine ask for statistics, one for Kubernetes), all asking for Python: a corpus small
    enough to count by hand."""
    from assistant.analytics import Corpus, profile
    from assistant.documents import StoredDocument

    def posting(doc_id: str, role: str, text: str) -> StoredDocument:
        return StoredDocument(doc_id, "posting", role, "", role, text)

    docs = [posting(f"ml{i}", "ml_engineer", "Kubernetes and Python." if i < 8 else "Python.") for i in range(10)]
    docs += [posting(f"ds{i}", "data_scientist", "Statistics and Python." if i else "Kubernetes, Python.")
             for i in range(10)]
    return docs, Corpus(taxonomy, [profile(d, taxonomy) for d in docs])
