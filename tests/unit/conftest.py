"""The sandbox the Odoo-free tests talk to: one running per module (starting one per test would
cost ~0.1 s each), emptied before each test that asks for ``sandbox``."""

import pytest
from pleo_sandbox import PleoSandbox


@pytest.fixture(scope="module")
def running():
    with PleoSandbox() as sandbox:
        yield sandbox


@pytest.fixture
def sandbox(running):
    running.reset()
    return running
