"""The ONNX Runtime embedder: which models it takes, where its export lives, and (slow, with
the real model) that it gives sentence-transformers' vectors."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from assistant.embeddings import resolve_model_path
from assistant.errors import BackendUnavailable
from assistant.onnx_embedder import OnnxEmbedder, ensure_exported, exported_path, read_layout
from assistant.settings import Settings

TRANSFORMER = {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"}
POOLING = {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}
NORMALIZE = {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}
DENSE = {"idx": 2, "name": "2", "path": "2_Dense", "type": "sentence_transformers.models.Dense"}


def model_folder(tmp_path: Path, modules: list[dict], *, mean: bool = True, cls: bool = False,
                 tokenizer: bool = True, lower: bool = False) -> Path:
    folder = tmp_path / "model"
    (folder / "1_Pooling").mkdir(parents=True)
    (folder / "modules.json").write_text(json.dumps(modules))
    (folder / "1_Pooling" / "config.json").write_text(
        json.dumps({"word_embedding_dimension": 384, "pooling_mode_mean_tokens": mean, "pooling_mode_cls_token": cls}))
    (folder / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 128, "do_lower_case": lower}))
    if tokenizer:
        (folder / "tokenizer.json").write_text("{}")
    return folder


def test_a_transformer_with_mean_pooling_is_taken(tmp_path: Path) -> None:
    layout = read_layout(model_folder(tmp_path, [TRANSFORMER, POOLING, NORMALIZE], lower=True))
    assert (layout.max_tokens, layout.normalize, layout.lowercase) == (128, True, True)
    assert read_layout(model_folder(tmp_path / "b", [TRANSFORMER, POOLING])).normalize is False


@pytest.mark.parametrize(
    ("modules", "options", "blamed"),
    [
        ([TRANSFORMER, POOLING, DENSE], {}, "modules.json: modules"),
        ([POOLING], {}, "modules.json: modules"),
        ([TRANSFORMER, POOLING], {"mean": False, "cls": True}, "1_Pooling/config.json: pooling is not mean"),
        ([TRANSFORMER, POOLING], {"cls": True}, "1_Pooling/config.json: pooling is not mean"),
        ([TRANSFORMER, POOLING], {"tokenizer": False}, "no tokenizer.json"),
    ],
)
def test_other_models_are_refused_with_the_file_and_the_way_out(tmp_path: Path, modules, options, blamed) -> None:
    folder = model_folder(tmp_path, modules, **options)
    with pytest.raises(BackendUnavailable, match="embedding_runtime = 'torch'") as error:
        read_layout(folder)
    assert blamed in str(error.value) and str(folder) in str(error.value)


def test_an_unreadable_module_list_is_named(tmp_path: Path) -> None:
    folder = model_folder(tmp_path, [TRANSFORMER, POOLING])
    (folder / "modules.json").write_text("[{")
    with pytest.raises(BackendUnavailable, match=r"modules.json: not a readable"):
        read_layout(folder)


def test_the_export_is_named_for_the_weights_it_came_from(tmp_path: Path) -> None:
    folder = model_folder(tmp_path, [TRANSFORMER, POOLING])
    weights = folder / "model.safetensors"
    weights.write_bytes(b"x" * 10)
    first = exported_path(folder, tmp_path / "models")
    assert first == exported_path(folder, tmp_path / "models")
    assert first.parent.parent == tmp_path / "models" / "onnx" and first.name == "model.onnx"
    weights.write_bytes(b"y" * 11)
    assert exported_path(folder, tmp_path / "models") != first


def test_an_unwritable_models_dir_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "models"
    blocker.write_text("a file where the folder should be")
    layout = read_layout(resolve_model_path("packaged:all-MiniLM-L6-v2"))
    with pytest.raises(BackendUnavailable, match=r"cannot write the ONNX export .* to .*models/onnx"):
        ensure_exported(layout, blocker)


def test_the_runtime_is_a_setting() -> None:
    assert Settings().embedding_runtime == "onnx"
    with pytest.raises(ValidationError, match="embedding_runtime"):
        Settings(embedding_runtime="tensorflow")


# The real model.

QUESTIONS = ["What does an ML engineer do that a data scientist does not?", "kubernetes", "R"]


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[OnnxEmbedder, Path]:
    models_dir = tmp_path_factory.mktemp("models")
    return OnnxEmbedder("packaged:all-MiniLM-L6-v2", models_dir=models_dir, batch_size=8), models_dir


@pytest.mark.slow
def test_onnx_gives_the_vectors_and_token_counts_of_sentence_transformers(exported, feeds) -> None:
    from assistant.embeddings import SentenceTransformerEmbedder

    onnx, _ = exported
    reference = SentenceTransformerEmbedder("packaged:all-MiniLM-L6-v2", batch_size=8)
    records = [json.loads(line) for line in feeds["postings"].read_text(encoding="utf-8").splitlines()[:40]]
    # Whole descriptions run past 256 word pieces: truncation must match too.
    texts = [r["description"] for r in records] + [r["title"] for r in records]
    assert sum(reference.count_tokens(t) > 256 for t in texts) > 5
    batch = np.array(onnx.embed_batch(texts))
    assert batch.shape == (80, 384)
    assert np.min(np.sum(batch * np.array(reference.embed_batch(texts)), axis=1)) > 0.99999
    questions = np.array(onnx.embed_batch(QUESTIONS))
    assert np.min(np.sum(questions * np.array(reference.embed_batch(QUESTIONS)), axis=1)) > 0.99999
    assert np.allclose(np.linalg.norm(batch, axis=1), 1.0, atol=1e-5)
    assert [onnx.count_tokens(t) for t in texts] == [reference.count_tokens(t) for t in texts]
    assert onnx.max_tokens == reference.max_tokens == 256
    assert onnx.embed_batch([]) == []


@pytest.mark.slow
def test_questions_run_on_one_thread_and_batches_on_the_configured_threads(tmp_path: Path, exported) -> None:
    _, models_dir = exported
    embedder = OnnxEmbedder("packaged:all-MiniLM-L6-v2", models_dir=models_dir, threads=2)
    embedder.embed_batch(QUESTIONS)
    assert embedder._batch_session is None  # a server that only answers never makes it
    embedder.embed_batch(QUESTIONS * 3)
    assert embedder._batch_session is not None
    threads = {session.get_session_options().intra_op_num_threads
               for session in (embedder._query_session, embedder._batch_session)}
    assert threads == {1, 2}


@pytest.mark.slow
def test_the_export_is_made_once_and_reused(exported) -> None:
    onnx, models_dir = exported
    files = sorted(p.relative_to(models_dir) for p in models_dir.rglob("*") if p.is_file())
    assert [f.name for f in files] == [".export.lock", "model.onnx"]  # no partial file left
    made = os.stat(onnx._path).st_mtime_ns
    again = OnnxEmbedder("packaged:all-MiniLM-L6-v2", models_dir=models_dir)
    assert again._path == onnx._path and os.stat(again._path).st_mtime_ns == made


@pytest.mark.slow
def test_an_export_that_differs_from_pytorch_is_refused(tmp_path: Path, exported) -> None:
    import torch
    from transformers import AutoModel

    from assistant.onnx_embedder import _check

    onnx, _ = exported
    layout = read_layout(resolve_model_path("packaged:all-MiniLM-L6-v2"))
    _check(layout, onnx._path, AutoModel.from_pretrained(str(layout.folder), attn_implementation="eager").eval())
    other = AutoModel.from_pretrained(str(layout.folder), attn_implementation="eager").eval()
    with torch.no_grad():
        other.encoder.layer[0].output.dense.weight.mul_(1.5)
    with pytest.raises(BackendUnavailable, match=r"differs from PyTorch \(cosine 0\.\d+\)"):
        _check(layout, onnx._path, other)


@pytest.mark.slow
def test_an_index_built_on_pytorch_is_used_and_refreshed_on_onnx(tmp_path: Path, feeds, exported) -> None:
    from tests.conftest import cli_json

    _, models_dir = exported
    sample = tmp_path / "sample.jsonl"
    sample.write_text("".join(feeds["postings"].read_text(encoding="utf-8").splitlines(keepends=True)[:25]),
                      encoding="utf-8")
    index_dir = tmp_path / "index"
    torch_run = {"embedding_runtime": "torch"}
    onnx_run = {"embedding_runtime": "onnx", "models_dir": str(models_dir)}
    built = cli_json(index_dir, "ingest", str(sample), settings=torch_run)
    assert built["added"] > 20
    for query in ("deploy models to production with Kubernetes", "SQL dashboards for stakeholders"):
        by_torch = cli_json(index_dir, "search", query, "--k", "5", settings=torch_run)["results"]
        by_onnx = cli_json(index_dir, "search", query, "--k", "5", settings=onnx_run)["results"]
        assert [h["id"] for h in by_onnx] == [h["id"] for h in by_torch]
        assert [h["score"] for h in by_onnx] == pytest.approx([h["score"] for h in by_torch], abs=1e-4)
    again = cli_json(index_dir, "ingest", str(sample), settings=onnx_run)
    assert (again["unchanged"], again["added"], again["published"]) == (built["added"], 0, False)
