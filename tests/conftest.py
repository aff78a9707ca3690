"""What the pure pytest tests share (the Odoo test classes have tests/common.py): the CodaBox
sandbox on its example seed, for the tests of the client and of the sandbox itself.

pytest must load this file under the addon's module name, as the tests: dev/test.sh gives it the
tests by module (``--pyargs odoo.addons.l10n_be_codabox_connect.tests...``), not by path.
"""

import pytest

from ..sandbox.testing import running_sandbox


@pytest.fixture(scope="module")
def example_sandbox():
    """The sandbox on sandbox/seed_example.json, one for each test module."""
    with running_sandbox() as running:
        yield running


@pytest.fixture
def sandbox(example_sandbox):
    """The module's sandbox as seeded: each test starts from the seed."""
    example_sandbox.reset()
    return example_sandbox
