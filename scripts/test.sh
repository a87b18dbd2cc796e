#!/usr/bin/env bash
# Sets everything up (browser included) and runs every check: lint and format (ruff), types
# (mypy), then every test (unit, sandbox, contract, web, reliability, browser) in parallel.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --browser
echo "==> ruff (lint and format)"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "==> mypy (connectors, webapp)"
.venv/bin/mypy
echo "==> pytest"
exec .venv/bin/python -m pytest -n "${PYTEST_WORKERS:-2}" -p no:cacheprovider "$@"
