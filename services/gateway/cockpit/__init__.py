"""The SRE cockpit: a static page (HTML, CSS, one JS module — no build step) the gateway serves at `/`.

The page holds no data; it signs in with an API key and reads everything over REST and `/ws`.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse

from shared.errors import NotFoundError

HERE = Path(__file__).parent
ASSETS = {"cockpit.js": "text/javascript", "cockpit.css": "text/css"}  # the only files served: no paths from URLs
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; "
                               "style-src 'self'; script-src 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


def build_cockpit_router() -> APIRouter:
    router = APIRouter(tags=["cockpit"])

    @router.get("/", response_class=HTMLResponse, summary="The SRE cockpit (sign in with an API key)")
    async def cockpit() -> FileResponse:
        return FileResponse(HERE / "index.html", media_type="text/html", headers=SECURITY_HEADERS)

    @router.get("/cockpit/{asset}", summary="The cockpit's script and stylesheet")
    async def cockpit_asset(asset: str) -> FileResponse:
        if asset not in ASSETS:
            raise NotFoundError(f"no cockpit asset {asset!r}")
        return FileResponse(HERE / asset, media_type=ASSETS[asset], headers=SECURITY_HEADERS)

    return router
