/* Copyright 2026 The pleo_connector authors
 * License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl). */

/**
 * "Create a Pleo journal" from Settings works on the first press (run by
 * tests/test_settings_journal_tour.py, which connects the company on the server side): the
 * Pleo manager ticks "Book Pleo exports", chooses the wallet account and presses the button
 * once. Odoo's "save your changes?" dialog, whose Save reloaded the page without creating the
 * journal, must not appear; a notification confirms the journal and its account, and the
 * block shows the journal.
 *
 * As in pleo_connect_tour, the tour asks the Python test for its data by logging
 * `pleo-test:{"what": "data"}` and waits for `<body data-pleo-data>`; "screenshot" captures
 * the block into tests/artifacts/.
 */
import * as hoot from "@odoo/hoot-dom";
import { registry } from "@web/core/registry";

const STEP_TIMEOUT = 30000;
const BLOCK = ".o_setting_box#pleo_export";
const MODAL = ".modal:not(.o_inactive_modal)";

function tourData() {
    const data = window.pleoJournalTour;
    if (!data || !data.walletCode) {
        throw new Error(
            "window.pleoJournalTour is missing: start this tour from " +
                "tests/test_settings_journal_tour.py"
        );
    }
    return data;
}

function askTheTest(what, payload) {
    console.log(`pleo-test:${JSON.stringify({ what, ...payload })}`);
}

function clipAround(element) {
    element.scrollIntoView({ block: "center" });
    const box = element.getBoundingClientRect();
    const margin = 12;
    const left = Math.max(0, box.left - margin);
    const top = Math.max(0, box.top - margin);
    return {
        x: left,
        y: top,
        width: Math.min(window.innerWidth, box.right + margin) - left,
        height: Math.min(window.innerHeight, box.bottom + margin) - top,
    };
}

function steps() {
    return [
        {
            content: "Ask the test for its data",
            trigger: "body",
            run() {
                askTheTest("data", {});
            },
        },
        {
            content: "The data is there",
            trigger: "body[data-pleo-data='ready']",
        },
        {
            content: "Open the Invoicing/Accounting settings",
            trigger: ".settings_tab .tab[data-key='account']",
            run: "click",
        },
        {
            content: "Tick Book Pleo exports",
            trigger: `${BLOCK} .o_field_widget[name='pleo_export_enabled'] input`,
            run: "click",
        },
        {
            content: "Type the wallet account's code",
            trigger: `${BLOCK} .o_field_widget[name='pleo_export_wallet_account_id'] input`,
            async run({ edit }) {
                await edit(tourData().walletCode);
            },
        },
        {
            content: "Choose the wallet account in the dropdown",
            trigger: ".o-autocomplete--dropdown-item",
            async run() {
                const { walletCode, walletName } = tourData();
                const find = () =>
                    [...document.querySelectorAll(".o-autocomplete--dropdown-item")].find(
                        (element) => element.textContent.includes(walletName)
                    );
                const item = await hoot.waitUntil(find, { timeout: 10000 }).catch(() => {
                    const shown = [...document.querySelectorAll(".o-autocomplete--dropdown-item")];
                    throw new Error(
                        `No account ${walletCode} ${walletName} in the dropdown: ` +
                            shown.map((element) => element.textContent.trim()).join(" | ")
                    );
                });
                await hoot.click(item.querySelector("a") || item);
            },
        },
        {
            content: "The wallet account is chosen",
            trigger: `${BLOCK} .o_field_widget[name='pleo_export_wallet_account_id'] input`,
            async run() {
                const name = tourData().walletName;
                await hoot.waitUntil(() => this.anchor.value.includes(name), { timeout: 5000 });
            },
        },
        {
            content: "The block says why the journal's account is the wallet account",
            trigger: `${BLOCK}:contains(Odoo's balancing lines land on the wallet)`,
        },
        {
            content: "Press Create a Pleo journal, once",
            trigger: `${BLOCK} button[name='action_pleo_create_export_journal']`,
            run: "click",
        },
        {
            content: "Odoo confirms the journal and its account",
            trigger: ".o_notification:contains(Pleo journal 'Pleo' created with account)",
            run() {
                if (document.querySelector(MODAL)) {
                    throw new Error("A dialog opened: the button did not create the journal");
                }
                const text = this.anchor.textContent;
                const expected = `created with account ${tourData().walletCode} ${tourData().walletName}`;
                if (!text.includes(expected)) {
                    throw new Error(`The notification says '${text}', expected '${expected}'`);
                }
            },
        },
        {
            content: "The block shows the journal; the button is gone",
            trigger: `${BLOCK}:not(:has(button[name='action_pleo_create_export_journal'])) .o_field_widget[name='pleo_export_journal_id'] input`,
            async run() {
                await hoot.waitUntil(() => this.anchor.value === "Pleo", { timeout: 5000 });
                if (document.querySelector(MODAL)) {
                    throw new Error("A dialog is open");
                }
            },
        },
        {
            content: "Take the screenshot of the block",
            trigger: BLOCK,
            async run() {
                const clip = clipAround(this.anchor);
                await hoot.animationFrame();
                askTheTest("screenshot", { name: "settings_journal_created", clip });
            },
        },
        {
            content: "Wait until the screenshot is saved",
            trigger: "body[data-pleo-screenshot='settings_journal_created']",
        },
    ];
}

registry.category("web_tour.tours").add("pleo_settings_journal_tour", {
    steps: () => steps().map((step) => ({ timeout: STEP_TIMEOUT, ...step })),
});
