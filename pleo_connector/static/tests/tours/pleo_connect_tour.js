/* Copyright 2026 The pleo_connector authors
 * License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl). */

/**
 * The accountant's connect screen in a real browser (run by tests/test_tour.py with the
 * Pleo sandbox): connect with a valid key, check that the page keeps no trace of it, rotate
 * the key (a key of another Pleo company is refused first), disconnect, and see a bad key
 * refused with an actionable message.
 *
 * The tour talks to the Python test through the browser console: a step logs
 * `pleo-test:{"what": ...}`, the test does it and answers by marking `<body data-pleo-...>`,
 * which the next step waits for:
 *  - "keys": the test sets the keys in `window.pleoConnectTour` (with DevTools'
 *    `Runtime.evaluate`), so that they never appear in this file, in a URL, in the database,
 *    in a step's description or in the test's logs. The steps read them only when they run.
 *  - "screenshot": the test captures the page (clipped to `clip`) into tests/artifacts/.
 */
import * as hoot from "@odoo/hoot-dom";
import { registry } from "@web/core/registry";

const BLOCK = ".o_setting_box#pleo_connection";
const KEY_INPUT = `${BLOCK} .o_field_widget[name='pleo_api_key'] input`;
const MODAL = ".modal:not(.o_inactive_modal)";

function queryHint() {
    return document.querySelector(`${BLOCK} .o_field_widget[name='pleo_key_hint']`);
}

function tourData() {
    const data = window.pleoConnectTour;
    if (!data || !data.validKey) {
        throw new Error(
            "window.pleoConnectTour is missing: start this tour from tests/test_tour.py " +
                "(a page reload during the tour would also lose it)."
        );
    }
    return data;
}

/**
 * Where in the page a key could linger: the markup, the values of inputs (not part of
 * the markup), and the browser storages. Returns the places holding `key`.
 */
function keyTraces(key) {
    const places = [];
    if (document.documentElement.outerHTML.includes(key)) {
        places.push("document markup");
    }
    for (const input of document.querySelectorAll("input, textarea")) {
        if ((input.value || "").includes(key)) {
            places.push(`value of <${input.tagName.toLowerCase()} name=${input.name || input.id}>`);
        }
    }
    for (const [name, storage] of [
        ["localStorage", window.localStorage],
        ["sessionStorage", window.sessionStorage],
    ]) {
        for (let i = 0; i < storage.length; i++) {
            const storageKey = storage.key(i);
            if (`${storageKey}=${storage.getItem(storageKey)}`.includes(key)) {
                places.push(`${name}[${storageKey}]`);
            }
        }
    }
    return places;
}

function assertNoKeyTrace(...names) {
    const data = tourData();
    for (const name of names) {
        const places = keyTraces(data[name]);
        if (places.length) {
            throw new Error(`The ${name} is still in the page: ${places.join(", ")}`);
        }
    }
}

/**
 * Paste `text` into `input` as a person does with Ctrl+V: a `paste` event carrying the text,
 * then the browser's own insertion (`input` event of type insertFromPaste) and `change`.
 * The system clipboard is not used (headless browsers refuse it).
 */
async function paste(input, text) {
    await hoot.click(input);
    await hoot.clear();
    const clipboardData = new DataTransfer();
    clipboardData.setData("text/plain", text);
    const event = new ClipboardEvent("paste", { clipboardData, bubbles: true, cancelable: true });
    if (input.dispatchEvent(event)) {
        input.value = text;
        input.dispatchEvent(
            new InputEvent("input", { inputType: "insertFromPaste", data: text, bubbles: true })
        );
    }
    input.dispatchEvent(new Event("change", { bubbles: true }));
    await hoot.animationFrame();
    if (input.value !== text) {
        throw new Error("The key could not be pasted in the field");
    }
}

/** Ask the Python test for something: it answers by setting `<body data-pleo-{what}>`. */
function askTheTest(what, payload) {
    console.log(`pleo-test:${JSON.stringify({ what, ...payload })}`);
}

