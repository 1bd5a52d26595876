/* Copyright 2026 The pleo_connector authors
 * License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl). */

/**
 * The export screens in a real browser (run by tests/test_export_tour.py, which books a Pleo
 * export job before the tour starts: one expense booked with its PDF receipt, one failed for
 * an unknown Pleo account). The accountant opens Pleo › Pleo Exports, the job and its items,
 * the booked entry (its Pleo page, its receipt), finds the entry in Journal Entries with the
 * "From Pleo" filter, maps the unknown Pleo account in the company's Pleo connection, and sees
 * the "Book Pleo exports" setting.
 *
 * As in pleo_connect_tour, the tour asks the Python test for things by logging
 * `pleo-test:{"what": ...}` and waits for its answer on `<body data-pleo-...>`:
 *  - "data": the names and ids to check, in `window.pleoExportTour` (no key: this tour needs
 *    none, the company is connected on the server side);
 *  - "screenshot": the test captures the page into tests/artifacts/.
 */
import * as hoot from "@odoo/hoot-dom";
import { registry } from "@web/core/registry";
import {
    MODAL,
    STEP_TIMEOUT,
    askForTheData,
    cell,
    expectEqual,
    labelText,
    openApp,
    openMenu,
    openTheConnection,
    screenshot,
    testData,
    text,
} from "@pleo_connector/../tests/tours/pleo_tour_tools";

const JOB_ITEMS = ".o_form_view .o_field_widget[name='item_ids'] .o_data_row";

/** The names and ids the tour checks, from tests/test_export_tour.py. */
function tourData() {
    return testData("pleoExportTour", "tests/test_export_tour.py");
}

