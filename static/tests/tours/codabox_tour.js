/** @odoo-module */
/* The click path of an accountant, in three legs: the MyCodaBox consent between the first and
 * the second happens on CodaBox's own pages, which the Python test drives in the same browser. */

import { registry } from "@web/core/registry";

const tours = registry.category("web_tour.tours");

tours.add("codabox_create_connection", {
    steps: () => [
        {
            content: "The CodaBox block of the Accounting settings",
            trigger: "#codabox_connection:contains(Not connected)",
        },
        {
            content: "Manage Connection",
            trigger: "button[name=action_codabox_manage_connection]",
            run: "click",
        },
        {
            content: "The office password is shown, once",
            trigger: ".modal [name=new_password]:contains(-)",
        },
        {
            content: "Copy it",
            trigger: ".modal [name=new_password] .o_clipboard_button",
            run: "click",
        },
        {
            content: "Confirm it is saved",
            trigger: ".modal [name=password_saved] input",
            run: "click",
        },
        {
            content: "Off to MyCodaBox",
            trigger: ".modal [name=password_saved] input:checked",
        },
        {
            content: "Continue to MyCodaBox",
            trigger: ".modal button[name=action_go_to_mycodabox]",
            run: "click",
        },
    ],
});

tours.add("codabox_connect_second_company", {
    steps: () => [
        {
            content: "The second company is not connected yet",
            trigger: "#codabox_connection:contains(Not connected)",
        },
        {
            content: "Manage Connection",
            trigger: "button[name=action_codabox_manage_connection]",
            run: "click",
        },
        {
            content: "Paste the office password, still in the clipboard",
            trigger: ".modal [name=office_password] input",
            async run(actions) {
                actions.edit(await navigator.clipboard.readText());
            },
        },
        {
            content: "Connect",
            trigger: ".modal button[name=action_connect]",
            run: "click",
        },
        {
            content: "Connected without a new consent",
            trigger: ".o_notification:contains(is connected to CodaBox)",
        },
        {
            content: "The settings show it",
            trigger: "#codabox_connection:contains(Allowed)",
        },
    ],
});

tours.add("codabox_retrieve", {
    steps: () => [
        {
            content: "Retrieve from CodaBox on the bank journal card",
            trigger: ".o_kanban_record:contains(KBC Client B) .o_codabox_retrieve",
            run: "click",
        },
        {
            content: "The statements are imported, and pay an invoice",
            trigger: ".o_notification:contains(statement(s) imported into):contains(reconciled with)",
        },
        {
            content: "The statements of the KBC journal",
            trigger: ".o_kanban_record:contains(KBC Client B) .o_dropdown_kanban .dropdown-toggle:not(:visible)",
            run: "click",
        },
        {
            content: "Statements",
            trigger: ".dropdown-menu a:contains(Statements)",
            run: "click",
        },
        {
            content: "Open the new statement",
            trigger: ".o_list_view .o_data_row:first .o_data_cell[name=name]",
            run: "click",
        },
        {
            content: "Its documents",
            trigger: ".o_form_view a.nav-link:contains(Documents)",
            run: "click",
        },
        {
            content: "The statement's PDF is attached and opens",
            trigger: ".o_field_many2many_binary .o_attachment:contains(.pdf)",
            async run() {
                const link = this.anchor.querySelector("a[href*='/web/content']");
                const response = await fetch(link.href);
                const type = response.headers.get("Content-Type") || "";
                if (!response.ok || !type.includes("pdf")) {
                    throw new Error(`The PDF does not open: ${response.status} ${type}`);
                }
            },
        },
    ],
});

tours.add("codabox_invoice_paid", {
    steps: () => [
        {
            content: "The invoice the statement paid shows it",
            trigger: ".o_form_view .ribbon:contains(Paid), .o_form_view .ribbon:contains(In Payment)",
        },
    ],
});
