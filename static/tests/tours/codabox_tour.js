/** @odoo-module */
/* The click path of an accountant, in three legs: the MyCodaBox consent between the first and
 * the second happens on CodaBox's own pages, which the Python test drives in the same browser. */

import { registry } from "@web/core/registry";

const tours = registry.category("web_tour.tours");

tours.add("codabox_create_connection", {
    steps: () => [
        {
            content: "The CodaBox block, far down the Accounting settings opened at their top",
            trigger: "#codabox_connection:contains(Not connected)",
            run() {
                if (this.anchor.getBoundingClientRect().top < window.innerHeight) {
                    throw new Error("The CodaBox setting is on screen without its anchor");
                }
            },
        },
        {
            content: "Manage Connection",
            trigger: "button[name=action_codabox_manage_connection]",
            run: "click",
        },
        {
            content: "The dialog explains the two steps, and shows no password yet",
            trigger: ".modal .o_codabox_start:contains(Continue to MyCodaBox)",
            run() {
                if (document.querySelector(".modal [name=new_password]:not(.o_invisible_modifier) span")?.innerText.includes("-")) {
                    throw new Error("A password is shown before Create connection");
                }
            },
        },
        {
            content: "The office is unknown here: connecting with its password is offered too",
            trigger: ".modal button[name=action_use_office_password]",
        },
        {
            content: "Create connection",
            trigger: ".modal button[name=action_create_connection]",
            run: "click",
        },
        {
            content: "The office password is shown, once",
            trigger: ".modal [name=new_password]:contains(-)",
        },
        {
            content: "Copy it (the Python test then confirms it is saved and goes on to "
                + "MyCodaBox: a tour may not end on a form with unsaved changes)",
            trigger: ".modal [name=new_password] .o_clipboard_button",
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
            content: "The office password input has its box before it is clicked",
            trigger: ".modal [name=office_password] input",
            run() {
                const style = getComputedStyle(this.anchor);
                const color = style.borderBottomColor;
                if (!parseFloat(style.borderBottomWidth) || color === "transparent" || /rgba\(.*, 0\)$/.test(color)) {
                    throw new Error(`The input has no visible border: ${style.borderBottomWidth} ${color}`);
                }
            },
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
            content: "The savings account's statement failed: no bank journal has its account",
            trigger: ".o_notification:contains(failed):contains(no bank journal)",
        },
        {
            content: "The statements of the KBC journal, from the card",
            trigger: ".o_kanban_record:contains(KBC Client B) .o_codabox_statements a",
            run: "click",
        },
        {
            content: "Open the new statement",
            trigger: ".o_list_view .o_data_row:first .o_data_cell[name=name]",
            run: "click",
        },
        {
            content: "A line whose structured communication an invoice has: the invoice's partner",
            trigger:
                ".o_field_widget[name=line_ids] .o_data_row:contains(Pharmacie Lefèvre SA - +++283/7193/78545+++)" +
                " .o_data_cell[name=partner_id]:contains(Customer of B)",
        },
        {
            content: "A line whose counterparty's account a partner has: that partner",
            trigger:
                ".o_field_widget[name=line_ids] .o_data_row:contains(Marc Maes - Invoice 2026/4578)" +
                " .o_data_cell[name=partner_id]:contains(Maes Consulting)",
        },
        {
            content: "A line whose counterparty's name a partner has, its legal form aside: that partner",
            trigger:
                ".o_field_widget[name=line_ids] .o_data_row:contains(Schrijnwerkerij Claes SRL - Invoice 2026/9868)" +
                " .o_data_cell[name=partner_id]:contains(Schrijnwerkerij Claes)",
        },
        {
            content: "Its PDF",
            trigger: ".o_form_view a.nav-link:contains(PDF)",
            run: "click",
        },
        {
            content: "The statement's PDF is in Odoo's viewer",
            trigger: ".o_field_pdf_viewer iframe.o_pdfview_iframe",
            async run() {
                const src = new URL(this.anchor.src, location.href);
                if (!src.pathname.endsWith("/pdfjs/web/viewer.html")) {
                    throw new Error(`Not Odoo's PDF viewer: ${src}`);
                }
                const response = await fetch(src.searchParams.get("file"));
                const type = response.headers.get("Content-Type") || "";
                const head = new TextDecoder().decode((await response.arrayBuffer()).slice(0, 5));
                if (!response.ok || !type.includes("pdf") || head !== "%PDF-") {
                    throw new Error(`The viewer gets no PDF: ${response.status} ${type} ${head}`);
                }
            },
        },
        {
            content: "The viewer is loaded",
            trigger: ".o_field_pdf_viewer iframe.o_pdfview_iframe:iframe #viewerContainer",
        },
    ],
});

