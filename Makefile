# answer-grader: `make demo` and `make test` work from a clean clone (network: package registries only).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PIP    := $(BIN)/python -m pip --disable-pip-version-check -q

.PHONY: install browser demo test examples golden validity detectors-real real bench clean

install: $(STAMP)

# torch first and alone: the pinned CPU wheel on local disk (an unpinned torch pulls a CUDA build).
$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install torch==2.13.0
	$(PIP) install -c constraints.txt -e ".[test,dask]"
	$(BIN)/python -m grader.embedding.onnx
	@touch $@

# The browser tests drive Debian's chromium (never a downloaded browser). Installed here when missing and
# running as root; otherwise those tests skip and say why.
browser:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian's chromium for the browser tests"; \
	    (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium) >/dev/null \
	      || echo "make: could not install chromium; the browser tests will be skipped" >&2; \
	  else echo "make: chromium not found and not root; the browser tests will be skipped" >&2; fi; \
	fi

demo: install
	$(BIN)/python -m grader grade examples/answers/*.md --out reports

# pytest exits 5 when it collected no tests: that is a failure, not a green run.
test: install browser
	@$(BIN)/python -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests" >&2; exit 1; fi; exit $$rc

# Refresh the committed example reports (compared by tests/test_end_to_end.py).
examples: install
	rm -rf reports/examples
	$(BIN)/python -m grader grade examples/answers/*.md --out reports/examples --no-cache --quiet \
	  --format json,md,html,csv,junit

# Refresh the model-free golden reports (every format, hashing backend) compared by tests/reports/test_golden_formats.py.
golden: install
	GRADER_REFRESH_GOLDEN=1 $(BIN)/python -m pytest -q tests/reports/test_golden_formats.py

# Calibration against human grades on the public datasets (read in place; minutes, not part of `make test`).
DATASETS ?= ../shared/datasets
validity: install
	nice -n 10 $(BIN)/python benchmarks/validity.py --datasets $(DATASETS)

# Concept detectors and mistake flags on the public write-ups (read in place) against the rater-pass judgments in
# benchmarks/data/detectors_real/ (about a minute; not part of `make test`): benchmarks/DETECTORS.md.
CORPUS ?= ../shared/real_answers
detectors-real: install
	$(BIN)/python benchmarks/detectors_real.py --corpus $(CORPUS)

# Raw scores and calibrated grades (cross-validated, folds grouped by source repository) on the public write-ups
# (read in place) against the mean of two LLM rater passes, beside word count, and question detection
# (about 30 s; not part of `make test`): benchmarks/REAL.md.
real: install
	$(BIN)/python benchmarks/real.py --corpus $(CORPUS)

clean:
	rm -rf $(VENV) reports/*.json reports/*.md reports/*.csv reports/*.html reports/*.xml .pytest_cache

# Speed and memory as ratios measured in one run (minutes; not part of `make test`): benchmarks/PERFORMANCE.md.
bench: install
	$(BIN)/python benchmarks/bench.py --profile
