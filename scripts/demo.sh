#!/usr/bin/env bash
# FreeSOLO's whole pipeline on an embedded default (tools/demo_pipeline.py): generated scenes and
# the photos bundled with scikit-image, Free Mask, FreeSOLO rounds 1 and 2, each stage scored on
# the val scenes and drawn; everything in one folder (default outputs/demo). Run again, it
# continues. A second argument names another demo config (make demo-annotation-free:
# configs/demo/freesolo_demo_annotation_free_cpu.py).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
exec "$ROOT/.venv/bin/python" tools/demo_pipeline.py --out "${1:-outputs/demo}" \
    --config "${2:-configs/demo/freesolo_demo_mobilenetv2_cpu.py}"
