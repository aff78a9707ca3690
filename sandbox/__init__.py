"""A CodaBox sandbox: MyCodaBox consent pages and the API v2 over real HTTP on 127.0.0.1.

Standard library only, so that it runs without Odoo (``python -m sandbox``) and inside Odoo's
tests (``odoo.addons.l10n_be_codabox_connect.sandbox.testing``). It implements the protocol
of docs/protocol.md (Connect, as notes.md's "Our protocol", and the invoicing-software part):
see server.py for the routes and the admin endpoint, state.py for the rules, faults.py for the
fault injection, pages.py for MyCodaBox's pages and the mailbox.
"""
