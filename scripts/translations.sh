#!/usr/bin/env bash
# Re-extract the web app's messages and merge them into every catalogue
# (webapp/translations/<lang>/LC_MESSAGES/messages.po), then bring every connector's own
# catalogue (connectors/<key>/translations/<lang>/) in step with the strings its folder marks
# (scripts/connector_catalogues.py). Compiling happens at set-up (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/pybabel extract -F babel.cfg -k _l -k N_ --no-location --omit-header -o /tmp/fynode-messages.pot . >/dev/null 2>&1
for lang in pl cs sk; do
  po=webapp/translations/$lang/LC_MESSAGES/messages.po
  if [ -f "$po" ]; then
    .venv/bin/pybabel update --no-fuzzy-matching -i /tmp/fynode-messages.pot -d webapp/translations -l "$lang" >/dev/null 2>&1
  else
    .venv/bin/pybabel init -i /tmp/fynode-messages.pot -d webapp/translations -l "$lang" >/dev/null 2>&1
  fi
done
.venv/bin/python scripts/connector_catalogues.py
echo "catalogues updated: $(grep -c '^msgid' webapp/translations/pl/LC_MESSAGES/messages.po) messages"
