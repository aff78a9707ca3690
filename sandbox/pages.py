"""MyCodaBox's HTML pages: sign-in and "Manage your consent"; and the sandbox's mailbox.

Element ids and names are stable (``login``, ``password``, ``office_password``,
``accept_terms``, buttons ``decision`` = ``allow`` / ``deny``) because browser tours and
``testing.authorize_in_browser`` click and fill them. The mailbox (``/mailbox``) shows the
e-mails CodaBox sent, newest first: each an ``article.message`` with ``.to``, ``.subject``,
``.sent_at`` and ``.body``, the token in it a ``strong.token``.
"""

from html import escape

_CSS = """
body{margin:0;font-family:-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;
background:#f3f5f8;color:#1d2733}
header{background:#003b5c;color:#fff;padding:14px 32px;font-size:20px;font-weight:600}
header span{color:#7fd1c7}
main{max-width:460px;margin:48px auto;background:#fff;border-radius:8px;padding:32px;
box-shadow:0 2px 12px rgba(0,0,0,.08)}
h1{font-size:22px;margin:0 0 16px}
p{line-height:1.5}
label{display:block;margin:16px 0 6px;font-weight:600}
input[type=text],input[type=password]{width:100%;box-sizing:border-box;padding:10px;
border:1px solid #b8c2cc;border-radius:4px;font-size:15px}
.terms{display:flex;gap:8px;align-items:flex-start;margin-top:16px;font-weight:normal}
.buttons{display:flex;gap:12px;margin-top:24px}
button{padding:10px 22px;border-radius:4px;border:0;font-size:15px;cursor:pointer}
.primary{background:#00a19a;color:#fff}
.secondary{background:#e4e8ec;color:#1d2733}
.error{background:#fdecea;color:#8a1c12;padding:10px 12px;border-radius:4px}
.who{background:#f3f5f8;padding:12px;border-radius:4px}
footer{text-align:center;color:#7a8694;font-size:12px}
main.wide{max-width:720px}
.message{border:1px solid #e4e8ec;border-radius:6px;padding:16px;margin:16px 0}
.message dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 12px;margin:0 0 12px}
.message dt{font-weight:600;color:#4a5663}
.message dd{margin:0}
.message pre{white-space:pre-wrap;font-family:inherit;background:#f3f5f8;padding:12px;
border-radius:4px;margin:0}
.token{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:17px;color:#003b5c;
letter-spacing:1px}
.empty{color:#7a8694}
"""


def _layout(title, body, main_class=""):
    main = f'<main class="{main_class}">' if main_class else "<main>"
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><title>{escape(title)} - MyCodaBox</title>'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{_CSS}</style>'
        f"</head><body><header>My<span>CodaBox</span></header>{main}{body}</main>"
        "<footer>CodaBox sandbox - not the real service</footer></body></html>"
    )


def _error(error):
    return f'<p id="error" class="error">{escape(error)}</p>' if error else ""


def sign_in_page(request_id, office_name, error=None):
    return _layout(
        "Sign in",
        f"""<h1>Sign in to MyCodaBox</h1>
<p>Sign in as a user of <strong>{escape(office_name)}</strong> to manage the consent
asked by your accounting software.</p>
{_error(error)}
<form id="sign_in_form" method="post" action="/connect/login">
<input type="hidden" name="request" value="{escape(request_id)}">
<label for="login">Login</label>
<input type="text" id="login" name="login" autocomplete="username" required>
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required>
<div class="buttons"><button type="submit" id="sign_in" class="primary">Sign in</button></div>
</form>""",
    )


def consent_page(request_id, office_name, company_name, consent_status, error=None):
    return _layout(
        "Manage your consent",
        f"""<h1>Manage your consent</h1>
<p>Your accounting software asks to receive, through CodaBox Connect, the documents
(CODA bank statements and their PDF) of the clients of your accounting office.</p>
<div class="who">
<div>Accounting office: <strong id="office_name">{escape(office_name)}</strong></div>
<div>First client company: <strong id="company_name">{escape(company_name)}</strong></div>
<div>Current consent: <strong id="consent_status">{escape(consent_status)}</strong></div></div>
{_error(error)}
<form id="consent_form" method="post" action="/connect/consent">
<input type="hidden" name="request" value="{escape(request_id)}">
<label for="office_password">Office password shown by your accounting software</label>
<input type="password" id="office_password" name="office_password" autocomplete="off" required>
<label class="terms" for="accept_terms"><input type="checkbox" id="accept_terms"
name="accept_terms" value="1" required> I accept the terms of use of CodaBox Connect.</label>
<div class="buttons">
<button type="submit" id="allow" name="decision" value="allow" class="primary">Allow</button>
<button type="submit" id="deny" name="decision" value="deny" class="secondary"
formnovalidate>Deny</button></div>
</form>""",
    )


def message_page(title, message):
    return _layout(
        title, f'<h1>{escape(title)}</h1><p id="error" class="error">{escape(message)}</p>'
    )


def mailbox_page(messages):
    """The e-mails CodaBox sent (``messages`` newest first), the token of each made visible."""
    items = []
    for number, message in enumerate(messages):
        body = escape(message["body"])
        token = escape(message.get("token") or "")
        if token:
            body = body.replace(token, f'<strong class="token">{token}</strong>')
        items.append(
            f"""<article class="message" id="message-{number}">
<dl><dt>To</dt><dd class="to">{escape(message["to"])}</dd>
<dt>Subject</dt><dd class="subject">{escape(message["subject"])}</dd>
<dt>Sent at</dt><dd class="sent_at">{escape(message["sent_at"])}</dd></dl>
<pre class="body">{body}</pre></article>"""
        )
    listing = "\n".join(items) or '<p class="empty">No e-mail yet.</p>'
    return _layout(
        "Mailbox",
        f"""<h1>Mailbox</h1>
<p>The e-mails CodaBox sent (tokens for invoicing software), newest first. The sandbox keeps
them here instead of sending them.</p>
{listing}""",
        "wide",
    )
