"""The side HTTP server on ``HEALTH_PORT``: probes, metrics and the demo page."""

from __future__ import annotations

from aiohttp import web

from .metrics import Metrics
from .status import ServiceStatus
from .webstatic import cache_control, find_static


def build_health_app(status: ServiceStatus, metrics: Metrics, admin: web.Application | None = None) -> web.Application:
    """An aiohttp application answering /health, /live, /ready, /metrics and the demo; ``admin`` (the model admin
    API, signify.serving.admin) under /admin/ when given."""

    async def health(_: web.Request) -> web.Response:
        return web.json_response(status.health())

    async def live(_: web.Request) -> web.Response:
        return web.json_response({"status": "alive"})

    async def ready(_: web.Request) -> web.Response:
        return web.json_response(status.health(), status=200 if status.ready else 503)

    async def prometheus(_: web.Request) -> web.Response:
        response = web.Response(body=metrics.render())
        response.headers["Content-Type"] = metrics.content_type
        return response

    async def client_config(_: web.Request) -> web.Response:
        return web.json_response(status.client_config(same_origin=False))

    async def demo(request: web.Request) -> web.StreamResponse:
        found = find_static(request.path)
        if found is None:
            raise web.HTTPNotFound(text="Not found\n")
        file, content_type = found
        return web.Response(body=file.read_bytes(),
                            headers={"Content-Type": content_type, "Cache-Control": cache_control(request.path)})

    app = web.Application()
    app.router.add_get("/health", health)
    app.router.add_get("/live", live)
    app.router.add_get("/ready", ready)
    app.router.add_get("/metrics", prometheus)
    app.router.add_get("/config.json", client_config)
    if admin is not None:
        app.add_subapp("/admin/", admin)
    app.router.add_get("/{path:.*}", demo)
    return app
