#!/usr/bin/env bash
# Create .venv when missing and install the project with its test tools and the io extra
# (rosettasciio, for the .dm3/.dm4/.hspy readers and their tests).
# constraints.txt pins the CPU build of torch (an unpinned torch pulls GBs of CUDA).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! .venv/bin/python -m pip --version >/dev/null 2>&1; then  # missing, or half made
  rm -rf .venv
  python3 -m venv .venv || {
    echo "cannot create .venv: install python3-venv (Debian/Ubuntu), then rerun" >&2
    exit 1
  }
fi
stamp=.venv/.installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ constraints.txt -nt "$stamp" ] \
  || [ scripts/setup.sh -nt "$stamp" ]; then
  .venv/bin/pip install --quiet --upgrade pip
  .venv/bin/pip install --quiet -c constraints.txt -e ".[test,io]"
  touch "$stamp"
fi
