"""The API's own documentation pages, /docs (Swagger UI) and /redoc (ReDoc), served from this host.

FastAPI's defaults load both from a public CDN: on an air-gapped host they render blank, and they run third-party
script on the cockpit's origin, where the API key is kept. Here the assets come from the `fastapi-offline` package
(Swagger UI and ReDoc bundled), the pages are static files of this package (no inline script), and every response
carries a Content-Security-Policy that allows script from this origin only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, HTMLResponse

from shared.errors import NotFoundError

HERE = Path(__file__).parent
VENDORED = Path(fastapi_offline.__file__).parent / "static"
# the only files served (no path from a URL reaches the file system): name → (directory, media type)
ASSETS = {
    "swagger-ui-bundle.js": (VENDORED, "text/javascript"),
    "swagger-ui.css": (VENDORED, "text/css"),
    "redoc.standalone.js": (VENDORED, "text/javascript"),
    "favicon.png": (VENDORED, "image/png"),
    "swagger-init.js": (HERE, "text/javascript"),
}
# ReDoc styles itself with injected <style> elements and renders in a blob: worker; no script runs inline anywhere
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                               "img-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; "
                               "font-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def build_docs_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/docs", response_class=HTMLResponse)
    async def swagger_ui() -> FileResponse:
        return FileResponse(HERE / "swagger.html", media_type="text/html", headers=SECURITY_HEADERS)

    @router.get("/redoc", response_class=HTMLResponse)
    async def redoc() -> FileResponse:
        return FileResponse(HERE / "redoc.html", media_type="text/html", headers=SECURITY_HEADERS)

    @router.get("/docs-assets/{asset}")
    async def asset(asset: str) -> FileResponse:
        if asset not in ASSETS:
            raise NotFoundError(f"no documentation asset {asset!r}")
        directory, media_type = ASSETS[asset]
        return FileResponse(directory / asset, media_type=media_type,
                            headers=SECURITY_HEADERS | {"Cache-Control": "max-age=3600"})

    return router


def hoist_nested_definitions(app: FastAPI) -> None:
    """Request bodies described by hand (openapi_extra: the webhook takes two shapes) carry their models' `$defs`
    inline while their `$ref`s point at components; move those definitions to components.schemas, where every
    reader of the schema (ReDoc refuses the document otherwise) resolves them."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        schema = build()
        components = schema.setdefault("components", {}).setdefault("schemas", {})

        def hoist(node: Any) -> None:
            if isinstance(node, dict):
                for name, definition in node.pop("$defs", {}).items():
                    components.setdefault(name, definition)
                    hoist(definition)
                for value in node.values():
                    hoist(value)
            elif isinstance(node, list):
                for value in node:
                    hoist(value)

        hoist(schema.get("paths", {}))
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