/**
 * The part of the viewport showing `element` and the title of its settings block, with a
 * margin; null for the whole viewport.
 */
function clipAround(element) {
    if (!element) {
        return null;
    }
    element.scrollIntoView({ block: "nearest" });
    const rects = [element.getBoundingClientRect()];
    const title = element.closest(".o_settings_container")?.previousElementSibling;
    if (title && /^H[23]$/.test(title.tagName)) {
        rects.push(title.getBoundingClientRect());
    }
    const margin = 12;
    // As wide as the element (the title bar spans the page), as high as both.
    const box = rects[0];
    const left = Math.max(0, Math.min(...rects.map((r) => r.left)) - margin);
    const top = Math.max(0, Math.min(...rects.map((r) => r.top)) - margin);
    const right = Math.min(window.innerWidth, box.right + margin);
    const bottom = Math.min(window.innerHeight, Math.max(...rects.map((r) => r.bottom)) + margin);
    return { x: left, y: top, width: right - left, height: bottom - top };
}

/** Ask the Python test for a screenshot of `selector` (null: the whole window). */
function screenshot(name, selector) {
    return [
        {
            content: `Take the screenshot "${name}"`,
            trigger: selector || "body",
            async run() {
                const clip = clipAround(selector && this.anchor);
                await hoot.animationFrame();
                askTheTest("screenshot", { name, clip });
            },
        },
        {
            content: `Wait until the screenshot "${name}" is saved`,
            trigger: `body[data-pleo-screenshot='${name}']`,
        },
    ];
}

/**
 * After an action the person is still at the Pleo block: its badge is inside the window (the
 * form reloaded its record in place instead of reloading the page at the top of the settings).
 */
function stillAtThePleoBlock(after) {
    return {
        content: `After ${after}, the Pleo block is still in view`,
        trigger: `${BLOCK} .badge`,
        run() {
            const box = this.anchor.getBoundingClientRect();
            if (box.bottom <= 0 || box.top >= window.innerHeight) {
                throw new Error(
                    `After ${after} the Pleo block is out of view (its badge is at ` +
                        `${Math.round(box.top)} px in a ${window.innerHeight} px window)`
                );
            }
        },
    };
}

/**
 * Click the Invoicing/Accounting app of the settings, once the web client has settled on the
 * settings' URL: the tab is kept in the URL's hash (`#account`), which is what brings the
 * person back to the Pleo block after the reload that follows Save & Test or Rotate Key.
 */
function openAccountingSettings() {
    return [
        {
            content: "Open the Invoicing/Accounting settings",
            trigger: ".settings_tab .tab[data-key='account']",
            async run({ click, waitUntil }) {
                await waitUntil(() => /^\/odoo\/settings\/?$/.test(window.location.pathname));
                await click();
            },
        },
        {
            content: "The settings' URL remembers the app",
            trigger: `.settings_tab .tab.selected[data-key='account']`,
            async run({ waitUntil }) {
                await waitUntil(() => window.location.hash === "#account", { timeout: 3000 });
            },
        },
    ];
}

function closeErrorDialog(text) {
    return [
        {
            content: `The error says: ${text}`,
            trigger: `${MODAL} .o_error_dialog:contains(${text})`,
        },
        {
            content: "Close the error",
            trigger: `${MODAL} .o_error_dialog .modal-footer .btn-primary`,
            run: "click",
        },
    ];
}

