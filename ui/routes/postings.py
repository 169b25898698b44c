"""Postings upload (admin token required)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, File, Form, UploadFile

from assistant.container import Services
from assistant.uploads import ingest_upload
from ui.routes.auth import Check


def router(services: Services, admin: Check) -> APIRouter:
    routes = APIRouter()

    @routes.post("/api/postings")
    def upload_postings(
        file: UploadFile = File(description="Postings as .jsonl, .json or .csv"),
        skip_invalid: bool = Form(False, description="Ingest the valid records and list the rejected ones."),
        sync: bool = Form(False, description="Remove postings missing from this file's previous upload."),
        _: None = Depends(admin),
    ) -> dict[str, Any]:
        """Add or refresh postings (admin token required). Returns the ingest summary; a bad
        file gets a 4xx naming each problem, and the index is left as it was."""
        data = file.file.read(services.settings.max_upload_bytes + 1)
        return ingest_upload(services, file.filename or "", data, skip_invalid=skip_invalid, sync=sync).summary()

    return routes
