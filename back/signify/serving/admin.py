"""The model admin API on ``HEALTH_PORT``, mounted under ``/admin/`` only when ``ADMIN_TOKEN`` is set.

- ``GET /admin/releases``: the store's releases, the active one, the previous one and the canary;
- ``POST /admin/activate`` ``{"version": "3.2.0"}``: load, check, then serve it to every session;
- ``POST /admin/canary`` ``{"version": "3.2.0", "percent": 10}``: serve it to that share of new sessions
  (``percent`` 0 ends the canary);
- ``POST /admin/rollback``: end the canary, or go back to the previous release.

Every request carries ``Authorization: Bearer <ADMIN_TOKEN>``, compared in
constant time. A token in the query string is refused even when right
(query strings end up in proxies' logs), and the token is never logged.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from ..jsonlog import log
from ..models.deployment import DeploymentError
from ..models.manager import ModelManager, UnknownReleaseError
from ..models.store import StoreError
from ..recognition.model import ModelError

logger = logging.getLogger("signify.admin")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# Query parameters that look like a credential: refused, whatever their value.
_QUERY_CREDENTIALS = frozenset({"token", "access_token", "admin_token", "auth", "authorization"})


def bearer_token(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, or None."""
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def authorized(header: str | None, expected: str) -> bool:
    """Whether the header carries ``expected``, compared in constant time."""
    offered = bearer_token(header)
    return offered is not None and hmac.compare_digest(offered.encode(), expected.encode())


def _error(status: int, message: str, **fields: Any) -> web.Response:
    return web.json_response({"error": message, **fields}, status=status)


def build_admin_app(manager: Callable[[], ModelManager | None], token: str) -> web.Application:
    """The admin sub-application; ``manager`` is None until start-up has built it (then 503)."""

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        if _QUERY_CREDENTIALS & {key.lower() for key in request.query}:
            log(logger, logging.WARNING, "Admin request refused: credential in the query string",
                path=request.path, remote=request.remote)
            return _error(400, "credentials are never accepted in the query string: "
                               "send Authorization: Bearer <token>")
        if not authorized(request.headers.get("Authorization"), token):
            log(logger, logging.WARNING, "Admin request refused: missing or wrong token",
                path=request.path, remote=request.remote)
            response = _error(401, "missing or wrong bearer token")
            response.headers["WWW-Authenticate"] = 'Bearer realm="signify-admin"'
            return response
        if manager() is None:
            return _error(503, "the model store is not open (see /health)")
        return await handler(request)

    def current() -> ModelManager:
        found = manager()
        assert found is not None  # the guard answered 503 otherwise
        return found

    async def releases(_: web.Request) -> web.Response:
        try:
            return web.json_response(await current().describe())
        except StoreError as error:
            return _error(502, str(error), check="store")

    async def activate(request: web.Request) -> web.Response:
        body = await _body(request)
        return await _change(lambda: current().activate(_version(body)))

    async def canary(request: web.Request) -> web.Response:
        body = await _body(request)
        percent = body.get("percent")
        if isinstance(percent, bool) or not isinstance(percent, int | float):
            raise web.HTTPBadRequest(text='{"error":"percent must be a number from 0 to 100"}',
                                     content_type="application/json")
        version = _version(body) if percent != 0 else str(body.get("version", ""))
        return await _change(lambda: current().canary(version, float(percent)))

    async def rollback(_: web.Request) -> web.Response:
        return await _change(lambda: current().rollback())

    app = web.Application(middlewares=[guard])
    app.router.add_get("/releases", releases)
    app.router.add_post("/activate", activate)
    app.router.add_post("/canary", canary)
    app.router.add_post("/rollback", rollback)
    return app


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.text() or "{}")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text='{"error":"the body must be a JSON object"}', content_type="application/json")
    return body


def _version(body: dict[str, Any]) -> str:
    version = body.get("version")
    if not isinstance(version, str) or not version:
        raise web.HTTPBadRequest(text='{"error":"version must be a non-empty string"}',
                                 content_type="application/json")
    return version


async def _change(operation: Callable[[], Awaitable[dict[str, Any]]]) -> web.Response:
    """Run one change; a refusal says which check failed and changes nothing."""
    try:
        return web.json_response(await operation())
    except UnknownReleaseError as error:
        return _error(404, str(error))
    except ModelError as error:
        return _error(422, f"refused by check {error.check}: {error}", check=error.check)
    except DeploymentError as error:
        return _error(409, str(error))
    except StoreError as error:
        return _error(502, str(error), check="store")
