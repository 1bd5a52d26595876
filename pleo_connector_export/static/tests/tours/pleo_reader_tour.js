/* Copyright 2026 The pleo_connector authors
 * License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl). */

/**
 * A Danish bookkeeper at month-end (run by tests/test_reader_tour.py). The scheduler, running
 * as an English user, booked an export with one failure before the tour; a second export waits
 * in Pleo. Bodil, who reads Danish, opens the failed item: its failure type and reason are
 * Danish. She presses "Fetch exports now" on the company's Pleo connection: the notification
 * counts this press only (1 booked, 0 failed), not the failure of the earlier export.
 *
 * The expected words are the addon's own Danish translations (i18n/da.po).
 */
import { registry } from "@web/core/registry";

const STEP_TIMEOUT = 30000;

registry.category("web_tour.tours").add("pleo_reader_tour", {
    steps: () => [
        {
            content: "The failure type is shown by its Danish label",
            trigger: ".o_form_view .o_field_widget[name='failure_type']:contains('Ukendt konto')",
            timeout: STEP_TIMEOUT,
        },
        {
            content: "The reason the English cron wrote is Danish",
            trigger:
                ".o_form_view .o_field_widget[name='failure_reason']:contains('Pleo-kontoen 9999')",
            timeout: STEP_TIMEOUT,
        },
        {
            content: "Open the apps menu",
            trigger: ".o_navbar_apps_menu button:enabled",
            run: "click",
        },
        {
            content: "Open the Pleo app (its connections)",
            trigger: ".o_app[data-menu-xmlid='pleo_connector.pleo_app_menu']",
            run: "click",
        },
        {
            content: "Open the company's connection",
            trigger: ".o_list_view .o_data_row .o_data_cell",
            run: "click",
            timeout: STEP_TIMEOUT,
        },
        {
            content: "Press Fetch exports now (Hent eksporter nu)",
            trigger: ".o_form_view button[name='action_fetch_exports']:contains('Hent eksporter nu')",
            run: "click",
            timeout: STEP_TIMEOUT,
        },
        {
            content: "The notification counts this press only",
            trigger: ".o_notification:contains('1 bogført, 0 mislykket; intet andet venter i Pleo')",
            timeout: STEP_TIMEOUT,
        },
    ],
});
