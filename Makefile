# Two commands do all the set-up on a fresh machine:
#   make demo   create .venv, install, train + test the default model on the
#               built-in synthetic dataset, print the metrics and the paths
#   make test   create/update .venv and run the test suite
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
DEMO_CONFIG ?= configs/cbad/cbad_synthetic.py
DEMO_DIR ?= work_dirs/demo

.PHONY: demo test install clean-demo

$(VENV)/.installed: setup.cfg pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[tests]'
	touch $@

install: $(VENV)/.installed

demo: $(VENV)/.installed
	rm -rf $(DEMO_DIR)
	$(PY) tools/train.py $(DEMO_CONFIG) --work-dir $(DEMO_DIR)
	$(PY) tools/test.py $(DEMO_CONFIG) "$$(cat $(DEMO_DIR)/last_checkpoint)" \
		--work-dir $(DEMO_DIR) --out-dir $(DEMO_DIR)/results
	@echo "demo: checkpoint $$(cat $(DEMO_DIR)/last_checkpoint)"
	@echo "demo: logs under $(DEMO_DIR)/, scores and metrics under $(DEMO_DIR)/results/"

test: $(VENV)/.installed
	$(PY) -m pytest

clean-demo:
	rm -rf $(DEMO_DIR)
