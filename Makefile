# The README's commands. Each target sets up what is missing first (tools/setup.sh is quick
# when everything is already there).
.PHONY: setup test demo check-demo lint sandbox bench bench-quick clean

setup:
	@bash tools/setup.sh

test: setup
	@bash tools/test.sh

demo: setup
	@bash tools/demo.sh

# Runs make demo on a throwaway database and checks it over HTTP (CI runs it).
check-demo: setup
	@bash tools/check_demo.sh

lint: setup
	@bash tools/lint.sh

sandbox: setup
	@.venv/bin/python -m sandbox --port 8070 --state .odoo/sandbox-state.json

clean:
	rm -rf .venv .odoo
