#!/usr/bin/env bash
# Lint, then the whole test suite (unit, conformance, system tests over loopback).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check .
exec .venv/bin/python -m pytest "$@"
