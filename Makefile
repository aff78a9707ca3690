# The README's commands. Each target sets up what is missing first (tools/setup.sh is quick
# when everything is already there).
.PHONY: setup test demo lint sandbox bench clean

setup:
	@bash tools/setup.sh

test: setup
	@bash tools/test.sh

demo: setup
	@bash tools/demo.sh

lint: setup
	@bash tools/lint.sh

sandbox: setup
	@.venv/bin/python -m sandbox --port 8070 --state .odoo/sandbox-state.json

clean:
	rm -rf .venv .odoo
