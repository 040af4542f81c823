#!/usr/bin/env bash
# Create the virtualenv and install AegisOps with everything its tests need.
set -euo pipefail
PY=${1:-python3}
VENV=${2:-.venv}
if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet -c constraints.txt -e ".[dev,analyst]"  # the tested set
echo "installed into $VENV"
