# The two commands of the README: `make demo` and `make test`. Both set everything up first
# (scripts/setup.sh: a virtual environment in .venv with the pinned OpenMMLab stack; seconds when
# it is already there).
PY := .venv/bin/python
PYTEST_ARGS ?=

.PHONY: setup demo demo-annotation-free test

setup:
	bash scripts/setup.sh

demo: setup
	bash scripts/demo.sh

# no external weights at all: DenseCL pretraining on the scenes first (docs/demo.md)
demo-annotation-free: setup
	bash scripts/demo.sh outputs/demo_annotation_free configs/demo/freesolo_demo_annotation_free_cpu.py

test: setup
	bash scripts/test.sh $(PYTEST_ARGS)
