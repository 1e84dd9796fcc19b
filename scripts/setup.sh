#!/usr/bin/env bash
# Create .venv when missing and install the project with its test tools and the io extra
# (rosettasciio, for the .dm3/.dm4/.hspy readers and their tests).
# constraints.txt pins the CPU build of torch (an unpinned torch pulls GBs of CUDA).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
stamp=.venv/.installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ constraints.txt -nt "$stamp" ] \
  || [ scripts/setup.sh -nt "$stamp" ]; then
  .venv/bin/pip install --quiet --upgrade pip
  .venv/bin/pip install --quiet -c constraints.txt -e ".[test,io]"
  touch "$stamp"
fi
