"""Demo targets answer like the monitor contract's APIs and the Core API contract's buggy app."""

from __future__ import annotations

from aegis.demo import buggy_app
from aegis.demo.calculator import routes_for


def test_calculators_answer_like_seed_000():
    assert routes_for("addition")["/addition"]({"a": "10", "b": "5"}) == (200, {"result": 15, "operation": "addition"})
    assert routes_for("multiply")["/multiply"]({"a": "5", "b": "3"}) == (200, {"result": 15,
                                                                              "operation": "multiplication"})
    assert routes_for("division")["/division"]({"a": "20", "b": "4"}) == (200, {"result": 5.0,
                                                                               "operation": "division"})
    assert routes_for("multiply")["/health"]({}) == (200, {"status": "UP", "service": "Multiply API"})


def test_calculators_refuse_bad_input():
    assert routes_for("division")["/division"]({"a": "1", "b": "0"})[0] == 400
    assert routes_for("addition")["/addition"]({"a": "one", "b": "2"})[0] == 422
    assert routes_for("addition")["/addition"]({"a": "1"})[0] == 422


def test_buggy_app_routes():
    assert buggy_app.health({}) == (200, {"status": "ok"})
    status, body = buggy_app.trigger_memory({})
    assert status == 200 and body["current_memory_usage_mb"] == 10
    buggy_app._leak.clear()
