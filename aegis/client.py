"""How CLI commands reach the gateway: its URL and the API key they sign in with."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

DEFAULT_URL = "http://127.0.0.1:8001"


def add_gateway_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--url", help=f"gateway URL (env AEGIS_URL, default {DEFAULT_URL})")
    p.add_argument("--api-key", help="API key (env AEGIS_API_KEY; default: <data-dir>/admin.key)")
    p.add_argument("--data-dir", help="where `aegis up` keeps its data (env AEGIS_DATA_DIR, default ./.aegis)")


def gateway_url(args: argparse.Namespace) -> str:
    return (getattr(args, "url", None) or os.environ.get("AEGIS_URL") or DEFAULT_URL).rstrip("/")


def auth_headers(args: argparse.Namespace) -> dict[str, str]:
    """X-API-Key from --api-key, $AEGIS_API_KEY or the admin key `aegis up` wrote; none if there is none."""
    key = getattr(args, "api_key", None) or os.environ.get("AEGIS_API_KEY")
    if not key:
        data_dir = getattr(args, "data_dir", None) or os.environ.get("AEGIS_DATA_DIR") or ".aegis"
        path = Path(data_dir) / "admin.key"
        if path.is_file():
            key = path.read_text().strip()
    return {"X-API-Key": key} if key else {}
