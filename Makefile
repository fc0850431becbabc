# The two commands of the README: `make demo` and `make test`. Both set everything up first
# (scripts/setup.sh: a virtual environment in .venv with the pinned OpenMMLab stack; seconds when
# it is already there).
PY := .venv/bin/python
PYTEST_ARGS ?=

.PHONY: setup demo demo-densecl test

setup:
	bash scripts/setup.sh

demo: setup
	bash scripts/demo.sh

# the demo with no external weights: DenseCL pretraining on the scenes first
demo-densecl: setup
	bash scripts/demo.sh outputs/demo_densecl configs/demo/freesolo_demo_densecl_cpu.py

test: setup
	bash scripts/test.sh $(PYTEST_ARGS)
