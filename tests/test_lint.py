"""Checks that keep the tree honest, in `make test`: ruff (rules in pyproject.toml), mypy over shared/, the layering
between packages, test modules that share helpers only through support modules, and dependency ranges that match
what the code uses and what constraints.txt pins."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SHIPPED = ("shared", "services", "aegis")


def _tool(name: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / name), *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_ruff_finds_nothing():
    proc = _tool("ruff", "check", "--no-cache", "shared", "services", "aegis", "bench", "tests")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mypy_finds_nothing_in_shared():
    proc = _tool("mypy", "--no-incremental")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _imports(path: Path) -> list[str]:
    """Absolute module names a file imports (anywhere in it, so a local import counts too)."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append(node.module)
    return out


def layering_violations(root: Path = ROOT) -> list[str]:
    """shared/ imports no service and no CLI; a service imports only shared/ and itself; nothing shipped imports
    bench/ or tests/, and bench/ does not import tests/."""
    found = []
    for path in sorted((root / "bench").rglob("*.py")) if (root / "bench").exists() else []:
        found += [f"bench/{path.relative_to(root / 'bench')} imports {m}: bench/ drives aegis/harness.py, not tests/"
                  for m in _imports(path) if m.split(".")[0] == "tests"]
    for package in SHIPPED:
        for path in sorted((root / package).rglob("*.py")):
            where = path.relative_to(root).parts
            for module in _imports(path):
                parts = module.split(".")
                if parts[0] in ("bench", "tests"):
                    found.append(f"{'/'.join(where)} imports {module}: shipped code never imports {parts[0]}/")
                elif package == "shared" and parts[0] in ("services", "aegis"):
                    found.append(f"{'/'.join(where)} imports {module}: shared/ depends on no service or CLI")
                elif package == "services" and (parts[0] == "aegis" or (
                        parts[0] == "services" and len(parts) > 1 and len(where) > 2 and parts[1] != where[1])):
                    found.append(f"{'/'.join(where)} imports {module}: a service imports only shared/ and itself")
    return found


def test_the_layers_hold():
    assert layering_violations() == []


def test_the_layering_check_catches_a_violation(tmp_path):
    for package in SHIPPED:
        (tmp_path / package).mkdir()
    (tmp_path / "services" / "prober").mkdir()
    (tmp_path / "services" / "prober" / "x.py").write_text("from services.executor.replicas import ports_of\n")
    (tmp_path / "shared" / "y.py").write_text("def f():\n    import services.gateway.app\n")
    (tmp_path / "aegis" / "z.py").write_text("from bench.suite import SECTIONS\n")
    (tmp_path / "bench").mkdir()
    (tmp_path / "bench" / "b.py").write_text("from tests.support.builders import run\n")
    assert len(layering_violations(tmp_path)) == 4


def test_no_test_module_imports_another_test_module():
    offenders = [f"{path.name} imports {module}" for path in sorted((ROOT / "tests").rglob("test_*.py"))
                 for module in _imports(path) if re.match(r"tests\.(\w+\.)*test_", module)]
    assert offenders == [], "shared helpers live in tests/support/, aegis/harness.py or conftest.py"


def _requirements() -> dict[str, Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    listed = project["dependencies"] + [r for extra in project["optional-dependencies"].values() for r in extra]
    return {canonicalize_name(Requirement(r).name): Requirement(r) for r in listed}


def _floor(req: Requirement) -> Version:
    return max(Version(s.version) for s in req.specifier if s.operator in (">=", "=="))


def floor_problems(reqs: dict[str, Requirement]) -> list[str]:
    """Where the declared ranges allow what the code cannot run with, or what must never be installed."""
    from shared.natsfast import NATS_PY_MIN

    wanted = {"nats-py": (Version(".".join(map(str, NATS_PY_MIN))), "the header-parser patch"),
              "uvicorn": (Version("0.35"), 'ws="websockets-sansio" in the gateway')}
    problems = [f"{name} allows versions below {floor} ({why})" for name, (floor, why) in wanted.items()
                if _floor(reqs[name]) < floor]
    litellm = reqs["litellm"].specifier
    problems += [f"litellm allows {bad}, a release that shipped a credential stealer (March 2026)"
                 for bad in ("1.82.7", "1.82.8") if litellm.contains(bad)]
    if not any(s.operator in ("<", "<=") for s in litellm):
        problems.append("litellm has no upper bound (the newest version the tests passed with)")
    return problems


def test_floors_match_what_the_code_uses():
    assert floor_problems(_requirements()) == []


def test_the_floor_check_refuses_the_ranges_the_issue_found():
    found = {r.name: r for r in map(Requirement, ["nats-py>=2.10,<3", "uvicorn[standard]>=0.30,<1",
                                                    "litellm>=1.50"])}
    assert len(floor_problems(found)) == 5


def _pins() -> dict[str, str]:
    lines = (ROOT / "constraints.txt").read_text().splitlines()
    pairs = (line.split("==", 1) for line in lines if line and not line.startswith("#"))
    return {canonicalize_name(name): pinned for name, pinned in pairs}


def test_constraints_pin_versions_the_ranges_allow_and_the_venv_runs_them():
    pins, reqs = _pins(), _requirements()
    for name, req in reqs.items():
        assert name in pins, f"{name} is not pinned in constraints.txt (make lock)"
        assert req.specifier.contains(pins[name], prereleases=True), f"{name}=={pins[name]} is outside {req}"
        assert version(name) == pins[name], f"installed {name} {version(name)} is not the pinned {pins[name]}"


def test_whole_platforms_are_started_only_by_the_one_factory_fixture():
    builders = [f"{path.name}:{n}" for path in sorted((ROOT / "tests").glob("test_*.py"))
                for n, line in enumerate(path.read_text().splitlines(), 1) if re.search(r"\bPlatform\(\s*tmp", line)]
    assert builders == [], "use the start_platform fixture (conftest.py)"
