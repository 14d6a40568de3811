#!/usr/bin/env bash
# Set everything up, create the demo deployment from plan-repo/ (once), and serve it
# on http://127.0.0.1:5000 (override with HOST=... PORT=...).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ ! -d demo/plan.git ]; then
  .venv/bin/review init demo --demo
else
  echo "Using the existing demo deployment in demo/ (delete it to start again)."
  cat demo/instance/demo-accounts.txt
fi
echo "E-mail of the demo (no SMTP server): demo/outbox/*.eml; 'review notify demo' writes the next ones."
exec .venv/bin/review serve demo --host "${HOST:-127.0.0.1}" --port "${PORT:-5000}"
