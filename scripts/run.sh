#!/usr/bin/env bash
# Sets everything up and starts the app at http://127.0.0.1:5000 with its worker and the
# accounting-system sandboxes, on SQLite with demo data. Ctrl+C stops it all.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

export FLASK_APP=webapp:create_app ACCOUNTING_SANDBOX=1 FYNODE_LOCAL=1
export SUPERFAKTURA_API_URL=${SUPERFAKTURA_API_URL:-}
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

.venv/bin/python -m sandboxes serve all &
pids+=($!)
# shellcheck disable=SC2046  # one argument per port
.venv/bin/python scripts/wait_for_ports.py $(.venv/bin/python -m sandboxes ports)

.venv/bin/flask create-db
echo "==> Demo logins (password after the e-mail):"
.venv/bin/flask seed

.venv/bin/huey_consumer webapp.tasks.huey --workers 2 --quiet &
pids+=($!)

echo
echo "Fynode Accounting Connect runs at http://127.0.0.1:5000  (Ctrl+C stops it)"
echo "  owner@demo.test / demo-owner     Demo Shop, connected to the SuperFaktura sandbox"
echo "  new@demo.test / demo-new         New Shop, nothing connected"
echo "  support@demo.test / demo-support support agent"
.venv/bin/flask run --host 127.0.0.1 --port "${PORT:-5000}" &
pids+=($!)
wait "${pids[-1]}"
