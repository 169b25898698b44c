"""The sentence-transformers model run by ONNX Runtime instead of PyTorch.

The model is exported once with `torch.onnx` into `models_dir` and checked against PyTorch
before it is used. Its vectors are sentence-transformers' own (cosine 1.0000 on 1,000 real
chunks), so an index built with either runtime stays valid. Here it embeds a question 2.4x
faster and batches 1.06-1.25x, and a server that only answers never imports torch
(BENCHMARKS.md). sentence-transformers' own `backend="onnx"` cannot be used: it needs
optimum-onnx, which needs transformers < 4.58.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.embeddings import QUERY_BATCH, resolve_model_path, unit_vectors
from assistant.errors import BackendUnavailable

_TRANSFORMER = "sentence_transformers.models.Transformer"
_POOLING = "sentence_transformers.models.Pooling"
_NORMALIZE = "sentence_transformers.models.Normalize"
_POOLING_MODES = ("cls_token", "max_tokens", "mean_sqrt_len_tokens", "weightedmean_tokens", "lasttoken")
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
# Part of the export's file name: a change to how models are exported makes a new file.
_RECIPE = "torch.onnx opset 17, eager attention, last_hidden_state"
# A converted model must reproduce PyTorch's vectors to this cosine before it is used.
_MIN_COSINE = 0.99999


@dataclass(frozen=True)
class Layout:
    """What a sentence-transformers folder does, as far as this runtime reproduces it."""

    folder: Path
    max_tokens: int
    normalize: bool
    lowercase: bool


def read_layout(folder: Path) -> Layout:
    """A Transformer, mean pooling and optional Normalize, or a clear error naming the file."""
    runtime_hint = "set embedding_runtime = 'torch' to run this model with sentence-transformers"
    modules_file = folder / "modules.json"
    try:
        modules = json.loads(modules_file.read_text(encoding="utf-8"))
        types = [module["type"] for module in modules]
    except (OSError, ValueError, TypeError, KeyError) as error:
        raise BackendUnavailable(f"{modules_file}: not a readable sentence-transformers module list ({error}); "
                                 f"{runtime_hint}") from None
    if types[:2] != [_TRANSFORMER, _POOLING] or types[2:] not in ([], [_NORMALIZE]):
        raise BackendUnavailable(f"{modules_file}: modules {types}; the ONNX runtime reproduces a Transformer, "
                                 f"mean Pooling and Normalize only; {runtime_hint}")
    pooling_file = folder / modules[1]["path"] / "config.json"
    pooling = json.loads(pooling_file.read_text(encoding="utf-8"))
    others = [mode for mode in _POOLING_MODES if pooling.get(f"pooling_mode_{mode}")]
    if not pooling.get("pooling_mode_mean_tokens") or others:
        raise BackendUnavailable(f"{pooling_file}: pooling is not mean pooling alone; {runtime_hint}")
    if not (folder / "tokenizer.json").is_file():
        raise BackendUnavailable(f"{folder}: no tokenizer.json (a fast tokenizer); {runtime_hint}")
    config = json.loads((folder / "sentence_bert_config.json").read_text(encoding="utf-8"))
    return Layout(folder, int(config["max_seq_length"]), normalize=types[2:] == [_NORMALIZE],
                  lowercase=bool(config.get("do_lower_case")))


def exported_path(folder: Path, models_dir: Path) -> Path:
    """Where this model's export lives: a new model or new weights get a new file."""
    digest = hashlib.sha256(f"{_RECIPE}\n".encode())
    for file in sorted(p for p in folder.iterdir() if p.is_file()):
        stat = file.stat()
        digest.update(f"{file.name}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return models_dir / "onnx" / f"{folder.name}-{digest.hexdigest()[:16]}" / "model.onnx"


def ensure_exported(layout: Layout, models_dir: Path) -> Path:
    """The model's ONNX file, exported and checked the first time; safe across processes."""
    from filelock import FileLock

    target = exported_path(layout.folder, models_dir)
    if target.is_file():
        return target
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(str(target.parent / ".export.lock")):
            if not target.is_file():
                _export(layout, target)
    except OSError as error:
        raise BackendUnavailable(f"cannot write the ONNX export of {layout.folder} to {target.parent}: "
                                 f"{error.strerror or error}; set models_dir to a writable folder, or "
                                 f"embedding_runtime = 'torch'") from None
    return target


def _export(layout: Layout, target: Path) -> None:
    import torch
    import transformers
    from transformers import AutoModel

    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    # Eager attention: traced from SDPA, the graph runs about 15% slower in ONNX Runtime.
    model = AutoModel.from_pretrained(str(layout.folder), local_files_only=True, attn_implementation="eager").eval()
    tokenizer = _tokenizer(layout)
    inputs = _columns(tokenizer.encode_batch(["a short example", "a longer example, so that the batch is padded"]))

    class LastHiddenState(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.model(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    axes = {name: {0: "batch", 1: "tokens"} for name in (*_INPUTS, "last_hidden_state")}
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        # The TorchScript exporter is deprecated but kept in torch 2.13 (pinned); _check
        # proves each export against PyTorch. Its tracer warnings are about shapes it
        # records as constants, and the axes that vary are declared dynamic.
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # eval() on the wrapper too: the exporter restores the wrapper's mode afterwards,
            # and a new Module is in training mode, which would turn dropout on in `model`.
            try:
                torch.onnx.export(LastHiddenState().eval(), tuple(torch.from_numpy(inputs[n]) for n in _INPUTS),
                                  str(partial), input_names=list(_INPUTS), output_names=["last_hidden_state"],
                                  dynamic_axes=axes, opset_version=17, dynamo=False)
            except (RuntimeError, ValueError, TypeError, torch.onnx.OnnxExporterError) as error:
                raise BackendUnavailable(f"exporting {layout.folder} to ONNX failed ({type(error).__name__}: "
                                         f"{error}); set embedding_runtime = 'torch'") from None
        _check(layout, partial, model)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def _check(layout: Layout, exported: Path, model: Any) -> None:
    """The export must give PyTorch's vectors, at a batch shape it was not traced with."""
    import torch

    probes = ["What does a machine learning engineer do?", "SQL, Python and Spark; 5+ years " * 40, "R"]
    columns = _columns(_tokenizer(layout).encode_batch(probes))
    onnx_vectors = _pool(_run(_session(exported, threads=1), columns), columns["attention_mask"], layout)
    with torch.no_grad():
        hidden = model(**{name: torch.from_numpy(columns[name]) for name in _INPUTS}).last_hidden_state
    torch_vectors = _pool(hidden.numpy(), columns["attention_mask"], layout)
    cosine = float(np.min(np.sum(unit_vectors(onnx_vectors) * unit_vectors(torch_vectors), axis=1)))
    if cosine < _MIN_COSINE:
        raise BackendUnavailable(f"the ONNX export of {layout.folder} differs from PyTorch (cosine {cosine:.6f}); "
                                 f"set embedding_runtime = 'torch'")


class OnnxEmbedder:
    """Normalized vectors from ONNX Runtime on the CPU, without importing torch once exported."""

    def __init__(self, model: str, *, models_dir: Path, batch_size: int = 32, threads: int = 2) -> None:
        layout = read_layout(resolve_model_path(model))
        self.name = model
        self.max_tokens = layout.max_tokens
        self._layout = layout
        self._path = ensure_exported(layout, models_dir)
        self._batch_size = batch_size
        self._threads = threads
        self._tokenizer = _tokenizer(layout)
        self._counter = _tokenizer(layout, truncate=False)
        # A question is too small to share between threads: on a busy machine a second
        # thread waits for a core. Questions get their own one-thread session; the
        # batch session for ingest is made when the first batch comes.
        self._query_session = _session(self._path, threads=1)
        self._batch_session: Any = None
        self._lock = threading.Lock()

    def embed_batch(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        session = self._query_session if len(texts) <= QUERY_BATCH else self._batch()
        if self._layout.lowercase:
            texts = [text.lower() for text in texts]
        # Longest first, as sentence-transformers does, so each batch pads little.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        pieces = []
        for start in range(0, len(texts), self._batch_size):
            columns = _columns(self._tokenizer.encode_batch([texts[i] for i in order[start:start + self._batch_size]]))
            pieces.append(_pool(_run(session, columns), columns["attention_mask"], self._layout))
        in_order = np.concatenate(pieces)
        vectors = np.empty_like(in_order)
        vectors[order] = in_order
        return vectors.tolist()

    def count_tokens(self, text: str) -> int:
        return len(self._counter.encode(text, add_special_tokens=False))

    def _batch(self) -> Any:
        with self._lock:
            if self._batch_session is None:
                self._batch_session = _session(self._path, threads=self._threads)
            return self._batch_session


def _tokenizer(layout: Layout, *, truncate: bool = True) -> Any:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(layout.folder / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    if truncate:
        tokenizer.enable_truncation(max_length=layout.max_tokens)
        # Padded positions are masked out of attention and pooling: the id does not matter.
        tokenizer.enable_padding(pad_id=0)
    return tokenizer


def _session(path: Path, *, threads: int) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _columns(encodings: list[Any]) -> dict[str, np.ndarray]:
    """Every input a BERT-like model takes, for one padded batch."""
    ids = np.asarray([e.ids for e in encodings], dtype=np.int64)
    return {"input_ids": ids, "attention_mask": np.asarray([e.attention_mask for e in encodings], dtype=np.int64),
            "token_type_ids": np.zeros_like(ids)}


def _run(session: Any, columns: dict[str, np.ndarray]) -> np.ndarray:
    """The session's last hidden state, fed the inputs its graph declares."""
    return session.run(None, {item.name: columns[item.name] for item in session.get_inputs()})[0]


def _pool(hidden: np.ndarray, attention_mask: np.ndarray, layout: Layout) -> np.ndarray:
    mask = attention_mask.astype(np.float32)[..., None]
    pooled = (hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
    return unit_vectors(pooled) if layout.normalize else pooled

