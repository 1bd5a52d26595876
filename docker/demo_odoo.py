# ruff: noqa: F821  (``env`` is given by ``odoo shell``)
"""The demo's Odoo side, shared by docker/demo.sh and the Docker demo (docker/odoo-entrypoint.sh).

Run by ``odoo shell`` (``odoo-bin shell -c odoo.conf -d <db> --no-http < docker/demo_odoo.py``),
which gives ``env``; the step comes from the environment variable ``PLEO_DEMO_STEP``:

``setup`` (after the addon is installed or updated; does nothing the second time)
    Makes the database's company the Danish company of the fake Pleo's demo company: "Demo Pleo
    Company ApS", DK, DKK, VAT DK12345674, Odoo's Danish chart and taxes (``l10n_dk``, loaded as
    Settings › Fiscal localization does on a company without entries), the employees Anna
    Jensen (E001) and Bo Nielsen (E002) as partners of those references, EUR active, and the
    journal "Pleo" (code PLEO) whose account 6485 "Pleo DKK wallet" is Pleo's contra account
    of the sandbox's demo scenario (pleo_sandbox/demo_scenario.py). The company's Pleo
    connection books exports into that journal (export on, entries in draft). Connecting it
    stays the newcomer's step (README, "Try it").

``book`` (``demo.sh --book-and-exit``)
    Does what the README's steps do, as the administrator: pastes the demo key
    (``PLEO_DEMO_KEY``) in the company's Pleo connection and presses Save & Test, then presses
    "Fetch exports now"; prints what was booked ("7 booked, 1 failed: ...") and exits 0 when at
    least one expense was booked, 1 otherwise.

Everything a person reads is printed on stdout with the prefix ``==> pleo demo:``.
"""

import os
import sys

DEMO_COMPANY = {
    "name": "Demo Pleo Company ApS",
    "vat": "DK12345674",
    "company_registry": "12345674",
    "street": "Ravnsborg Tværgade 5C",
    "zip": "2200",
    "city": "København N",
}
WALLET_ACCOUNT = ("6485", "Pleo DKK wallet")  # = pleo_sandbox.demo_scenario.WALLET_ACCOUNT
EMPLOYEES = {"E001": "Anna Jensen", "E002": "Bo Nielsen"}  # = demo_scenario.EMPLOYEES


def say(text):
    sys.stdout.write(f"==> pleo demo: {text}\n")
    sys.stdout.flush()


def shown(notification):
    """A notification's message as the web client shows it: its links' labels in place of
    its ``%s``, in order."""
    params = notification["params"]
    message = params["message"]
    for link in params.get("links") or ():
        message = message.replace("%s", link["label"], 1)
    return message


def setup(env):
    """The Danish demo company (see the module docstring); idempotent."""
    company = env.ref("base.main_company")
    if company.chart_template == "dk" and company.country_id.code == "DK":
        say(f"company {company.name} is set up (Danish chart, {company.currency_id.name})")
        return
    if company.root_id._existing_accounting():
        say(
            f"company {company.name} has accounting entries on the {company.chart_template} chart: "
            "left as it is (PLEO_DEMO_RESET=1 starts the demo afresh with the Danish company)"
        )
        return
    denmark = env.ref("base.dk")
    dkk = env.ref("base.DKK")
    (dkk | env.ref("base.EUR")).with_context(active_test=False).write({"active": True})
    company.write({**DEMO_COMPANY, "country_id": denmark.id, "currency_id": dkk.id})
    say("loading Odoo's Danish chart of accounts and taxes (l10n_dk)")
    env["account.chart.template"].try_loading("dk", company, install_demo=False)
    env = env(context={**env.context, "allowed_company_ids": [company.id]})
    company = env["res.company"].browse(company.id)
    env["res.partner"].create(
        [{"name": name, "ref": code, "company_id": company.id} for code, name in EMPLOYEES.items()]
    )
    wallet = env["account.account"].create(
        {
            "code": WALLET_ACCOUNT[0],
            "name": WALLET_ACCOUNT[1],
            "account_type": "asset_cash",
            "company_ids": [company.id],
        }
    )
    journal = env["account.journal"].create(
        {
            "name": "Pleo",
            "code": "PLEO",
            "type": "bank",
            "company_id": company.id,
            "default_account_id": wallet.id,
        }
    )
    connection = env["pleo.connection"]._get_for_company(company)
    connection.write({"export_enabled": True, "export_journal_id": journal.id})
    admin = env.ref("base.user_admin")
    admin.tz = "Europe/Copenhagen"
    # The bookkeeper's view of the entries: journal items and account codes are shown to users
    # with Odoo's "Show Full Accounting Features" only (the demo walk found them hidden).
    admin.group_ids |= env.ref("account.group_account_user")
    env.cr.commit()
    say(
        f"company {company.name}: Danish chart, DKK, journal Pleo on {wallet.code}, "
        "Pleo exports on (connect it with the demo key)"
    )


def book(env, key):
    """Connect with ``key`` and fetch the ready export, as the README's steps do; exit code."""
    admin = env.ref("base.user_admin")
    env = env(user=admin.id, context={**env.context, "lang": admin.lang or "en_US"})
    company = env.ref("base.main_company")
    connection = env["pleo.connection"]._get_for_company(company)
    connection.write({"api_key": key})  # paste the key and save
    notification = connection.action_save_and_test()
    env.cr.commit()
    say(f"Save & Test: {shown(notification)}")
    if connection.state != "connected":
        return 1
    Job = env["pleo.export.job"]
    before = Job.search([("connection_id", "=", connection.id)])
    notification = connection.action_fetch_exports()
    env.cr.commit()
    env.invalidate_all()
    say(f"Fetch exports now: {shown(notification)}")
    jobs = Job.search([("connection_id", "=", connection.id)]) - before
    items = jobs.item_ids
    booked = items.filtered(lambda i: i.state == "booked")
    failed = items.filtered(lambda i: i.state == "failed")
    summary = f"{len(booked)} booked, {len(failed)} failed"
    if failed:
        summary += ": " + "; ".join(f"{i.label}: {i.failure_reason}" for i in failed)
    say(summary)
    for item in booked:
        amount = f"{item.amount:,.2f} {item.currency_id.name}"
        say(f"  booked {item.move_id.display_name}: {item.label} ({amount})")
    return 0 if booked else 1


def main(env):
    step = os.environ.get("PLEO_DEMO_STEP")
    if step == "setup":
        setup(env)
        return 0
    if step == "book":
        return book(env, os.environ["PLEO_DEMO_KEY"])
    say(f"unknown PLEO_DEMO_STEP {step!r} (setup or book)")
    return 2


if __name__ == "__main__":
    sys.exit(main(env))
