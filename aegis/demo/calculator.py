"""The monitor contract's calculator APIs: addition (8002), division (8003), multiply (8004); same routes and
answers."""

from __future__ import annotations

import argparse

from aegis.demo.http import serve

SERVICES = {
    "addition": ("Addition API", "addition", lambda a, b: a + b),
    "multiply": ("Multiply API", "multiplication", lambda a, b: a * b),
    "division": ("Division API", "division", lambda a, b: a / b),
}


def _number(text: str | None) -> float | int:
    if text is None:
        raise ValueError("missing")
    value = float(text)
    return int(value) if value.is_integer() and "." not in text else value


def routes_for(kind: str) -> dict:
    """The /health and operation routes of one calculator."""
    title, operation, fn = SERVICES[kind]

    def health(_: dict[str, str]) -> tuple[int, object]:
        return 200, {"status": "UP", "service": title}

    def compute(params: dict[str, str]) -> tuple[int, object]:
        try:
            a, b = _number(params.get("a")), _number(params.get("b"))
        except ValueError:
            return 422, {"detail": "query parameters a and b must be numbers"}
        if kind == "division" and b == 0:
            return 400, {"detail": "Division by zero is not allowed"}
        return 200, {"result": fn(a, b), "operation": operation}

    return {"/health": health, f"/{kind}": compute}


def main() -> None:
    """Run one calculator: python -m aegis.demo.calculator addition --port 8002."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("kind", choices=sorted(SERVICES))
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--boot-delay", type=float, default=0.0, help="seconds to wait before listening")
    args = parser.parse_args()
    if args.boot_delay > 0:
        import time

        time.sleep(args.boot_delay)
    serve(routes_for(args.kind), args.port, args.host)


if __name__ == "__main__":
    main()
