# `make run` and `make test` are all the set-up there is on a fresh machine.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test bench devices clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	@$(PY) -m convviz.gui.syslibs    # the system libraries Qt's window needs; prints how to install them
	$(VENV)/bin/convviz

test: $(STAMP)
	$(VENV)/bin/lint-imports
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

bench: $(STAMP)
	$(PY) benchmarks/bench_ops.py
	$(PY) benchmarks/bench_steps.py
	$(PY) benchmarks/bench_first_use.py
	$(PY) benchmarks/bench_network.py
	QT_QPA_PLATFORM=offscreen $(PY) benchmarks/bench_paint.py
	QT_QPA_PLATFORM=offscreen $(PY) benchmarks/bench_session.py
	QT_QPA_PLATFORM=offscreen $(PY) benchmarks/bench_stage_show.py
	QT_QPA_PLATFORM=offscreen $(PY) benchmarks/bench_training_window.py

devices: $(STAMP)
	$(VENV)/bin/convviz devices

clean:
	rm -rf $(VENV) build *.egg-info
