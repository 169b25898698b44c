"""Exact figures over the indexed postings, and the role a job description reads like."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from assistant.analytics import resolve_roles
from assistant.container import Services
from ui.routes.auth import Check
from ui.served import ServedIndex


class ClassifyRequest(BaseModel):
    text: str = Field(min_length=20, max_length=100_000, description="A job description.")


def router(services: Services, served: ServedIndex, authorized: Check) -> APIRouter:
    routes = APIRouter()

    @routes.get("/api/stats")
    def stats(roles: str = "", skills: str = "", _: None = Depends(authorized)) -> dict[str, Any]:
        """Exact figures over every indexed posting. `roles` and `skills` are comma-separated
        (default: every role, every skill); with two roles, the skills that separate them."""
        from assistant.figures import stats_json

        corpus = served.corpus()
        chosen = resolve_roles(roles.split(",")) if roles.strip() else corpus.roles_present
        return stats_json(corpus, chosen, services.taxonomy.resolve(skills.split(",")) if skills.strip() else None)

    @routes.post("/api/classify")
    def classify(request: ClassifyRequest, _: None = Depends(authorized)) -> dict[str, Any]:
        """The role a job description reads like by its content, why, the closest postings and
        what the article says about that role."""
        return served.posting_check(request.text).to_json()

    return routes
