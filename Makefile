# The two commands a new machine needs: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint typecheck unit bench clean

$(BIN)/queuekeeper: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

demo: $(BIN)/queuekeeper
	$(BIN)/queuekeeper validate examples/queues.yaml
	$(BIN)/queuekeeper apply -f examples/queues.yaml --emulator --auto-approve
	$(BIN)/queuekeeper apply -f examples/queues.yaml --emulator --auto-approve
	$(BIN)/queuekeeper plan -f examples/queues.yaml --emulator --detailed-exitcode

lint: $(BIN)/queuekeeper
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(BIN)/queuekeeper
	$(BIN)/mypy -p queuekeeper

unit: $(BIN)/queuekeeper
	$(BIN)/pytest -q

test: lint typecheck unit

bench: $(BIN)/queuekeeper
	$(BIN)/python benchmarks/plan_scale.py
	$(BIN)/python benchmarks/validate_speed.py
	$(BIN)/python benchmarks/run_overhead.py

clean:
	rm -rf $(VENV) .queuekeeper build src/*.egg-info
