#!/usr/bin/env bash
# Lint, then the whole test suite (unit, conformance, system tests over loopback).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check .
# One BLAS/OpenMP thread per process: on 2 busy cores torch's default threads made one
# test 2-110 s from run to run; with one thread it takes 2 s.
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
exec .venv/bin/python -m pytest "$@"
