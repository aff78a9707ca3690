"""Development only: set-up, tests, demo, screenshots, i18n, lint, benchmarks, programs.

Nothing here is loaded by the addon; ``dev.codagen`` is a package so that tests can import it.
"""
