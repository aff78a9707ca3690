# The README's commands. Each target sets up what is missing first (dev/setup.sh is quick
# when everything is already there). They run Odoo 18.0; ODOO_SERIES=19.0 make <target> runs
# the same on Odoo 19.0, with its own source, venv, state and databases (dev/series.sh).
.PHONY: setup test test-oca test-odoo demo check-demo lint sandbox bench bench-quick clean

setup:
	@bash dev/setup.sh

# TEST_ARGS go to pytest (make takes other words as targets): make test TEST_ARGS=tests/test_x.py
test: setup
	@bash dev/test.sh $(TEST_ARGS)

# The reconciliation tests next to OCA's account_reconcile_oca, in a database of their own.
test-oca: setup
	@bash dev/test_oca.sh

# The Odoo tests through Odoo's own runner (odoo-bin --test-enable), on a database made by
# odoo-bin -i alone, as OCA's CI, runboat and Odoo.sh run them.
test-odoo: setup
	@bash dev/test_odoo.sh

demo: setup
	@bash dev/demo.sh

# Runs make demo on a throwaway database and checks it over HTTP (CI runs it).
check-demo: setup
	@bash dev/check_demo.sh

lint: setup
	@bash dev/lint.sh

# Side by side with pycoda and OCA's importer; writes docs/benchmarks.md (about 20 minutes).
bench: setup
	@bash dev/bench.sh

bench-quick: setup
	@BENCH_QUICK=1 bash dev/bench.sh

sandbox: setup
	@. dev/series.sh && "$$VENV/bin/python" -m sandbox --port 8070 --state "$$STATE/sandbox-state.json"

clean:
	rm -rf .venv .odoo .venv-19.0 .odoo-19.0
