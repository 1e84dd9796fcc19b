#!/usr/bin/env bash
# The main job: a simulated XAS campaign through the real ZeroMQ server.
# Runs in the caller's folder: relative --source/--out paths and runs/xas are taken from there.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/setup.sh"
exec "$root/.venv/bin/adaptive" simulate xas "$@"
