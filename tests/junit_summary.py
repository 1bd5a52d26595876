"""Summarise a pytest JUnit XML report for tests/run.sh: Odoo tests vs Odoo-free tests.

Prints which Odoo ran and how many Odoo tests ran, names every skipped Odoo test (a skip is
never silent), and ends with the plain closing line ``Total: N passed, N failed``. Exits 1 when
anything failed, or when Odoo was found but no Odoo test ran. ``--e2e`` adds the report of the
end-to-end suite (tests/e2e, its own pytest run), counted and checked the same way.
"""

import argparse
import re
import sys
import xml.etree.ElementTree as ET

# The addons' suites (pleo_connector, pleo_connector_export, ...), and the repository checks
# that read an Odoo database (counted with them, so that their skip is named too).
ODOO_TESTS = re.compile(r"^(?:odoo\.addons\.)?pleo_connector[a-z_]*\.tests\.|^tests\.repository\.")


def outcome(case):
    for tag in ("failure", "error"):
        if case.find(tag) is not None:
            return "failed"
    if case.find("skipped") is not None:
        return "skipped"
    return "passed"


def e2e_report(path, line):
    """Print the end-to-end suite's counts and skips; return its ``(passed, failed)`` (a
    missing report, or no test run, is a failure)."""
    e2e, skipped_e2e = dict.fromkeys(("passed", "failed", "skipped"), 0), []
    try:
        e2e_root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as exc:
        print(f"End-to-end suite: no test report ({exc}): it did not run to the end")
        return 0, 1
    for case in e2e_root.iter("testcase"):
        result = outcome(case)
        e2e[result] += 1
        if result == "skipped":
            skipped_e2e.append(".".join(filter(None, (case.get("classname"), case.get("name")))))
    print(f"End-to-end suite (odoo-bin servers): {line(e2e)} end-to-end tests")
    for name in skipped_e2e:
        print(f"  SKIPPED end-to-end test: {name}")
    failed = e2e["failed"]
    if sum(e2e.values()) == 0:
        print("End-to-end suite: NO end-to-end test ran although Odoo was found: failing")
        failed += 1
    return e2e["passed"], failed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("junit")
    parser.add_argument("--odoo", help="'<version> at <path>' of the Odoo that ran the suite")
    parser.add_argument("--odoo-skipped", action="store_true")
    parser.add_argument("--e2e", help="JUnit XML report of the end-to-end suite (tests/e2e)")
    parser.add_argument("--check", action="append", default=[], help="name=ok|failed")
    parser.add_argument(
        "--warning", action="append", default=[], help="a problem of the machine, not a failure"
    )
    args = parser.parse_args()

    counts = {True: dict.fromkeys(("passed", "failed", "skipped"), 0)}
    counts[False] = dict(counts[True])
    skipped_odoo = []
    try:
        root = ET.parse(args.junit).getroot()
    except (OSError, ET.ParseError) as exc:
        print(f"no test report ({exc}): the test run did not complete")
        print("Total: 0 passed, 1 failed")
        return 1
    for case in root.iter("testcase"):
        # A module skipped whole is reported with an empty classname and the module as name.
        where = case.get("classname") or case.get("name", "")
        is_odoo = bool(ODOO_TESTS.match(where))
        result = outcome(case)
        counts[is_odoo][result] += 1
        if is_odoo and result == "skipped":
            skipped_odoo.append(".".join(filter(None, (case.get("classname"), case.get("name")))))

    def line(c):
        total = sum(c.values())
        return f"{total} ran: {c['passed']} passed, {c['failed']} failed, {c['skipped']} skipped"

    print("\n" + "=" * 78)
    print(f"Odoo-free tests: {line(counts[False])}")
    failed = counts[False]["failed"] + counts[True]["failed"]
    passed = counts[False]["passed"] + counts[True]["passed"]
    if args.odoo_skipped:
        print("Odoo suite: SKIPPED (no Odoo 19 found; see the banner above)")
    else:
        print(f"Odoo suite: Odoo {args.odoo}: {line(counts[True])} Odoo tests")
        for name in skipped_odoo:
            print(f"  SKIPPED Odoo test: {name}")
        if sum(counts[True].values()) == 0:
            print("Odoo suite: NO Odoo test ran although Odoo was found: failing the run")
            failed += 1
    if args.odoo_skipped:
        print("End-to-end suite: SKIPPED (no Odoo 19 found; see the banner above)")
    elif args.e2e:
        e2e_passed, e2e_failed = e2e_report(args.e2e, line)
        passed += e2e_passed
        failed += e2e_failed
    for check in args.check:
        name, _, state = check.partition("=")
        print(f"Odoo check {name}: {state}")
        if state == "ok":
            passed += 1
        else:
            failed += 1
    for warning in args.warning:
        print(f"WARNING: {warning}")
    print("=" * 78)
    print(f"Total: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