function steps() {
    return [
        ...askForTheData(),
        // ------------------------------------------------------------ Pleo › Pleo Exports
        ...openMenu(
            "account.menu_finance",
            "pleo_connector_export.pleo_menu_root",
            "pleo_connector_export.pleo_export_job_menu"
        ),
        {
            content: "The job is listed: completed with errors, 2 items, 1 booked, 1 failed",
            trigger: ".o_list_view .o_data_row:contains(Completed with errors)",
            run() {
                const row = this.anchor;
                expectEqual("Items at Pleo", cell(row, "number_of_items"), "2");
                expectEqual("Booked", cell(row, "booked_count"), "1");
                expectEqual("Failed", cell(row, "failed_count"), "1");
                if (!row.querySelector("td[name='state'] .badge.text-bg-warning")) {
                    throw new Error("The state is not shown as a warning badge");
                }
            },
        },
        {
            content: "Open the job",
            trigger: ".o_list_view .o_data_row:contains(Completed with errors) td[name='state']",
            run: "click",
        },
        {
            content: "The job's status bar says Completed with errors",
            trigger:
                ".o_form_view .o_statusbar_status .o_arrow_button_current:contains(Completed with errors)",
        },
        {
            content: "The job's counts",
            trigger: ".o_form_view .o_field_widget[name='booked_count']",
            run() {
                const value = (name) =>
                    text(document.querySelector(`.o_form_view .o_field_widget[name='${name}']`));
                expectEqual("Items at Pleo", value("number_of_items"), "2");
                expectEqual("Booked", value("booked_count"), "1");
                expectEqual("Failed", value("failed_count"), "1");
            },
        },
        {
            content: "The booked item: its entry",
            trigger: `${JOB_ITEMS}:contains(Booked)`,
            run() {
                const data = tourData();
                const row = this.anchor;
                expectEqual("Label", cell(row, "label"), data.bookedLabel);
                expectEqual("Entry", cell(row, "move_id"), data.moveName);
                expectEqual("Reason", cell(row, "failure_reason"), "");
            },
        },
        {
            content: "The failed item: why it failed",
            trigger: `${JOB_ITEMS}:contains(Failed)`,
            run() {
                const row = this.anchor;
                const reason = cell(row, "failure_reason");
                if (!reason.includes(tourData().failedReason)) {
                    throw new Error(`The failed item's reason reads '${reason}'`);
                }
                expectEqual("Entry", cell(row, "move_id"), "");
                if (!row.classList.contains("text-danger")) {
                    throw new Error("The failed item is not shown in red");
                }
            },
        },
        ...screenshot("export_job", `${JOB_ITEMS}:contains(Failed)`),
        // ------------------------------------------------------------ the booked entry
        {
            content: "Open the booked item",
            trigger: `${JOB_ITEMS}:contains(Booked) td[name='label']`,
            run: "click",
        },
        {
            content: "The item's Pleo Entry ID",
            trigger: `${MODAL} .o_form_view .o_field_widget[name='entry_uuid']`,
            run() {
                expectEqual("Pleo Entry ID", text(this.anchor), tourData().bookedEntry);
            },
        },
        {
            content: "Open Entry",
            trigger: `${MODAL} button[name='action_open_move']`,
            run: "click",
        },
        {
            content: "The entry is open, in draft",
            trigger:
                "body:not(:has(.modal)) .o_form_view .o_statusbar_status .o_arrow_button_current:contains(Draft)",
        },
        {
            content: "It is the booked item's entry",
            trigger: ".o_form_view .o_field_widget[name='ref']",
            run() {
                const id = tourData().moveId;
                if (!window.location.pathname.endsWith(`/account.move/${id}`)) {
                    throw new Error(`The URL ${window.location.pathname} is not entry ${id}'s`);
                }
                const ref = this.anchor.querySelector("input")?.value ?? text(this.anchor);
                expectEqual("Reference", ref, tourData().moveRef);
            },
        },
        {
            content: "Open the Pleo tab",
            trigger: ".o_form_view .o_notebook .nav-link[name='pleo']",
            run: "click",
        },
        {
            content: "The Pleo tab shows Pleo's entry ID",
            trigger: ".o_form_view .o_notebook .tab-pane.active .o_field_widget[name='pleo_entry_uuid']",
            run() {
                expectEqual("Pleo Entry ID", text(this.anchor), tourData().bookedEntry);
                const label = labelText(".o_notebook .tab-pane.active label[for^='pleo_entry_uuid']");
                expectEqual("Label", label, "Pleo Entry ID");
            },
        },
        {
            content: "The Pleo tab links the export item",
            trigger:
                ".o_form_view .o_notebook .tab-pane.active .o_field_widget[name='pleo_export_item_ids']",
            run() {
                expectEqual("Export item", text(this.anchor), tourData().bookedLabel);
            },
        },
        {
            content: "The chatter counts one attachment",
            trigger: ".o-mail-Chatter-topbar button[aria-label='Attach files']:contains(1)",
            run: "click",
        },
        {
            content: "The attachment is the receipt",
            trigger: ".o-mail-AttachmentBox .o-mail-AttachmentCard, .o-mail-AttachmentBox .o-mail-AttachmentContainer",
            run() {
                const box = text(this.anchor.closest(".o-mail-AttachmentBox"));
                if (!box.includes(tourData().receipt)) {
                    throw new Error(`The attachments read '${box}'`);
                }
            },
        },
        ...screenshot("export_entry", ".o_form_view .o_notebook .tab-pane.active"),
        // ------------------------------------------------------------ Journal Entries, From Pleo
        ...openMenu(
            "account.menu_finance",
            "account.menu_finance_entries",
            "account.menu_action_move_journal_line_form"
        ),
        {
            content: "Remove the default filters (Posted: the entry is a draft)",
            trigger: ".o_list_view .o_searchview",
            async run() {
                let remove;
                while ((remove = document.querySelector(".o_searchview_facet .o_facet_remove"))) {
                    await hoot.click(remove);
                    await hoot.animationFrame();
                }
            },
        },
        {
            content: "No filter left",
            trigger: ".o_searchview:not(:has(.o_searchview_facet))",
        },
        {
            content: "Open the filters",
            trigger: ".o_searchview_dropdown_toggler",
            run: "click",
        },
        {
            content: "Filter on From Pleo",
            trigger: ".o_filter_menu .o-dropdown-item:contains(From Pleo)",
            run: "click",
        },
        {
            content: "The filter is on",
            trigger: ".o_searchview_facet:contains(From Pleo)",
        },
        {
            content: "Only the Pleo entry is listed",
            trigger: ".o_list_view .o_data_row",
            async run() {
                const rows = () => [...document.querySelectorAll(".o_list_view .o_data_row")];
                await hoot.waitUntil(() => rows().length === 1, { timeout: 5000 }).catch(() => {
                    throw new Error(`${rows().length} entries are listed, expected the Pleo one`);
                });
                if (!text(rows()[0]).includes(tourData().moveRef)) {
                    throw new Error(`The listed entry is '${text(rows()[0])}'`);
                }
            },
        },
        // ------------------------------------------------------------ the Pleo connection
        ...openTheConnection(),
        {
            content: "The Export tab: Book Pleo exports is on",
            trigger:
                ".o_form_view .o_notebook .tab-pane.active .o_field_widget[name='export_enabled'] input:checked",
        },
        {
            content: "The Export tab: the Pleo journal",
            trigger: ".o_form_view .o_notebook .tab-pane.active .o_field_widget[name='export_journal_id']",
            run() {
                const value = this.anchor.querySelector("input")?.value || text(this.anchor);
                expectEqual("Journal", value, tourData().journal);
                const label = labelText(".o_notebook .tab-pane.active label[for^='export_enabled']");
                expectEqual("Label", label, "Book Pleo exports");
            },
        },
        {
            content: "Open the Accounts tab",
            trigger: ".o_form_view .o_notebook .nav-link[name='accounts']",
            run: "click",
        },
        {
            content: "No mapping yet: add a line",
            trigger:
                ".o_notebook .tab-pane.active .o_field_widget[name='export_account_mapping_ids']:not(:has(.o_data_row)) .o_field_x2many_list_row_add a",
            run: "click",
        },
        {
            content: "Pleo account code",
            trigger: ".o_data_row.o_selected_row .o_field_widget[name='pleo_code'] input",
            async run({ edit }) {
                await edit(tourData().mapCode);
            },
        },
        {
            content: "Odoo account: type its code",
            trigger: ".o_data_row.o_selected_row .o_field_widget[name='account_id'] input",
            async run({ edit }) {
                await edit(tourData().mapAccountCode);
            },
        },
        {
            content: "Pick the account once the list is filtered",
            // the account the test maps to (tests/common.py: 6810 Meals and entertainment)
            trigger:
                ".o_data_row.o_selected_row .o-autocomplete--dropdown-item a:contains(Meals and entertainment)",
            run: "click",
        },
        {
            content: "Save",
            trigger: ".o_form_view .o_form_button_save:enabled",
            run: "click",
        },
        {
            content: "Saved: the mapping row reads Pleo's code → the Odoo account",
            trigger:
                ".o_form_view .o_form_saved .o_field_widget[name='export_account_mapping_ids'] .o_data_row:not(.o_selected_row), .o_form_view:has(.o_form_saved) .o_field_widget[name='export_account_mapping_ids'] .o_data_row:not(.o_selected_row)",
            run() {
                expectEqual("Pleo code", cell(this.anchor, "pleo_code"), tourData().mapCode);
                const account = cell(this.anchor, "account_id");
                if (!account.includes(tourData().mapAccountName)) {
                    throw new Error(`Account: '${account}' is not ${tourData().mapAccountName}`);
                }
            },
        },
        ...screenshot("export_settings", ".o_form_view .o_notebook .tab-pane.active .o_data_row"),
        // ------------------------------------------------------------ Settings
        ...openApp("base.menu_administration"),
        {
            content: "Open the Invoicing/Accounting settings",
            trigger: ".settings_tab .tab[data-key='account']",
            run: "click",
        },
        {
            content: "The setting Book Pleo exports, on, with the Pleo journal",
            trigger: ".o_setting_box#pleo_export:contains(Book Pleo exports)",
            run() {
                if (!this.anchor.querySelector(".o_field_widget[name='pleo_export_enabled'] input:checked")) {
                    throw new Error("Book Pleo exports is not ticked");
                }
                const journal = this.anchor.querySelector(
                    ".o_field_widget[name='pleo_export_journal_id'] input"
                );
                expectEqual("Journal", journal?.value, tourData().journal);
            },
        },
    ];
}

registry.category("web_tour.tours").add("pleo_export_tour", {
    steps: () => steps().map((step) => ({ timeout: STEP_TIMEOUT, ...step })),
});
