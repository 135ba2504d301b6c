# The two commands of the README: `make run` and `make test`.
# Everything else here is what those two need.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q
# The demo's on-device hand tracker: tasks-vision from npm (front_demo/package-lock.json)
# and the model bundle built from the installed MediaPipe wheel. Both are served by the server.
WEB := front_demo
TASKS_VISION := $(WEB)/node_modules/.package-lock.json
HAND_TASK := $(WEB)/dist/hand_landmarker.task
HAND_TASK_LITE := $(WEB)/dist/hand_landmarker_lite.task

.PHONY: run test setup dev lint unit train bench cluster clean

## Set up a virtual environment with the server's runtime dependencies and start the server.
run: setup
	cd back && ../$(PY) main.py

## Install everything the tests need, lint, type-check and run the whole test suite.
test: dev setup
	$(PY) -m ruff check .
	$(PY) -m mypy
	$(PY) -m pytest

setup: $(VENV)/.runtime $(TASKS_VISION) $(HAND_TASK) $(HAND_TASK_LITE)

dev: $(VENV)/.dev

# MediaPipe goes in without its declared dependencies: see back/requirements.txt.
$(VENV)/.runtime: back/requirements.txt back/requirements-mediapipe.txt back/pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -r back/requirements.txt
	$(PIP) install --no-deps -r back/requirements-mediapipe.txt
	$(PIP) install --no-deps -e back
	touch $@

# The runtime pins constrain the test tools too: onnx or moto must not move numpy or aiohttp.
$(VENV)/.dev: $(VENV)/.runtime back/requirements-dev.txt back/requirements-s3.txt
	$(PIP) install -r back/requirements-dev.txt -c back/requirements.txt
	touch $@

# npm ci installs exactly the lock file, and writes this file last.
$(TASKS_VISION): $(WEB)/package.json $(WEB)/package-lock.json
	@command -v npm >/dev/null || { echo "npm is missing: install Node.js 20 and npm (apt-get install nodejs npm)" >&2; exit 1; }
	cd $(WEB) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

$(HAND_TASK): back/build_hand_landmarker.py $(VENV)/.runtime
	$(PY) back/build_hand_landmarker.py $@

$(HAND_TASK_LITE): back/build_hand_landmarker.py $(VENV)/.runtime
	$(PY) back/build_hand_landmarker.py --lite $@

lint: dev
	$(PY) -m ruff check .
	$(PY) -m mypy

unit: dev
	$(PY) -m pytest tests/unit

## Train, evaluate and export the letter model (needs ../shared/data and PyTorch).
# The runtime pins constrain the training install: onnx would otherwise pull numpy 2, which MediaPipe cannot load.
train: setup
	$(PIP) install -r back/requirements-train.txt -c back/requirements.txt
	$(PY) -m training train --data ../shared/data

bench: dev
	$(PY) -m bench

## N replicas (REPLICAS, default 3) on loopback behind HAProxy (apt-get install haproxy): ws://localhost:8765/ws.
## Ctrl-C stops all; kill -HUP <pid> rolls the replicas one by one, as a deploy does.
REPLICAS ?= 3
cluster: setup
	PYTHONPATH=back:. $(PY) -m deploy.cluster --replicas $(REPLICAS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache $(WEB)/node_modules $(WEB)/dist
