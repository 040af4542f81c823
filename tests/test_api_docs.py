"""/docs and /redoc are served from the gateway itself, public, under a CSP that allows script from this origin only;
no asset name reaches the file system."""

from __future__ import annotations

import json
import re

import pytest

from shared.config import load_settings
from tests.support.gateway import serve_gateway


@pytest.fixture
async def gw(store, tmp_path):
    settings = load_settings(environ={}, jwt_secret="s" * 40)
    async with serve_gateway(store, settings, tmp_path) as served:
        yield served


async def test_the_docs_pages_and_every_asset_they_name_come_from_this_host(gw):
    async with gw.client() as anonymous:  # the schema is public: AegisOps is open source
        for page in ("/docs", "/redoc"):
            response = await anonymous.get(page)
            assert response.status_code == 200
            csp = response.headers["content-security-policy"]
            assert "script-src 'self';" in csp and "frame-ancestors 'none'" in csp
            assert "http://" not in response.text and "https://" not in response.text  # no CDN
            assert "<script>" not in response.text  # no inline script for the CSP to have to allow
            for asset in re.findall(r'(?:src|href)="(/docs-assets/[^"]+)"', response.text):
                fetched = await anonymous.get(asset)
                assert fetched.status_code == 200 and len(fetched.content) > 100, asset
                assert fetched.headers["x-content-type-options"] == "nosniff"
        schema = (await anonymous.get("/openapi.json")).json()
        assert schema["info"]["title"] == "AegisOps Core API"
        # every reference resolves in the document (ReDoc refuses a schema whose $ref points at nothing)
        text = json.dumps(schema)
        for ref in set(re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', text)):
            assert ref in schema["components"]["schemas"], ref
        assert "$defs" not in text


@pytest.mark.parametrize("name", ["nope.js", "swagger.html", "__init__.py", "passwd"])
async def test_an_asset_outside_the_list_is_a_404(gw, name):
    async with gw.client() as anonymous:
        response = await anonymous.get(f"/docs-assets/{name}")
        assert response.status_code == 404 and "no documentation asset" in response.json()["detail"]
        # a path that climbs out of the route is another route: unknown routes need admin, nothing is read
        assert (await anonymous.get("/docs-assets/..%2F..%2Fapp.py")).status_code in (401, 404)
