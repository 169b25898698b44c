"""Postings files uploaded through the web (admin tab, `POST /api/postings`).

An upload is checked and indexed from a staging copy; only after the refresh succeeds is
it kept (kept_uploads.py: as `data_dir/uploads/NAME`, or in PostgreSQL), under the source
its documents name. Uploading a new version of the same file name with `sync` then
removes the postings it no longer has.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path

from assistant.container import Services
from assistant.errors import CorpusError, IndexWriteError
from assistant.indexer import refresh
from assistant.sources import RECORD_SUFFIXES, load_paths, require_clean
from assistant.types import IngestReport, Rejection

UPLOAD_SUFFIXES = RECORD_SUFFIXES


class UploadTooLarge(CorpusError):
    pass


class UnsupportedUpload(CorpusError):
    pass


MAX_STEM_CHARS = 100


def safe_name(filename: str) -> str:
    """The only part of a client's file name that reaches the file system: a stem of at most
    MAX_STEM_CHARS safe characters and a known suffix (a long name must not fail the write)."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(filename.replace("\\", "/")).name).lstrip(".")
    suffix = Path(name).suffix.lower()
    shown = filename if len(filename) <= 80 else filename[:60] + "..." + filename[-12:]
    if suffix not in UPLOAD_SUFFIXES:
        raise UnsupportedUpload(
            f"{shown or '(no name)'}: unsupported file type {suffix[:20] or '(no extension)'!r}: "
            f"upload a {', '.join(UPLOAD_SUFFIXES)} file"
        )
    return (name[: -len(suffix)][:MAX_STEM_CHARS] or "upload") + suffix


def ingest_upload(
    services: Services,
    filename: str,
    data: bytes,
    *,
    skip_invalid: bool = False,
    sync: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
) -> IngestReport:
    """Validate and index one uploaded postings file; on any error the index is unchanged."""
    name = safe_name(filename)
    limit = services.settings.max_upload_bytes
    if len(data) > limit:
        raise UploadTooLarge(f"{name}: {len(data):,} bytes, over the {limit:,}-byte upload limit")
    folder = services.settings.data_dir / "uploads"
    staging = folder / f".staging-{uuid.uuid4().hex}" / name
    source = services.uploads.source(name)
    try:
        try:
            staging.parent.mkdir(parents=True, exist_ok=True)
            staging.write_bytes(data)
        except OSError as exc:
            raise IndexWriteError(f"could not store the upload in {folder}: {exc.strerror or exc}; "
                                  f"the index is unchanged") from exc
        loaded = load_paths([staging], max_record_bytes=services.settings.max_record_bytes)
        # Messages name the file as the user called it, not the staging copy.
        loaded.rejections = [
            Rejection(r.where.replace(str(staging), name), r.reason.replace(str(staging), name))
            for r in loaded.rejections
        ]
        require_clean(loaded, skip_invalid=skip_invalid, skip_option="skip_invalid")
        documents = [dataclasses.replace(d, source=source) for d in loaded.documents]
        report = refresh(
            services.store, services.chunker, documents, sync_sources={source} if sync else set(),
            rejected=loaded.rejections, progress=False, on_progress=on_progress,
        )
        services.uploads.keep(name, staging, report.summary())
        return report
    finally:
        shutil.rmtree(staging.parent, ignore_errors=True)
