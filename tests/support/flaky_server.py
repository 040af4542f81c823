"""A test target whose /health fails (503) while a flag file exists."""

from __future__ import annotations

import argparse
from pathlib import Path

from aegis.demo.http import serve

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--flag", required=True)
args = parser.parse_args()
flag = Path(args.flag)


def health(_: dict[str, str]) -> tuple[int, object]:
    return (503, {"status": "sick"}) if flag.exists() else (200, {"status": "ok"})


serve({"/health": health}, args.port)
