# The two commands of the README: `make demo` and `make test`. Both set everything up first
# (scripts/setup.sh: a virtual environment in .venv with the pinned OpenMMLab stack; seconds when
# it is already there).
PY := .venv/bin/python
PYTEST_ARGS ?=

.PHONY: setup demo test

setup:
	bash scripts/setup.sh

demo: setup
	bash scripts/demo.sh

test: setup
	bash scripts/test.sh $(PYTEST_ARGS)
