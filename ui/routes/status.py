"""Health (liveness and readiness) and the index's status."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter

from assistant.container import Services


@dataclass
class Readiness:
    """Set by the app's warm-up: ready once the index and models are loaded, else why not."""

    ready: bool = False
    error: str = ""


def router(services: Services, readiness: Readiness) -> APIRouter:
    routes = APIRouter()

    @routes.get("/api/health")
    def health() -> dict[str, Any]:
        """Liveness, and readiness once the index and models are loaded; `pid` tells the
        worker process apart when `serve --workers N` runs several."""
        return {"status": "ok", "ready": readiness.ready, "error": readiness.error, "pid": os.getpid()}

    @routes.get("/api/status")
    def status() -> dict[str, Any]:
        return {**services.pointer.manifest(), "backend": services.settings.backend}

    return routes
