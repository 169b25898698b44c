"""Exact figures over the indexed postings, and the role a job description reads like."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query
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
    def stats(roles: str = "", skills: str = "", by: str = "", related: str = "",
              _: None = Depends(authorized)) -> dict[str, Any]:
        """Exact figures over every indexed posting, as `python -m assistant stats` gives them.
        `roles` and `skills` are comma-separated (default: every role, every skill); with two
        roles, the skills that separate them. `by=seniority|region` splits each role's figures;
        `related=SKILL` gives the skills asked for together with it (within `roles` if given)."""
        from assistant.figures import stats_json

        corpus = served.corpus()
        chosen_roles = resolve_roles(roles.split(",")) if roles.strip() else []
        chosen_skills = services.taxonomy.resolve(skills.split(",")) if skills.strip() else None
        if related.strip():
            from assistant.related import related_json, related_skills

            (skill,) = services.taxonomy.resolve([related])
            return related_json(related_skills(corpus, skill, chosen_roles), corpus)
        if by.strip():
            from assistant.segments import grouping, segments_json

            grouping(by)
            return segments_json(corpus, by, chosen_roles or corpus.roles_present, chosen_skills)
        return stats_json(corpus, chosen_roles or corpus.roles_present, chosen_skills)

    @routes.get("/api/mismatch")
    def mismatch(title: str = "", limit: int = Query(10, ge=0, le=200),
                 _: None = Depends(authorized)) -> dict[str, Any]:
        """Titles against content, as `python -m assistant mismatch --json` gives it."""
        from assistant.mismatch import mismatch_json, readings

        corpus = served.corpus()
        chosen = resolve_roles([title])[0] if title.strip() else None
        return mismatch_json(readings(corpus), corpus, chosen, limit)

    @routes.post("/api/classify")
    def classify(request: ClassifyRequest, _: None = Depends(authorized)) -> dict[str, Any]:
        """The role a job description reads like by its content, why, the closest postings and
        what the article says about that role."""
        return served.posting_check(request.text).to_json()

    return routes
