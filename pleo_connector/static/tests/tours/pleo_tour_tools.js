/* Copyright 2026 The pleo_connector authors
 * License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl). */

/**
 * What the export tours share (pleo_export_tour, pleo_mapping_tour): asking the Python test
 * for things (tests/tour_tools.py answers on `<body data-pleo-...>`), reading the screen,
 * screenshots and menus.
 */
import * as hoot from "@odoo/hoot-dom";

/** The machine running the tests is busy: every step may wait this long (ms). */
export const STEP_TIMEOUT = 30000;
export const MODAL = ".modal:not(.o_inactive_modal)";

/** Ask the Python test for something: it answers by setting `<body data-pleo-{what}>`. */
export function askTheTest(what, payload) {
    console.log(`pleo-test:${JSON.stringify({ what, ...payload })}`);
}

/** The first steps of a tour: ask the test for its data, and wait until it is there. */
export function askForTheData() {
    return [
        {
            content: "Ask the test for what to check",
            trigger: "body",
            run() {
                askTheTest("data", {});
            },
        },
        {
            content: "The data is there",
            trigger: "body[data-pleo-data='ready']",
        },
    ];
}

/** The data the test gave as `window[name]` (`test`: the test module that starts the tour). */
export function testData(name, test) {
    const data = window[name];
    if (!data) {
        throw new Error(
            `window.${name} is missing: start this tour from ${test} ` +
                "(a page reload during the tour would also lose it)."
        );
    }
    return data;
}

/** Open the company's Pleo connection (Configuration › Pleo Connections, the connected one). */
export function openTheConnection() {
    return [
        ...openMenu(
            "account.menu_finance",
            "account.menu_finance_configuration",
            "pleo_connector.pleo_connection_menu"
        ),
        {
            content: "Open the company's Pleo connection",
            trigger: ".o_list_view .o_data_row:contains(Connected) td.o_data_cell",
            run: "click",
        },
    ];
}

export function text(element) {
    return (element?.textContent || "").replace(/\s+/g, " ").trim();
}

/** The text of a field's label, without its help tooltip's "?". */
export function labelText(selector) {
    return text(document.querySelector(selector)).replace(/\?$/, "").trim();
}

export function cell(row, name) {
    return text(row.querySelector(`td[name='${name}']`));
}

export function expectEqual(what, actual, expected) {
    if (actual !== expected) {
        throw new Error(`${what}: '${actual}', expected '${expected}'`);
    }
}

/** Ask the Python test for a screenshot of the whole window, once nothing moves. */
export function screenshot(name, trigger = "body") {
    return [
        {
            content: `Take the screenshot "${name}"`,
            trigger,
            async run() {
                for (const button of document.querySelectorAll(".o_notification_close")) {
                    await hoot.click(button);
                }
                await hoot.animationFrame();
                askTheTest("screenshot", { name, clip: null });
            },
        },
        {
            content: `Wait until the screenshot "${name}" is saved`,
            trigger: `body[data-pleo-screenshot='${name}']`,
        },
    ];
}

/** Open the app `app` (its menu's xmlid) from the apps menu. */
export function openApp(app) {
    return [
        {
            content: "Open the apps menu",
            trigger: ".o_navbar_apps_menu button:enabled",
            run: "click",
        },
        {
            content: `Open the app ${app}`,
            trigger: `.o_app[data-menu-xmlid='${app}']`,
            run: "click",
        },
    ];
}

/** Open the app `app`, then the menu `menu` of its section `section` (xmlids). */
export function openMenu(app, section, menu) {
    return [
        ...openApp(app),
        {
            content: `Open the menu ${section}`,
            trigger: `.o_main_navbar [data-menu-xmlid='${section}']`,
            run: "click",
        },
        {
            content: `Open ${menu}`,
            trigger: `.dropdown-menu [data-menu-xmlid='${menu}']`,
            run: "click",
        },
    ];
}
