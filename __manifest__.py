{
    "name": "CodaBox Connect",
    "summary": "Belgian bank statements (CODA) straight from CodaBox, for accounting offices",
    "version": "18.0.1.0.0",
    "category": "Accounting/Localizations",
    "license": "LGPL-3",
    "author": "l10n_be_codabox_connect contributors",
    "website": "https://github.com/l10n-be-codabox-connect/l10n_be_codabox_connect",
    "maintainers": ["l10n-be-codabox-connect"],
    # Beta: CodaBox's Connect protocol is implemented from its public description and tested
    # against our sandbox, not yet against CodaBox's production service.
    "development_status": "Beta",
    # l10n_be: the companies CODA serves are Belgian, on its chart (be_comp) and its structured
    # communication (+++xxx/xxxx/xxxxx+++) on invoices; the tests need both in any database.
    "depends": ["account", "l10n_be", "account_edi_ubl_cii"],
    "external_dependencies": {"python": ["requests", "cryptography", "paramiko"]},
    "data": [
        "security/ir.model.access.csv",
        "security/codabox_security.xml",
        "data/ir_cron_data.xml",
        "views/codabox_document_views.xml",
        "views/account_bank_statement_views.xml",
        "views/codabox_connection_views.xml",
        "views/codabox_delivery_source_views.xml",
        "views/codabox_soda_mapping_views.xml",
        "views/codabox_sent_invoice_views.xml",
        "views/account_move_views.xml",
        "views/codabox_templates.xml",
        "views/res_config_settings_views.xml",
        "wizard/codabox_connection_wizard_views.xml",
        "wizard/codabox_invoicing_software_wizard_views.xml",
        "views/account_journal_views.xml",
        "wizard/coda_import_wizard_views.xml",
    ],
    "assets": {
        "web.assets_backend": ["l10n_be_codabox_connect/static/src/**/*"],
        "web.assets_tests": ["l10n_be_codabox_connect/static/tests/tours/*.js"],
    },
    "images": ["static/description/settings.png"],
    "installable": True,
    "application": False,
}
