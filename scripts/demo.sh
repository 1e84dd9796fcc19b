#!/usr/bin/env bash
# The main job: a simulated XAS campaign through the real ZeroMQ server.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/adaptive simulate xas "$@"
