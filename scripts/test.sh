#!/usr/bin/env bash
# make test: the lint check, then every tier of the suite (fast, slow, slurm) in the project's
# environment, on two pytest-xdist workers (tests/conftest.py gives each its share of the cores
# and keeps the Slurm tests in one), printing the 25 slowest tests and each tier's time; extra
# arguments go to pytest (e.g. -m slow for one tier, -n 0 for one process).
# pytest exits 5 when a selection collects no test: that is not a failure here.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
PY="$ROOT/.venv/bin/python"
"$PY" -m flake8 mmfreesolo tools tests benchmarks configs || exit 1
"$PY" -m isort --check-only --diff mmfreesolo tools tests benchmarks || exit 1
"$PY" -m pytest tests -m "" -n 2 --dist loadgroup --no-loadscope-reorder --durations=25 "$@"
rc=$?
[ "$rc" -eq 5 ] && { echo "no tests were selected"; exit 0; }
exit "$rc"
