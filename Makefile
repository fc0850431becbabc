# The two commands of the README: `make demo` and `make test`. Both set everything up first
# (scripts/setup.sh: a virtual environment in .venv with the pinned OpenMMLab stack; seconds when
# it is already there).
PY := .venv/bin/python
PYTEST_ARGS ?=

.PHONY: setup demo demo-mobilenetv2 test

setup:
	bash scripts/setup.sh

demo: setup
	bash scripts/demo.sh

# the same pipeline from the supervised ImageNet MobileNetV2 instead of DenseCL on the scenes
demo-mobilenetv2: setup
	bash scripts/demo.sh outputs/demo_mobilenetv2 configs/demo/freesolo_demo_mobilenetv2_cpu.py

test: setup
	bash scripts/test.sh $(PYTEST_ARGS)
