/* Copyright 2026 The pleo_connector authors
 * License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl). */

/**
 * Mapping that guides, in a real browser (run by tests/test_mapping_tour.py, which books a Pleo
 * export job before the tour starts: one expense fails, Pleo's tax code I25 being no Odoo
 * tax's name). The bookkeeper sees I25 listed as still unmapped in the connection's Taxes tab
 * (with the proposal and the one failed item waiting), reads the wallet rule on the Export tab,
 * opens the failed item in Export Items, presses "Map and re-export", confirms the proposed tax,
 * and sees the item booked later.
 *
 * As in pleo_export_tour, the tour asks the Python test for things by logging
 * `pleo-test:{"what": ...}` and waits for its answer on `<body data-pleo-...>`: "data" (the
 * names to check, in `window.pleoMappingTour`) and "screenshot".
 */
import { registry } from "@web/core/registry";
import {
    MODAL,
    STEP_TIMEOUT,
    askForTheData,
    cell,
    expectEqual,
    openMenu,
    openTheConnection,
    screenshot,
    testData,
    text,
} from "@pleo_connector/../tests/tours/pleo_tour_tools";

const TAB = ".o_form_view .o_notebook .tab-pane.active";

/** The names the tour checks, from tests/test_mapping_tour.py. */
function tourData() {
    return testData("pleoMappingTour", "tests/test_mapping_tour.py");
}

function expectIncludes(what, actual, expected) {
    if (!actual.includes(expected)) {
        throw new Error(`${what}: '${actual}' does not say '${expected}'`);
    }
}

function steps() {
    return [
        ...askForTheData(),
        // ------------------------------------------------------------ the connection
        ...openTheConnection(),
        {
            content: "The Export tab states the wallet rule",
            trigger: `${TAB} .o_pleo_wallet_rule`,
            run() {
                expectEqual(
                    "Wallet rule",
                    text(this.anchor),
                    "The Pleo journal's account is the wallet account: the journal's balance " +
                        "is then the wallet balance, and Odoo's balancing lines land on the wallet."
                );
            },
        },
        {
            content: "Open the Taxes tab",
            trigger: ".o_form_view .o_notebook .nav-link[name='taxes']",
            run: "click",
        },
        {
            content: "I25 is still unmapped: one failed item waits, and Odoo proposes the tax",
            trigger: `${TAB} .o_field_widget[name='export_unmapped_tax_ids'] .o_data_row`,
            run() {
                const data = tourData();
                expectEqual("Pleo code", cell(this.anchor, "pleo_code"), data.code);
                expectEqual("Failed items", cell(this.anchor, "waiting_count"), "1");
                expectIncludes("Proposal", cell(this.anchor, "note"), data.proposal);
                if (!this.anchor.querySelector("button[name='action_map']")) {
                    throw new Error("The row has no Map button");
                }
            },
        },
        ...screenshot("mapping_unmapped", `${TAB} .o_field_widget[name='export_unmapped_tax_ids']`),
        // ------------------------------------------------------------ the failed item
        ...openMenu(
            "account.menu_finance",
            "pleo_connector_export.pleo_menu_root",
            "pleo_connector_export.pleo_export_item_menu"
        ),
        {
            content: "Open the failed item",
            trigger: ".o_list_view .o_data_row:contains(Failed) td[name='label']",
            run: "click",
        },
        {
            content: "The item failed: press Map and re-export",
            trigger:
                ".o_form_view:has(.o_arrow_button_current:contains(Failed)) .o_statusbar_buttons button[name='action_map_and_reexport']",
            run: "click",
        },
        {
            content: "The wizard proposes the purchase tax of the same rate and type",
            trigger: `${MODAL} .o_field_widget[name='note']`,
            run() {
                const data = tourData();
                expectIncludes("Proposal", text(this.anchor), data.proposal);
                const code = document.querySelector(`${MODAL} .o_field_widget[name='pleo_code']`);
                expectEqual("Pleo code", text(code), data.code);
                const tax = document.querySelector(`${MODAL} .o_field_widget[name='tax_id'] input`);
                expectEqual("Odoo tax", tax?.value, data.tax);
            },
        },
        ...screenshot("mapping_wizard", `${MODAL} .o_field_widget[name='tax_id']`),
        {
            content: "Confirm: Map and re-export",
            trigger: `${MODAL} .modal-footer button.btn-primary:contains(Map and re-export)`,
            run: "click",
        },
        {
            content: "The notification says what the re-export booked",
            trigger: ".o_notification:contains(1 booked, 0 failed)",
        },
        {
            content: "The item is booked later, with its entry",
            trigger:
                "body:not(:has(.modal)) .o_form_view:has(.o_arrow_button_current:contains(Booked later)) .alert-success",
            run() {
                expectIncludes("Alert", text(this.anchor), "a later export booked it");
                const move = document.querySelector(".o_form_view .o_field_widget[name='move_id']");
                if (!text(move)) {
                    throw new Error("The item has no entry");
                }
                if (document.querySelector(".o_statusbar_buttons button[name='action_map_and_reexport']")) {
                    throw new Error("Map and re-export is still offered");
                }
            },
        },
        ...screenshot("mapping_reexported", ".o_form_view .alert-success"),
    ];
}

registry.category("web_tour.tours").add("pleo_mapping_tour", {
    steps: () => steps().map((step) => ({ timeout: STEP_TIMEOUT, ...step })),
});
