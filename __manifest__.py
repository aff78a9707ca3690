{
    "name": "CodaBox Connect",
    "summary": "Belgian bank statements (CODA) straight from CodaBox, for accounting offices",
    "version": "18.0.1.0.0",
    "category": "Accounting/Localizations",
    "license": "LGPL-3",
    "author": "l10n_be_codabox_connect contributors",
    "website": "https://github.com/l10n-be-codabox-connect/l10n_be_codabox_connect",
    "depends": ["account"],
    "external_dependencies": {"python": ["requests"]},
    "data": [
        "security/ir.model.access.csv",
        "views/account_bank_statement_views.xml",
        "views/account_journal_views.xml",
        "wizard/coda_import_wizard_views.xml",
    ],
    "installable": True,
    "application": False,
}
