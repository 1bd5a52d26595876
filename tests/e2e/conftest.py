"""Fixtures of the end-to-end suite: settings, the sandbox, servers, key figures.

Without the ``PLEO_E2E_*`` settings (``tests/run.sh`` sets them when it finds an Odoo 19),
every test of this folder is skipped with one reason.
"""

from __future__ import annotations

import contextlib
import os

import pytest
from pleo_sandbox import PleoSandbox

from .company import Site
from .flows import EXPORT_CRON, JobWatch, into_the_schedulers_minute, write_cron
from .harness import Settings, missing_settings, running_server, utc_now_string

HERE = os.path.dirname(__file__)
_FIGURES = []  # (test id, name, value), for the terminal summary


def pytest_collection_modifyitems(config, items):
    missing = missing_settings()
    if not missing:
        return
    reason = (
        f"end-to-end suite not run: no Odoo to start ({', '.join(missing)} unset; tests/run.sh "
        "sets them when it finds an Odoo 19: see README.md, Tests)"
    )
    skip = pytest.mark.skip(reason=reason)
    for item in items:
        if str(item.fspath).startswith(HERE):
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter):
    if not _FIGURES:
        return
    terminalreporter.section("pleo e2e: key figures")
    for test, name, value in _FIGURES:
        terminalreporter.write_line(f"{test}: {name} = {value}")


@pytest.fixture(scope="session")
def settings():
    return Settings.from_environment()


@pytest.fixture(scope="module")
def sandbox():
    with PleoSandbox() as running:
        yield running


#: The test whose job is made at the start of the session (see ``_scheduler_alone_job``).
SCHEDULER_ALONE_TEST = "test_the_scheduler_alone_books_a_pending_job_within_90_s"
#: Items of that job, and the seconds it has to be booked in.
SCHEDULER_ALONE_ITEMS, SCHEDULER_ALONE_SECONDS = 10, 90


@pytest.fixture(scope="session")
def scheduler_site(settings):
    """The threaded server of ``test_scheduler.py``, with the export scheduled every minute
    (as an administrator sets it in the scheduled action's form)."""
    with PleoSandbox() as sandbox, running_server(settings, "sched", sandbox) as server:
        site = Site(server, sandbox)
        site.export_scheduled_at = utc_now_string(-1)
        assert write_cron(
            site.admin,
            EXPORT_CRON,
            {"interval_number": 1, "interval_type": "minutes", "nextcall": utc_now_string()},
        )
        site.alone = None
        yield site


@pytest.fixture(scope="session", autouse=True)
def _scheduler_alone_job(request):
    """The job that the scheduler alone must book within 90 s is made early in the session,
    on ``scheduler_site``, 40 s into the scheduler's minute (see
    :func:`flows.into_the_schedulers_minute`), and watched from then on, in a thread: nothing
    else happens on that server until its test reads the watch (the other modules run on
    servers of their own meanwhile), so the scheduler's minute is not a minute of the suite."""
    if missing_settings() or not any(
        item.name == SCHEDULER_ALONE_TEST for item in request.session.items
    ):
        return
    # A failure here shows in the scheduler's tests, which ask for the site again.
    with contextlib.suppress(Exception):
        site = request.getfixturevalue("scheduler_site")
        tenant = site.tenant("Sched Alone", manager=False)
        cron = site.admin.xmlid(EXPORT_CRON)
        watch = JobWatch(
            site.server,
            site.sandbox,
            tenant.id,
            lambda: site.sandbox.add_export_job(
                tenant.pleo, n=SCHEDULER_ALONE_ITEMS, wallet_currency="USD"
            ),
            SCHEDULER_ALONE_SECONDS,
            before=lambda: into_the_schedulers_minute(site.db, cron, site.export_scheduled_at),
        )
        site.alone = (tenant, watch)


@pytest.fixture
def figures(request, record_testsuite_property):
    """``figures(name, value)``: a key figure of the test: a property of the JUnit report
    (``<test>.<name>``, on the test suite: per-test properties do not fit pytest's default
    xunit2 format), printed, and listed in the terminal summary (also without ``-s``)."""

    def note(name, value):
        record_testsuite_property(f"{request.node.name}.{name}", value)
        _FIGURES.append((request.node.nodeid, name, value))
        print(f"[e2e] {request.node.name}: {name} = {value}")

    return note


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.failed:
        for server in getattr(item, "e2e_servers", ()):
            report.sections.append((f"odoo-bin log: {server.label}", server.log_tail(80)))
    return report
