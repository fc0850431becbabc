#!/usr/bin/env bash
# The main job on an embedded default, until the full FreeSOLO demo lands: generate scenes, train
# the CPU SOLOv2 config on them, evaluate it class-agnostically and draw its predictions.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
PY=$ROOT/.venv/bin/python
OUT=${1:-outputs/demo}
CONFIG=configs/solov2_r18_scenes_cpu.py
export MMFREESOLO_SCENES=$OUT/scenes/

echo "== 1/3 generating scenes into $OUT/scenes"
"$PY" tools/generate_scenes.py "$OUT/scenes" --num-train 64 --num-val 16 --preview 4
echo "== 2/3 training $CONFIG (300 iterations on the CPU; resumes if interrupted)"
"$PY" tools/train.py "$CONFIG" --work-dir "$OUT/train" --resume
echo "== 3/3 evaluating class-agnostically and drawing predictions"
"$PY" tools/test.py "$CONFIG" "$OUT/train/iter_300.pth" --work-dir "$OUT/test" \
  --show-dir overlays
echo "done: scenes and previews in $OUT/scenes, checkpoints in $OUT/train," \
  "metrics and overlays in $OUT/test"