registry.category("web_tour.tours").add("pleo_connect_tour", {
    steps: () => [
        {
            content: "Ask the test for the keys to paste",
            trigger: "body",
            run() {
                askTheTest("keys", {});
            },
        },
        {
            content: "The keys are there",
            trigger: "body[data-pleo-keys='ready']",
        },
        // ------------------------------------------------------------ find the connect screen
        ...openAccountingSettings(),
        {
            content: "The Pleo block says what to do and that nothing is connected",
            trigger: `${BLOCK}:contains(Settings › Accounting) .badge:contains(Not connected)`,
        },
        ...screenshot("settings_not_connected", BLOCK),
        {
            content: "Neither Rotate Key nor Disconnect make sense yet",
            trigger: `${BLOCK}:not(:has(button[name='action_pleo_rotate_key'])):not(:has(button[name='action_pleo_disconnect']))`,
        },
        // ------------------------------------------------------------ connect
        {
            content: "Paste the key Pleo showed",
            trigger: KEY_INPUT,
            async run() {
                const input = this.anchor;
                if (input.type !== "password") {
                    throw new Error(`The key field is a ${input.type} field, not a password field`);
                }
                await paste(input, tourData().validKey);
                // The check below must be able to fail: while typed, the key is in the page.
                if (!keyTraces(tourData().validKey).length) {
                    throw new Error("keyTraces() does not see a key that is in an input");
                }
            },
        },
        {
            content: "Save & Test",
            trigger: `${BLOCK} button[name='action_pleo_save_and_test']`,
            run: "click",
        },
        {
            content: "Odoo confirms the connection",
            trigger: ".o_notification:contains(Connected to Pleo)",
        },
        {
            content: "The badge names the Pleo company",
            trigger: `${BLOCK} .badge.text-bg-success:contains(Connected to)`,
            run() {
                const expected = `Connected to "${tourData().pleoCompany}"`;
                const text = this.anchor.textContent.replace(/\s+/g, " ").trim();
                if (text !== expected) {
                    throw new Error(`The badge says '${text}', expected '${expected}'`);
                }
            },
        },
        {
            content: "The key field is gone; Rotate Key and Disconnect are offered",
            trigger: `${BLOCK}:not(:has(.o_field_widget[name='pleo_api_key'])) button[name='action_pleo_disconnect']`,
        },
        {
            content: "After saving, the page holds no trace of the key",
            trigger: `${BLOCK} .o_field_widget[name='pleo_key_hint']`,
            run() {
                assertNoKeyTrace("validKey");
                const hint = this.anchor.textContent.trim();
                if (!hint.endsWith(tourData().validKey.slice(-4))) {
                    throw new Error(`The key hint '${hint}' does not end with the key's last 4`);
                }
            },
        },
        {
            content: "Wait until the buttons are enabled again (the reload after Save & Test)",
            trigger: `${BLOCK}:not(:has(button:disabled)) button[name='action_pleo_rotate_key']`,
        },
        stillAtThePleoBlock("Save & Test"),
        ...screenshot("settings_connected", BLOCK),
        // ------------------------------------------------------------ all companies
        {
            content: "Open the list of all companies' connections",
            trigger: `${BLOCK} button[name='action_pleo_open_connections']`,
            run: "click",
        },
        {
            content: "One row per company, with its state",
            trigger: ".o_list_view .o_data_row:contains(Broken) .badge",
        },
        {
            content: "This company is connected, to its Pleo company",
            trigger: ".o_list_view .o_data_row:contains(Nordlys DK)",
            run() {
                const text = this.anchor.textContent;
                if (!text.includes("Connected") || !text.includes(tourData().pleoCompany)) {
                    throw new Error(`The row of this company reads: ${text}`);
                }
                assertNoKeyTrace("validKey");
            },
        },
        {
            content: "Close the notifications, so that the screenshot shows the list",
            trigger: "body",
            async run() {
                for (const button of document.querySelectorAll(".o_notification_close")) {
                    await hoot.click(button);
                }
            },
        },
        {
            content: "No notification left",
            trigger: "body:not(:has(.o_notification))",
        },
        ...screenshot("connections_list", null),
        {
            content: "Back to the settings",
            trigger: ".o_breadcrumb .o_back_button a, .o_breadcrumb li:first-child a",
            run: "click",
        },
        ...openAccountingSettings(),
        // ------------------------------------------------------------ rotate
        {
            content: "Rotate Key",
            trigger: `${BLOCK} button[name='action_pleo_rotate_key']`,
            run: "click",
        },
        ...screenshot("rotate_wizard", `${MODAL} .modal-content`),
        {
            content: "Paste a key of another Pleo company",
            trigger: `${MODAL} .o_field_widget[name='new_api_key'] input`,
            async run() {
                await paste(this.anchor, tourData().otherCompanyKey);
            },
        },
        {
            content: "Rotate Key",
            trigger: `${MODAL} button[name='action_rotate']`,
            run: "click",
        },
        ...closeErrorDialog("This key belongs to Pleo company"),
        {
            content: "Paste the new key of the same Pleo company",
            trigger: `${MODAL} .o_field_widget[name='new_api_key'] input`,
            async run() {
                await paste(this.anchor, tourData().rotatedKey);
            },
        },
        {
            content: "Rotate Key",
            trigger: `${MODAL} button[name='action_rotate']`,
            run: "click",
        },
        {
            content: "Odoo confirms the rotation",
            trigger: ".o_notification:contains(Pleo API key rotated)",
        },
        {
            content: "The wizard is closed and the block shows the new key's hint",
            trigger: `body:not(:has(.modal)) ${BLOCK} .o_field_widget[name='pleo_key_hint']`,
            async run() {
                const last4 = tourData().rotatedKey.slice(-4);
                const hint = () => (queryHint()?.textContent || "").trim();
                await hoot
                    .waitUntil(() => hint().endsWith(last4), { timeout: 5000 })
                    .catch(() => {
                        throw new Error(`The key hint '${hint()}' is not the new key's`);
                    });
                assertNoKeyTrace("validKey", "otherCompanyKey", "rotatedKey");
            },
        },
        {
            content: "Still connected to the same Pleo company",
            trigger: `${BLOCK} .badge.text-bg-success:contains(Connected to)`,
        },
        stillAtThePleoBlock("Rotate Key"),
        // ------------------------------------------------------------ disconnect
        {
            content: "Disconnect",
            trigger: `${BLOCK} button[name='action_pleo_disconnect']`,
            run: "click",
        },
        {
            content: "Confirm",
            trigger: `${MODAL} .modal-footer .btn-primary`,
            run: "click",
        },
        {
            content: "Odoo confirms the disconnection",
            trigger: ".o_notification:contains(Disconnected from Pleo)",
        },
        {
            content: "The block is back to Not connected, with the key field",
            trigger: `${BLOCK} .badge:contains(Not connected)`,
        },
        stillAtThePleoBlock("Disconnect"),
        // ------------------------------------------------------------ a bad key
        {
            content: "Paste a key Pleo does not know",
            trigger: KEY_INPUT,
            async run() {
                await paste(this.anchor, tourData().badKey);
            },
        },
        {
            content: "Save & Test",
            trigger: `${BLOCK} button[name='action_pleo_save_and_test']`,
            run: "click",
        },
        {
            content: "The error says what to do",
            trigger: `${MODAL} .o_error_dialog:contains(Pleo rejected the API key)`,
        },
        ...screenshot("settings_refused_key", null),
        ...closeErrorDialog("Pleo rejected the API key"),
        {
            content: "Nothing was connected",
            trigger: `${BLOCK} .badge:contains(Not connected)`,
        },
        {
            content: "Discard the refused key",
            trigger: ".o_control_panel .o_form_button_cancel",
            run: "click",
        },
        {
            content: "The refused key is gone from the page too",
            trigger: `.o_form_view ${BLOCK} .badge:contains(Not connected)`,
            async run() {
                const value = () => document.querySelector(KEY_INPUT)?.value;
                await hoot.waitUntil(() => value() === "", { timeout: 5000 }).catch(() => {
                    throw new Error("The key field still holds the key after Discard");
                });
                assertNoKeyTrace("validKey", "otherCompanyKey", "rotatedKey", "badKey");
            },
        },
    ],
});
