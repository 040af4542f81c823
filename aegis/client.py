"""How CLI commands reach the platform: the gateway's URL and the API key they sign in with, or NATS and the
credentials they connect with."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

import httpx

from shared.config import Settings, load_settings
from shared.errors import RemoteError, StoreUnavailableError

DEFAULT_URL = "http://127.0.0.1:8001"


def add_gateway_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--url", help=f"gateway URL (env AEGIS_URL, default {DEFAULT_URL})")
    p.add_argument("--api-key", help="API key (env AEGIS_API_KEY; default: <data-dir>/admin.key)")
    p.add_argument("--data-dir", help="where `aegis up` keeps its data (env AEGIS_DATA_DIR, default ./.aegis)")


def add_nats_args(p: argparse.ArgumentParser, role: str) -> None:
    """--nats-url, --credentials, --data-dir and --config for a command that talks to NATS as `role`."""
    p.add_argument("--nats-url", help="NATS of the platform, comma-separated for a cluster (env AEGIS_NATS_URL, "
                                      "default nats://127.0.0.1:4222)")
    p.add_argument("--credentials", help=f"NATS credentials file (env AEGIS_NATS_CREDENTIALS; default: "
                                         f"<data-dir>/nats/{role}.creds when `aegis up` made it)")
    p.add_argument("--data-dir", help="where `aegis up` keeps its data (env AEGIS_DATA_DIR, default ./.aegis)")
    p.add_argument("--config", help="TOML config file (env AEGIS_CONFIG)")


def nats_settings(args: argparse.Namespace, **overrides: Any) -> Settings:
    """The settings of a command given add_nats_args' arguments."""
    return load_settings(args.config, nats_url=args.nats_url, data_dir=args.data_dir,
                         nats_credentials=args.credentials, **overrides)


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


def call(args: argparse.Namespace, method: str, path: str, ok: tuple[int, ...] = (200,), **kwargs: Any) -> Any:
    """One gateway call for a CLI command: its JSON body, StoreUnavailableError when the gateway cannot be
    reached, RemoteError (status and reason) when it refuses."""
    return respond(args, method, path, ok, **kwargs).json()


def respond(args: argparse.Namespace, method: str, path: str, ok: tuple[int, ...] = (200,),
            timeout: float = 30, **kwargs: Any) -> httpx.Response:
    """One gateway call's response (for a body that is not JSON, e.g. a Markdown report); errors as `call`."""
    url = gateway_url(args)
    try:
        response = httpx.request(method, url + path, headers=auth_headers(args), timeout=timeout, **kwargs)
    except httpx.HTTPError as exc:
        raise StoreUnavailableError(f"cannot reach the gateway at {url}: {exc}") from None
    if response.status_code not in ok:
        raise RemoteError(f"{method} {path} refused ({response.status_code}): {detail(response)}",
                          response.status_code)
    return response


def detail(response: httpx.Response) -> str:
    """The reason in an error response ({"detail": ...}), or its text."""
    try:
        return str(response.json().get("detail", response.text))
    except ValueError:
        return response.text
