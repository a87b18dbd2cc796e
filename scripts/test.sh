#!/usr/bin/env bash
# Sets everything up (browser included) and runs every test: unit, contract, web and browser.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --browser
exec .venv/bin/python -m pytest "$@"
