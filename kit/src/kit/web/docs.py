"""The API documentation without the internet: Swagger UI served from the service itself.

The script and style come from the pinned ``fastapi-swagger`` package (Swagger UI 5, which reads
OpenAPI 3.1), served under ``/docs/assets/``; ReDoc, which FastAPI loads from a CDN, is off.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = Path(str(files("fastapi_swagger.resources")))
ASSETS_PATH = "/docs/assets"
DOCS_PATH = "/docs"


def install_docs(app: FastAPI) -> None:
    """Serve Swagger UI at ``/docs`` with its assets from the service (no CDN, no ReDoc)."""
    stale = {DOCS_PATH, f"{DOCS_PATH}/oauth2-redirect", "/redoc"}
    app.router.routes[:] = [r for r in app.router.routes if getattr(r, "path", None) not in stale]
    app.docs_url = DOCS_PATH
    app.redoc_url = None
    app.swagger_ui_oauth2_redirect_url = f"{DOCS_PATH}/oauth2-redirect"
    app.mount(ASSETS_PATH, StaticFiles(directory=ASSETS), name="docs-assets")

    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} — API",
            oauth2_redirect_url=app.swagger_ui_oauth2_redirect_url,
            swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_PATH}/favicon-32x32.png",
        )

    async def oauth2_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    app.add_api_route(DOCS_PATH, swagger_ui, include_in_schema=False)
    app.add_api_route(f"{DOCS_PATH}/oauth2-redirect", oauth2_redirect, include_in_schema=False)
