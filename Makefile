# The README's commands. Each target sets up what is missing first (tools/setup.sh is quick
# when everything is already there).
.PHONY: setup test test-oca demo check-demo lint sandbox bench bench-quick clean

setup:
	@bash tools/setup.sh

# TEST_ARGS go to pytest (make takes other words as targets): make test TEST_ARGS=tests/test_x.py
test: setup
	@bash tools/test.sh $(TEST_ARGS)

# The reconciliation tests next to OCA's account_reconcile_oca, in a database of their own.
test-oca: setup
	@bash tools/test_oca.sh

demo: setup
	@bash tools/demo.sh

# Runs make demo on a throwaway database and checks it over HTTP (CI runs it).
check-demo: setup
	@bash tools/check_demo.sh

lint: setup
	@bash tools/lint.sh

# Side by side with pycoda and OCA's importer; writes docs/benchmarks.md (about 20 minutes).
bench: setup
	@bash tools/bench.sh

bench-quick: setup
	@BENCH_QUICK=1 bash tools/bench.sh

sandbox: setup
	@.venv/bin/python -m sandbox --port 8070 --state .odoo/sandbox-state.json

clean:
	rm -rf .venv .odoo