/* Invoicing > Accounting > CodaBox Documents: the statement that failed for want of a bank
 * journal; "Create journal", saved in its dialog, then "Retry import" on the document. */
tours.add("codabox_failed_document", {
    steps: () => [
        {
            content: "Accounting",
            trigger: ".o_main_navbar button.dropdown-toggle:contains(Accounting)",
            run: "click",
        },
        {
            content: "CodaBox Documents",
            trigger: ".o-dropdown--menu .dropdown-item:contains(CodaBox Documents)",
            run: "click",
        },
        {
            content: "The failed document",
            trigger: ".o_list_view .o_data_row:contains(Failed):contains(BE35) .o_data_cell[name=account_number]",
            run: "click",
        },
        {
            content: "It says why, and offers to create the journal",
            trigger: ".o_form_view .alert:contains(no bank journal)",
        },
        {
            content: "Create journal",
            trigger: ".o_form_view .o_statusbar_buttons button.btn-primary[name=action_create_journal]",
            run: "click",
        },
        {
            content: "The journal, prefilled with the account, in a dialog",
            trigger: ".modal [name=bank_acc_number] input:value(BE35)",
        },
        {
            content: "Its short code",
            trigger: ".modal [name=code] input",
            run: "edit SAVB",
        },
        {
            content: "Save",
            trigger: ".modal .o_codabox_journal_save",
            run: "click",
        },
        {
            content: "Back on the document: Retry import is the next step, Create journal is gone",
            trigger:
                "body:not(:has(.modal)) .o_form_view .o_statusbar_buttons:not(:has([name=action_create_journal]))" +
                " button.btn-primary[name=action_retry]",
            run: "click",
        },
        {
            content: "Imported",
            trigger: ".o_form_view .o_statusbar_status .o_arrow_button_current:contains(Imported)",
        },
        {
            content: "Its statement",
            trigger: ".o_form_view button[name=action_open_statements]:contains(1)",
            run: "click",
        },
        {
            content: "The statement, in the new journal",
            trigger: ".o_list_view .o_data_row:contains(SAVB), .o_list_view .o_data_row:contains(BE35)",
        },
    ],
});

/* Invoicing > Accounting > Import CODA, a file for an account without a journal: "Create
 * Journal", saved in its dialog, and the file goes in without being uploaded again. The file
 * is put in localStorage by the Python test (codabox_tour_coda: name and base64). */
tours.add("codabox_import_create_journal", {
    steps: () => [
        {
            content: "Accounting",
            trigger: ".o_main_navbar button.dropdown-toggle:contains(Accounting)",
            run: "click",
        },
        {
            content: "Import CODA",
            trigger: ".o-dropdown--menu .dropdown-item:contains(Import CODA)",
            run: "click",
        },
        {
            content: "Add the CODA file",
            trigger: ".modal .o_field_many2many_binary input[type=file]:not(:visible)",
            async run() {
                const { name, data } = JSON.parse(localStorage.getItem("codabox_tour_coda"));
                const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
                const transfer = new DataTransfer();
                transfer.items.add(new File([bytes], name, { type: "application/octet-stream" }));
                this.anchor.files = transfer.files;
                this.anchor.dispatchEvent(new Event("change", { bubbles: true }));
            },
        },
        {
            content: "The file is uploaded",
            trigger: ".modal .o_field_many2many_binary .o_attachment:contains(.cod)",
        },
        {
            content: "Import",
            trigger: ".modal button[name=action_import]",
            run: "click",
        },
        {
            content: "Refused: the account has no journal; create it",
            trigger: ".modal .o_data_row:contains(Refused) button[name=action_create_journal]",
            run: "click",
        },
        {
            content: "The journal, prefilled, in a dialog",
            trigger: ".modal [name=bank_acc_number] input:value(BE62)",
        },
        {
            content: "Its short code",
            trigger: ".modal [name=code] input",
            run: "edit BNKT",
        },
        {
            content: "Save and import",
            trigger: ".modal button[name=action_codabox_import_again]",
            run: "click",
        },
        {
            content: "Back to the same import: the file is imported, not asked for again",
            trigger: ".modal .o_data_row:contains(Imported):contains(imported in)",
        },
        {
            content: "Its statements",
            trigger: ".modal button[name=action_open_statements]",
            run: "click",
        },
        {
            content: "The statement of the new journal",
            trigger: ".o_list_view .o_data_row .o_data_cell:contains(BNKT), .o_list_view .o_data_row:contains(BE62)",
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
