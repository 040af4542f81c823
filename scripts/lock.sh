#!/usr/bin/env bash
# Re-resolve the dependency set from pyproject.toml's ranges in a fresh virtualenv and write constraints.txt.
# Then run `make test` against it and commit constraints.txt with the versions that changed.
set -euo pipefail
PY=${1:-python3}
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$PY" -m venv "$tmp/venv"
"$tmp/venv/bin/python" -m pip install --quiet --upgrade pip
"$tmp/venv/bin/python" -m pip install --quiet -e ".[dev,analyst]"
{
  sed -n '1,/^[^#]/p' constraints.txt | grep '^#'
  "$tmp/venv/bin/python" -m pip freeze --exclude-editable | grep -v '^aegisops'
} > constraints.txt.new
mv constraints.txt.new constraints.txt
echo "constraints.txt: $(grep -vc '^#' constraints.txt) pins; now run make test"
