"""The header checks routes depend on: the API key and, for uploads, the admin token."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Header, HTTPException

from assistant.settings import Settings
from ui.admin import check_admin

# A FastAPI dependency that returns nothing and raises when the request may not go on.
Check = Callable[..., None]


def api_key(settings: Settings) -> Check:
    """Requests need the API key when one is set: `Authorization: Bearer KEY` or `X-API-Key`."""

    def authorized(authorization: str | None = Header(None), x_api_key: str | None = Header(None)) -> None:
        key = settings.api_key.get_secret_value()
        if not key:
            return
        given = x_api_key or (authorization or "").removeprefix("Bearer ").strip()
        if given != key:
            raise HTTPException(401, "a valid API key is required (Authorization: Bearer KEY or X-API-Key)")

    return authorized


def admin_token(settings: Settings) -> Check:
    """Requests need the admin token: `Authorization: Bearer TOKEN` or `X-Admin-Token`."""

    def admin(authorization: str | None = Header(None), x_admin_token: str | None = Header(None)) -> None:
        check_admin(settings, x_admin_token or (authorization or "").removeprefix("Bearer ").strip())

    return admin
