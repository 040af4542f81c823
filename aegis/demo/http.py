"""A minimal JSON HTTP server on the standard library, so demo targets boot in well under 100 ms."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

Route = Callable[[dict[str, str]], tuple[int, object]]


def serve(routes: dict[str, Route], port: int, host: str = "127.0.0.1") -> None:
    """Serve GET routes returning (status, JSON body) until killed."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # http.server's naming
            url = urlparse(self.path)
            route = routes.get(url.path)
            if route is None:
                status, body = 404, {"detail": "Not Found"}
            else:
                params = {k: v[-1] for k, v in parse_qs(url.query).items()}
                status, body = route(params)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet access log
            return

    ThreadingHTTPServer.allow_reuse_address = True
    ThreadingHTTPServer.daemon_threads = True
    with ThreadingHTTPServer((host, port), Handler) as server:
        server.serve_forever(poll_interval=0.5)


def port_arg(description: str, default: int) -> argparse.Namespace:
    """Parse --port (and --host) for a demo target."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--port", type=int, default=default)
    parser.add_argument("--host", default="127.0.0.1")
    return parser.parse_args()
