"""Thumbs up or down on an answer."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from assistant.container import Services
from assistant.feedback import Feedback
from ui.messages import MAX_MESSAGE_CHARS
from ui.routes.auth import Check


class FeedbackRequest(BaseModel):
    rating: Literal["up", "down"]
    question: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS)
    answer: str = Field(min_length=1, max_length=20_000)
    sources: list[dict[str, Any]] = Field(default_factory=list, max_length=50)
    backend: str = Field("", max_length=100)
    comment: str = Field("", max_length=2000)


def router(services: Services, authorized: Check) -> APIRouter:
    routes = APIRouter()

    @routes.post("/api/feedback")
    def feedback(request: FeedbackRequest, _: None = Depends(authorized)) -> dict[str, int]:
        """Thumbs up or down on an answer, with an optional comment."""
        return {"id": services.feedback.add(Feedback(**request.model_dump()))}

    return routes
