#!/usr/bin/env bash
# Run the test suite in the project's environment; extra arguments go to pytest.
# pytest exits 5 when a selection collects no test: that is not a failure here.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
"$ROOT/.venv/bin/python" -m pytest tests "$@"
rc=$?
[ "$rc" -eq 5 ] && { echo "no tests were selected"; exit 0; }
exit "$rc"
