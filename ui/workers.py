"""The app each worker process of `serve --workers N` builds for itself.

Workers share nothing in memory: each loads its own models and reads the index from the
Chroma server, and each notices a refresh published by any process. Gradio's chat page
keeps sessions in process memory, so workers serve the HTTP API only.
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI

from assistant.container import build_services
from assistant.settings import load_settings
from ui.api import make_app

SETTINGS_FILE_ENV = "ASSISTANT_SETTINGS_FILE"


def create_app() -> FastAPI:
    file = os.environ.get(SETTINGS_FILE_ENV)
    return make_app(build_services(load_settings(Path(file) if file else None)), chat_page=False)
