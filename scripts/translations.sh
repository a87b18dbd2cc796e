#!/usr/bin/env bash
# Re-extract the web app's messages and merge them into every catalogue
# (webapp/translations/<lang>/LC_MESSAGES/messages.po). Connectors keep their own catalogues
# in connectors/<key>/translations/. Compiling happens at set-up (scripts/setup.sh).
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
echo "catalogues updated: $(grep -c '^msgid' webapp/translations/pl/LC_MESSAGES/messages.po) messages"
