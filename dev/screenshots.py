"""Takes the README's screenshots on the real screens of the demo, in headless Chromium.

    .venv/bin/python dev/screenshots.py [--out static/description] [--keep]

Runs ``make setup``, then ``dev/demo.sh`` on a throwaway database (SHOTS_DB, default
codabox_demo_shots) and its own ports (SHOTS_PORT 8269, SHOTS_SANDBOX_PORT 8270,
SHOTS_SFTP_PORT 8272), as dev/check_demo.sh does. Then, in Chromium driven over the DevTools
protocol:

1. log in as admin/admin;
2. the first client company asks for a connection (over JSON-RPC, as check_demo.sh does):
   the browser goes to MyCodaBox's link, signs in as the demo office's user, fills in
   "Manage your consent" (``consent.png``) and allows; MyCodaBox sends it back to Odoo;
3. the settings, scrolled to the CodaBox block of the connected company (``settings.png``);
4. "Retrieve from CodaBox" on the company's bank journal (JSON-RPC), then the imported
   statement with the most lines reconciled with demo invoices (``statement.png``), then an
   invoice it paid (``invoice_paid.png``);
5. the same statement screen in Dutch and in French (``statement_nl.png``,
   ``statement_fr.png``): the second and third client companies connected with the office
   password, the admin's language switched, their statements retrieved in that language (the
   notes the import writes are in the language of whoever imports);
6. the demo's CodaBox file delivery, "CodaBox SFTP (demo)", as the demo left it: collected
   from its SFTP server, its host key pinned, the client code no company has reported
   (``delivery_source.png``);
7. what CodaBox delivers besides CODA, from the same retrieval of the first client company:
   the draft payroll entry its SODA became, in the journal "Social documents"
   (``payroll_entry.png``), and a draft vendor bill made from a purchase invoice, its PDF in
   the side viewer (``vendor_bill.png``);
8. a missing statement: the client company whose statement of the third day CodaBox delivered
   before it was connected (``demo_data.GAP_CLIENT``), connected with the office password and
   retrieved, its bank journal's card on the dashboard naming the gap (``statement_gap.png``);
9. Odoo as a small business's invoicing software: the ledger *Customers > Sent to CodaBox* of
   the demo's company connected as its invoicing software, its invoices sent to CodaBox as the
   demo left them (``sent_invoices.png``).

``--only NAME ...`` takes only those shots (consent, settings, statement, invoice_paid,
statement_nl, statement_fr, delivery_source, statement_gap, payroll_entry, vendor_bill,
sent_invoices, icon) and what they need: the
others stay as they are.

It also draws the addon's icon (``icon.png``). Everything it started is stopped at the end and
the database dropped (``--keep`` keeps the database). Re-runnable: each run starts afresh.
"""

import argparse
import base64
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
import websocket
from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parent.parent
STATE = ROOT / ".odoo"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"
WIDTH, HEIGHT = 1280, 800
CONSENT_WIDTH = 900  # MyCodaBox's page is a narrow card: its header whole, little margin
# Odoo shows a bill's main attachment beside its form on extra-large screens only (>= 1400 px).
PREVIEW_WIDTH, PREVIEW_HEIGHT = 1600, 900
READY_LINE = "Ctrl-C stops Odoo, the sandbox"
SHOTS = (
    "icon",
    "consent",
    "settings",
    "statement",
    "invoice_paid",
    "statement_nl",
    "statement_fr",
    "delivery_source",
    "statement_gap",
    "payroll_entry",
    "vendor_bill",
    "sent_invoices",
)
MAX_BYTES = 200_000


def say(text):
    print(f"screenshots: {text}", flush=True)


class Failure(Exception):
    """Something the screenshots need did not happen: the message says what."""


# --- the demo --------------------------------------------------------------------------------


def port_taken(port):
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def pg_env():
    env = dict(os.environ)
    env.setdefault("PGHOST", "127.0.0.1")
    env.setdefault("PGPORT", "5432")
    env.setdefault("PGUSER", os.environ.get("USER") or subprocess.getoutput("id -un"))
    return env


class Demo:
    """``dev/demo.sh`` in its own process group, on the given database and ports."""

    def __init__(self, db, port, sandbox_port, sftp_port):
        self.db, self.port, self.sandbox_port, self.sftp_port = db, port, sandbox_port, sftp_port
        self.url = f"http://127.0.0.1:{port}"
        self.sandbox_url = f"http://127.0.0.1:{sandbox_port}"
        self.log = STATE / f"screenshots-{db}.log"
        self.seed = STATE / f"demo-sandbox-seed-{db}.json"
        self.process = None

    def files(self):
        return [
            self.seed,
            STATE / f"demo-sandbox-state-{self.db}.json",
            STATE / f"demo-sandbox-{self.db}.log",
            STATE / f"demo-sftp-{self.db}",
            STATE / f"demo-sftp-{self.db}.log",
            STATE / f"demo-sftp-host-key-{self.db}",
            STATE / "data" / "filestore" / self.db,
        ]

    def drop(self):
        subprocess.run(
            ["dropdb", "--if-exists", "--force", self.db],
            env=pg_env(),
            check=False,
            stderr=subprocess.DEVNULL,
        )
        for path in self.files():
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)

    def start(self, timeout):
        env = {
            **pg_env(),
            "DEMO_DB": self.db,
            "DEMO_PORT": str(self.port),
            "DEMO_SANDBOX_PORT": str(self.sandbox_port),
            "DEMO_SFTP_PORT": str(self.sftp_port),
        }
        say(
            f"make demo on database {self.db}, ports {self.port}, {self.sandbox_port} and "
            f"{self.sftp_port} (SFTP)"
        )
        say(f"(a new database takes a few minutes; log: {self.log})")
        with open(self.log, "wb") as log:
            # A process group of its own, SIGINT as in a terminal: stopped as Ctrl-C stops it.
            self.process = subprocess.Popen(
                ["bash", str(ROOT / "dev/demo.sh")],
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise Failure(f"make demo stopped (exit {self.process.returncode}):\n{self.tail()}")
            if READY_LINE in self.log.read_text(errors="replace"):
                try:
                    requests.get(f"{self.url}/web/login", timeout=10)
                    return
                except requests.RequestException:
                    pass
            time.sleep(2)
        raise Failure(f"Odoo did not answer on {self.url} within {timeout} s:\n{self.tail()}")

    def tail(self, lines=30):
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join("    | " + line for line in text.splitlines()[-lines:])

    def alive(self):
        """Whether a process of the group lives (the leader reaped first: a zombie counts)."""
        self.process.poll()
        try:
            os.killpg(self.process.pid, 0)
        except ProcessLookupError:
            return False
        return True

    def stop(self):
        """SIGINT to the group, as Ctrl-C; TERM then KILL for whatever is left."""
        if self.process is None:
            return
        for sig, seconds in ((signal.SIGINT, 60), (signal.SIGTERM, 20), (signal.SIGKILL, 5)):
            if not self.alive():
                break
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                break
            deadline = time.monotonic() + seconds
            while self.alive() and time.monotonic() < deadline:
                time.sleep(0.5)
        self.process.wait(timeout=10)
        self.process = None


# --- Odoo over JSON-RPC ----------------------------------------------------------------------


class Odoo:
    def __init__(self, url, db):
        self.url, self.db = url, db
        self.session = requests.Session()

    def rpc(self, path, params):
        answer = self.session.post(
            self.url + path,
            json={"jsonrpc": "2.0", "method": "call", "params": params},
            timeout=600,
        ).json()
        if "error" in answer:
            data = answer["error"].get("data") or {}
            raise Failure(data.get("message") or answer["error"].get("message"))
        return answer["result"]

    def login(self, login, password):
        params = {"db": self.db, "login": login, "password": password}
        self.uid = self.rpc("/web/session/authenticate", params).get("uid")
        if not self.uid:
            raise Failure(f"Odoo refused {login}/{password}")

    def call(self, model, method, *args, company=None, lang=None, **kwargs):
        context = {}
        if company:
            context["allowed_company_ids"] = [company]
        if lang:
            context["lang"] = lang
        if context:
            kwargs["context"] = context
        params = {"model": model, "method": method, "args": list(args), "kwargs": kwargs}
        return self.rpc("/web/dataset/call_kw", params)


# --- Chromium over the DevTools protocol -----------------------------------------------------


class Chromium:
    """One headless Chromium tab: navigate, run JavaScript, wait, take screenshots."""

    def __init__(self):
        self.profile = tempfile.mkdtemp(prefix="codabox-shots-chromium-")
        self.process = subprocess.Popen(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--disable-dev-shm-usage",
                "--disable-features=Translate",
                "--hide-scrollbars",
                "--force-device-scale-factor=1",
                f"--window-size={WIDTH},{HEIGHT}",
                f"--user-data-dir={self.profile}",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its helper processes with it, stopped together
        )
        port_file = Path(self.profile, "DevToolsActivePort")
        deadline = time.monotonic() + 30
        while not (port_file.exists() and port_file.stat().st_size > 4):
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.close()
                raise Failure(f"{CHROMIUM} did not start")
            time.sleep(0.2)
        port = int(port_file.read_text().split()[0])
        targets = requests.get(f"http://127.0.0.1:{port}/json/list", timeout=10).json()
        page = next(t for t in targets if t["type"] == "page")
        self.ws = websocket.create_connection(
            page["webSocketDebuggerUrl"], suppress_origin=True, timeout=120
        )
        self.ids = 0
        self.resize(WIDTH, HEIGHT)

    def resize(self, width, height):
        self.send(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )

    def send(self, method, **params):
        self.ids += 1
        self.ws.send(json.dumps({"id": self.ids, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.ids:
                if "error" in message:
                    raise Failure(f"{method}: {message['error'].get('message')}")
                return message.get("result", {})

    def evaluate(self, expression):
        result = self.send(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            raise Failure(details.get("exception", {}).get("description") or details["text"])
        return result["result"].get("value")

    def goto(self, url):
        self.send("Page.navigate", url=url)

    def wait(self, condition, what, timeout=120):
        """Until the JavaScript ``condition`` is true; a page still loading is waited for."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.evaluate(condition):
                    return
            except Failure:
                pass  # the page is being replaced
            time.sleep(0.3)
        where = self.evaluate("location.href + ' ' + document.body.innerText.slice(0, 800)")
        raise Failure(f"waited {timeout} s for {what}; the browser shows: {where}")

    def rect(self, selector):
        return self.evaluate(
            f"(() => {{ const r = document.querySelector({json.dumps(selector)})"
            ".getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })()"
        )

    def screenshot(self):
        data = self.send("Page.captureScreenshot", format="png", captureBeyondViewport=False)
        return Image.open(io.BytesIO(base64.b64decode(data["data"]))).convert("RGB")

    def close(self):
        """Chromium and its helper processes (its own process group), then its profile."""
        try:
            self.ws.close()
        except Exception:  # already gone
            pass
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                break
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                self.process.poll()  # reap the leader: a zombie still counts in its group
                try:
                    os.killpg(self.process.pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.2)
        self.process.wait()
        shutil.rmtree(self.profile, ignore_errors=True)


def save(image, path):
    """A palette PNG (256 colours, no dithering: flat UI colours stay flat), well under 200 KB."""
    image = image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    image.save(path, optimize=True)
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise Failure(f"{path} is {size} bytes, more than {MAX_BYTES}")
    say(f"wrote {path.relative_to(ROOT)} ({image.width}x{image.height}, {size // 1024} KB)")


# --- the screens -----------------------------------------------------------------------------


def log_in(browser, demo):
    browser.goto(f"{demo.url}/web/login")
    browser.wait("!!document.querySelector('form.oe_login_form #login')", "the login page")
    browser.evaluate(
        "(() => { const form = document.querySelector('form.oe_login_form');"
        " form.querySelector('#login').value = 'admin';"
        " form.querySelector('#password').value = 'admin'; form.submit(); })()"
    )
    browser.wait("!!document.querySelector('.o_main_navbar')", "Odoo's web client after login")
    say("logged in as admin/admin")


def consent(browser, odoo, demo, company, out):
    """Manage Connection > Create connection for ``company``, then MyCodaBox in the browser."""
    settings = odoo.call("res.config.settings", "create", {}, company=company["id"])
    action = odoo.call(
        "res.config.settings", "action_codabox_manage_connection", [settings], company=company["id"]
    )
    wizard = action["res_id"]
    odoo.call(
        "codabox.connection.wizard", "action_create_connection", [wizard], company=company["id"]
    )
    (values,) = odoo.call(
        "codabox.connection.wizard",
        "read",
        [wizard],
        ["step", "new_password"],
        company=company["id"],
    )
    if values["step"] != "create":
        raise Failure(f"{company['name']}: the connection wizard is at step {values['step']}")
    odoo.call(
        "codabox.connection.wizard",
        "write",
        [wizard],
        {"password_saved": True},
        company=company["id"],
    )
    url = odoo.call(
        "codabox.connection.wizard", "action_go_to_mycodabox", [wizard], company=company["id"]
    )["url"]

    seed = json.loads(demo.seed.read_text(encoding="utf-8"))
    user = seed["offices"][0]["users"][0]
    browser.goto(url)
    browser.wait("!!document.querySelector('#sign_in_form')", "MyCodaBox's sign-in page")
    browser.evaluate(
        f"(() => {{ document.querySelector('#login').value = {json.dumps(user['login'])};"
        f" document.querySelector('#password').value = {json.dumps(user['password'])};"
        " document.querySelector('#sign_in').click(); })()"
    )
    browser.wait("!!document.querySelector('#consent_form')", 'MyCodaBox\'s "Manage your consent"')
    browser.evaluate(
        f"(() => {{ document.querySelector('#office_password').value ="
        f" {json.dumps(values['new_password'])};"
        " document.querySelector('#accept_terms').checked = true; })()"
    )
    # MyCodaBox's page in a narrower window, from its header to its footer.
    browser.resize(CONSENT_WIDTH, HEIGHT)
    time.sleep(0.5)
    bottom = min(HEIGHT, int(browser.rect("footer")[3]) + 16)
    if out:
        save(browser.screenshot().crop((0, 0, CONSENT_WIDTH, bottom)), out / "consent.png")
    browser.resize(WIDTH, HEIGHT)

    browser.evaluate("document.querySelector('#allow').click()")
    browser.wait(
        "!!document.querySelector('.o_codabox_connect_result')", "Odoo's page after MyCodaBox"
    )
    if not browser.evaluate("!!document.querySelector('.o_codabox_connect_result .alert-success')"):
        message = browser.evaluate("document.querySelector('.alert').innerText")
        raise Failure(f"the connection failed: {message}")
    say(f"{company['name']} is connected (consent allowed in MyCodaBox)")
    return values["new_password"]


def connect_with_password(odoo, company, password):
    """Manage Connection in a further company of the office: the office password, Connect."""
    settings = odoo.call("res.config.settings", "create", {}, company=company["id"])
    action = odoo.call(
        "res.config.settings", "action_codabox_manage_connection", [settings], company=company["id"]
    )
    Wizard, wizard = "codabox.connection.wizard", action["res_id"]
    odoo.call(Wizard, "write", [wizard], {"office_password": password}, company=company["id"])
    odoo.call(Wizard, "action_connect", [wizard], company=company["id"])
    (values,) = odoo.call(Wizard, "read", [wizard], ["error_message"], company=company["id"])
    if values["error_message"]:
        raise Failure(f"{company['name']}: {values['error_message']}")
    say(f"{company['name']} is connected with the office password")


def settings(browser, demo, out):
    browser.goto(f"{demo.url}/odoo/action-account.action_account_config")
    browser.wait(
        "(document.querySelector('#codabox_connection') || {}).innerText?.includes('Allowed')",
        "the CodaBox block of the settings, connected",
    )
    # A block is rendered as its title and a container, without the block's id.
    container = "document.querySelector('#codabox_connection').closest('.o_settings_container')"
    browser.evaluate(f"{container}.previousElementSibling.scrollIntoView({{block: 'start'}})")
    time.sleep(1)  # the scroll, and the lazy parts of the page
    image = browser.screenshot()
    # The whole width of the settings, from the control panel down to the end of the block.
    bottom = min(HEIGHT, int(browser.evaluate(f"{container}.getBoundingClientRect().bottom")) + 24)
    save(image.crop((0, 0, WIDTH, max(bottom, 420))), out / "settings.png")


def retrieve(odoo, company, lang=None, failed_ok=False):
    """ "Retrieve from CodaBox" on the company's bank journal (in ``lang``: the notes the
    import writes on the lines are in the language of whoever imports)."""
    domain = [
        ("company_id", "=", company["id"]),
        ("type", "=", "bank"),
        ("bank_account_id", "!=", False),
    ]
    journals = odoo.call("account.journal", "search", domain, company=company["id"])
    if len(journals) != 1:
        raise Failure(f"{company['name']} has {len(journals)} bank journals with an account")
    notification = odoo.call(
        "account.journal", "action_codabox_retrieve", journals, company=company["id"], lang=lang
    )
    params = notification.get("params", {})
    if params.get("type") not in ("success", "warning" if failed_ok else "success"):
        raise Failure(f"Retrieve from CodaBox: {params.get('message')}")
    say(f"Retrieve from CodaBox: {params.get('message')}")


def best_statement(odoo, company):
    """The imported statement of ``company`` with the most lines reconciled with invoices, then
    the most lines with a partner."""
    lines = odoo.call(
        "account.bank.statement.line",
        "search_read",
        [("company_id", "=", company["id"])],
        fields=["statement_id", "is_reconciled", "partner_id"],
        company=company["id"],
    )
    score = {}
    for line in lines:
        key = line["statement_id"][0]
        score.setdefault(key, [0, 0])
        score[key][0] += line["is_reconciled"]
        score[key][1] += bool(line["partner_id"])
    if not score:
        raise Failure(f"{company['name']} has no statement")
    return max(sorted(score), key=lambda key: score[key])


def statement_form(browser, demo, company, statement_id, path, button_text="Reconcile"):
    """The statement's form, in the company's session, down to the end of its sheet; the
    form's button reads ``button_text`` (the page is in the expected language)."""
    # The record's company must be the browser's current one (the company switcher's cookie).
    browser.send("Network.setCookie", name="cids", value=str(company["id"]), url=demo.url)
    # From the dashboard ("accounting" is its path), as a user comes to it: the app's menus.
    browser.goto(
        f"{demo.url}/odoo/accounting/action-account.action_bank_statement_tree/{statement_id}"
    )
    browser.wait(
        "document.querySelectorAll('.o_form_view .o_field_widget[name=line_ids] .o_data_row')"
        ".length > 0 && document.querySelector("
        "'.o_form_view button[name=action_codabox_reconcile_invoices]').innerText"
        f".includes({json.dumps(button_text)})",
        f"the statement's form with its lines, its button reading {button_text!r}",
    )
    time.sleep(1)
    image = browser.screenshot()
    bottom = int(browser.rect(".o_form_view .o_form_sheet")[3]) + 16
    save(image.crop((0, 0, WIDTH, min(HEIGHT, max(bottom, 400)))), path)


def statement(browser, odoo, demo, company, out):
    """The retrieved statement with the most lines reconciled with demo invoices."""
    statement_form(browser, demo, company, best_statement(odoo, company), out / "statement.png")


# The languages of the README's shots besides English: the language, the file, the statement
# form's button as it reads in it (the page is in that language), the client company's index.
LANGUAGES = (
    ("nl_BE", "statement_nl.png", "Afpunten met facturen", 1),
    ("fr_BE", "statement_fr.png", "Rapprocher avec les factures", 2),
)


def statement_in_languages(browser, odoo, demo, companies, password, out, only=SHOTS):
    """The statement screen in Dutch and in French (those of ``only``): each in a further
    client company, connected with the office password and retrieved in that language."""
    try:
        for lang, filename, button_text, index in LANGUAGES:
            company = companies[index]
            connect_with_password(odoo, company, password)
            # The web client reads the admin's language at each page load.
            odoo.call("res.users", "write", [odoo.uid], {"lang": lang})
            # The demo's savings account without a journal fails: not a failure here.
            retrieve(odoo, company, lang=lang, failed_ok=True)
            if filename.removesuffix(".png") in only:
                statement_id = best_statement(odoo, company)
                statement_form(browser, demo, company, statement_id, out / filename, button_text)
    finally:
        odoo.call("res.users", "write", [odoo.uid], {"lang": "en_US"})


def paid_invoice(browser, odoo, demo, company, out):
    """An invoice the retrieved statement paid: its payment, on the bank line, in the form."""
    invoices = odoo.call(
        "account.move",
        "search_read",
        [
            ("company_id", "=", company["id"]),
            ("move_type", "=", "out_invoice"),
            ("payment_state", "in", ["paid", "in_payment"]),
        ],
        fields=["name"],
        order="id",
        company=company["id"],
    )
    if not invoices:
        raise Failure(f"no invoice of {company['name']} was paid by the statements")
    browser.goto(
        f"{demo.url}/odoo/accounting/action-account.action_move_out_invoice_type/"
        f"{invoices[0]['id']}"
    )
    browser.wait(
        "!!document.querySelector('.o_form_view .ribbon') && "
        "!!document.querySelector('.o_form_view [name=tax_totals]')",
        "the paid invoice's form",
    )
    time.sleep(1)
    image = browser.screenshot()
    bottom = int(browser.rect(".o_form_view .o_form_sheet")[3]) + 16
    save(image.crop((0, 0, WIDTH, min(HEIGHT, max(bottom, 400)))), out / "invoice_paid.png")


def payroll_entry(browser, odoo, demo, company, out):
    """The draft payroll entry the retrieval made from the company's SODA, with its lines."""
    moves = odoo.call(
        "account.move",
        "search_read",
        [("company_id", "=", company["id"]), ("codabox_soda_key", "!=", False)],
        fields=["state", "journal_id", "line_ids"],
        company=company["id"],
    )
    if len(moves) != 1 or moves[0]["state"] != "draft":
        raise Failure(f"{company['name']}: the retrieval made no one draft payroll entry: {moves}")
    (move,) = moves
    browser.send("Network.setCookie", name="cids", value=str(company["id"]), url=demo.url)
    browser.goto(f"{demo.url}/odoo/accounting/action-account.action_move_journal_line/{move['id']}")
    browser.wait(
        "document.querySelectorAll('.o_form_view .o_field_widget[name=line_ids] .o_data_row')"
        f".length >= {len(move['line_ids'])}",
        "the payroll entry's form with its lines",
    )
    # A taller window: the whole sheet, every line of the entry and its totals.
    tall = 1100
    browser.resize(WIDTH, tall)
    try:
        time.sleep(1)
        image = browser.screenshot()
        bottom = int(browser.rect(".o_form_view .o_form_sheet")[3]) + 8
    finally:
        browser.resize(WIDTH, HEIGHT)
    save(image.crop((0, 0, WIDTH, min(tall, max(bottom, 400)))), out / "payroll_entry.png")


def vendor_bill(browser, odoo, demo, company, out):
    """A draft vendor bill the retrieval made from a purchase invoice: Odoo's importer filled
    it from the XML, and its PDF, the main attachment, is shown beside the form."""
    bills = odoo.call(
        "account.move",
        "search_read",
        [
            ("company_id", "=", company["id"]),
            ("move_type", "=", "in_invoice"),
            ("state", "=", "draft"),
            ("message_main_attachment_id", "!=", False),
        ],
        fields=["partner_id", "ref"],
        order="id",
        company=company["id"],
    )
    if len(bills) != 2:
        raise Failure(f"{company['name']}: the retrieval made {len(bills)} draft bills, not two")
    bill = bills[0]
    browser.send("Network.setCookie", name="cids", value=str(company["id"]), url=demo.url)
    browser.resize(PREVIEW_WIDTH, PREVIEW_HEIGHT)
    try:
        browser.goto(
            f"{demo.url}/odoo/accounting/action-account.action_move_in_invoice_type/{bill['id']}"
        )
        browser.wait(
            "document.querySelectorAll('.o_form_view .o_field_widget[name=invoice_line_ids]"
            " .o_data_row').length > 0 && !!document.querySelector('.o_attachment_preview iframe')",
            "the bill's form with its lines and its PDF beside it",
        )
        time.sleep(4)  # pdf.js draws the PDF's page in the iframe
        image = browser.screenshot()
    finally:
        browser.resize(WIDTH, HEIGHT)
    save(image, out / "vendor_bill.png")


def delivery_source(browser, odoo, demo, out):
    """The demo's file delivery as the demo left it: collected at its start from its SFTP
    server (the host key pinned, the file of a client code no company has reported)."""
    sys.path.insert(0, str(ROOT))
    from dev.demo_data import SFTP_SOURCE, SME  # the demo's names

    sources = odoo.call(
        "codabox.delivery.source",
        "search_read",
        [("name", "=", SFTP_SOURCE)],
        fields=["host_key_fingerprint", "last_report"],
    )
    if not sources or not sources[0]["host_key_fingerprint"] or not sources[0]["last_report"]:
        raise Failure(f"{SFTP_SOURCE} was not collected at the demo's start: {sources}")
    companies = odoo.call(
        "res.company", "search", [("codabox_client_code", "=", SME["client_code"])]
    )
    browser.send("Network.setCookie", name="cids", value=str(companies[0]), url=demo.url)
    browser.goto(
        f"{demo.url}/odoo/accounting/action-l10n_be_codabox_connect."
        f"codabox_delivery_source_action/{sources[0]['id']}"
    )
    browser.wait(
        "(document.querySelector('.o_form_view [name=host_key_fingerprint]') || {})"
        ".innerText?.includes('SHA256') && !!document.querySelector("
        "'.o_form_view [name=company_ids] .o_data_row')",
        "the delivery's form, its host key pinned and its company listed",
    )
    # A taller window: the whole sheet, down to the tab of its companies and client codes.
    tall = 1200
    browser.resize(WIDTH, tall)
    try:
        time.sleep(1)
        image = browser.screenshot()
        # Just below the sheet: the chatter's buttons follow it closely.
        bottom = int(browser.rect(".o_form_view .o_form_sheet")[3]) + 8
    finally:
        browser.resize(WIDTH, HEIGHT)
    save(image.crop((0, 0, WIDTH, min(tall, max(bottom, 400)))), out / "delivery_source.png")


def statement_gap(browser, odoo, demo, companies, password, out):
    """The bank journal's card of the demo's client with a missing statement: its statement of
    the third day was delivered before the company was connected, so its first retrieval
    leaves a gap, named on the card."""
    sys.path.insert(0, str(ROOT))
    from dev.demo_data import CLIENTS, GAP_CLIENT  # the demo's names

    name = next(client["name"] for client in CLIENTS if client["code"] == GAP_CLIENT)
    company = next((c for c in companies if c["name"] == name), None)
    if not company:
        raise Failure(f"the demo has no company {name}")
    domain = [
        ("company_id", "=", company["id"]),
        ("type", "=", "bank"),
        ("bank_account_id", "!=", False),
    ]
    (journal,) = odoo.call(
        "account.journal",
        "search_read",
        domain,
        fields=["codabox_connected"],
        company=company["id"],
    )
    if not journal["codabox_connected"]:  # the Dutch shot connects it too
        connect_with_password(odoo, company, password)
    # The demo's savings account without a journal fails: not a failure here.
    retrieve(odoo, company, failed_ok=True)
    # The gap's words are written in the language of whoever imported (Dutch, when the Dutch
    # shot retrieved this company): the chain is checked again in English, by writing the
    # closing balance of the statement after the gap with its own value.
    statements = odoo.call(
        "account.bank.statement",
        "search_read",
        [("company_id", "=", company["id"]), ("codabox_after_gap", "=", True)],
        fields=["balance_end_real"],
        company=company["id"],
    )
    if len(statements) != 1:
        raise Failure(f"{name} has {len(statements)} statements after a gap, not one")
    (after,) = statements
    odoo.call(
        "account.bank.statement",
        "write",
        [after["id"]],
        {"balance_end_real": after["balance_end_real"]},
        company=company["id"],
        lang="en_US",
    )
    browser.send("Network.setCookie", name="cids", value=str(company["id"]), url=demo.url)
    browser.goto(f"{demo.url}/odoo/accounting")
    browser.wait(
        "(document.querySelector('.o_codabox_gaps') || {}).innerText?.includes('missing between')",
        "the bank journal's card naming the missing statement",
    )
    time.sleep(1)
    image = browser.screenshot()
    card = ".o_kanban_record:has(.o_codabox_gaps)"
    left, top, right, bottom = (int(value) for value in browser.rect(card))
    margin = 12  # above, less: the card of the row above ends close to it
    box = (
        max(0, left - margin),
        max(0, top - 4),
        min(WIDTH, right + margin),
        min(HEIGHT, bottom + margin),
    )
    save(image.crop(box), out / "statement_gap.png")


def sent_invoices(browser, odoo, demo, out):
    """The ledger of the sales invoices sent to CodaBox (Customers > Sent to CodaBox) of the
    demo's company connected as its invoicing software: the demo connected it, posted its
    invoices and ran the job sending them."""
    everywhere = {"allowed_company_ids": odoo.call("res.company", "search", [])}
    connections = odoo.rpc(
        "/web/dataset/call_kw",
        {
            "model": "codabox.connection",
            "method": "search_read",
            "args": [[("kind", "=", "invoicing_software"), ("state", "=", "connected")]],
            "kwargs": {"fields": ["company_id"], "context": everywhere},
        },
    )
    if len(connections) != 1:
        raise Failure(f"the demo has {len(connections)} companies connected as invoicing software")
    company = connections[0]["company_id"][0]
    entries = odoo.call(
        "codabox.sent.invoice",
        "search_read",
        [("company_id", "=", company)],
        fields=["state"],
        company=company,
    )
    if not entries or any(entry["state"] != "sent" for entry in entries):
        raise Failure(f"the invoices of {connections[0]['company_id'][1]} are not sent: {entries}")
    browser.send("Network.setCookie", name="cids", value=str(company), url=demo.url)
    browser.goto(
        f"{demo.url}/odoo/accounting/action-l10n_be_codabox_connect.codabox_sent_invoice_action"
    )
    browser.wait(
        f"document.querySelectorAll('.o_list_view .o_data_row').length >= {len(entries)}",
        "the list of the invoices sent to CodaBox",
    )
    time.sleep(1)
    image = browser.screenshot()
    bottom = int(browser.rect(".o_list_view .o_list_table")[3]) + 24
    save(image.crop((0, 0, WIDTH, min(HEIGHT, max(bottom, 300)))), out / "sent_invoices.png")


# --- the icon --------------------------------------------------------------------------------


def icon(path):
    """A rounded square in a Belgian-bank blue, "CODA" in white over a thin gold rule."""
    scale, size = 4, 128  # drawn large, then reduced: smooth edges
    big = size * scale
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=24 * scale, fill=(18, 64, 110, 255))
    font_file = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
    font = (
        ImageFont.truetype(str(font_file), 34 * scale)
        if font_file.exists()
        else ImageFont.load_default()
    )
    text = "CODA"
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    x = (big - (right - left)) / 2 - left
    y = (big - (bottom - top)) / 2 - top - 8 * scale
    draw.text((x, y), text, font=font, fill=(255, 255, 255, 255))
    rule_y = y + bottom + 10 * scale
    draw.rounded_rectangle(
        (28 * scale, rule_y, big - 28 * scale, rule_y + 6 * scale),
        radius=3 * scale,
        fill=(244, 190, 44, 255),
    )
    image = image.resize((size, size), Image.LANCZOS)
    image.save(path, optimize=True)
    say(f"wrote {path.relative_to(ROOT)} ({size}x{size}, {path.stat().st_size // 1024} KB)")


# --- entry point -----------------------------------------------------------------------------


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--out", default=str(ROOT / "static/description"))
    parser.add_argument("--db", default=os.environ.get("SHOTS_DB", "codabox_demo_shots"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("SHOTS_PORT", 8269)))
    parser.add_argument(
        "--sandbox-port", type=int, default=int(os.environ.get("SHOTS_SANDBOX_PORT", 8270))
    )
    parser.add_argument(
        "--sftp-port", type=int, default=int(os.environ.get("SHOTS_SFTP_PORT", 8272))
    )
    parser.add_argument(
        "--only", nargs="+", choices=SHOTS, default=SHOTS, metavar="NAME", help="these shots only"
    )
    parser.add_argument("--timeout", type=int, default=900, help="seconds until Odoo answers")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args(argv)
    if not args.db.startswith("codabox_demo_shots"):
        parser.error("--db must start with codabox_demo_shots: it is dropped and made again")
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)

    only = set(args.only)
    if "icon" in only:
        icon(out / "icon.png")
    if not only - {"icon"}:
        return 0
    subprocess.run(["make", "-s", "-C", str(ROOT), "setup"], check=True, stdout=subprocess.DEVNULL)
    for port in (args.port, args.sandbox_port, args.sftp_port):
        if port_taken(port):
            parser.error(
                f"port {port} is in use: choose others with --port, --sandbox-port and --sftp-port"
            )

    demo = Demo(args.db, args.port, args.sandbox_port, args.sftp_port)
    browser = odoo = None
    # SIGTERM ends the run as Ctrl-C does: everything started is stopped in "finally".
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        demo.drop()
        demo.start(args.timeout)
        odoo = Odoo(demo.url, demo.db)
        odoo.login("admin", "admin")
        companies = odoo.call(
            "res.company",
            "search_read",
            [("account_representative_id", "!=", False)],
            fields=["name"],
            order="id",
        )
        first = companies[0]
        browser = Chromium()
        log_in(browser, demo)
        # Each shot needs those before it in this order (the connection, the retrieval).
        api_shots = {
            "consent",
            "settings",
            "statement",
            "invoice_paid",
            "payroll_entry",
            "vendor_bill",
        }
        languages = {"statement_nl", "statement_fr"}
        if only & (api_shots | languages | {"statement_gap"}):
            # MyCodaBox's page is shot with the connection, which the others need.
            password = consent(browser, odoo, demo, first, out if "consent" in only else None)
            if "settings" in only:
                settings(browser, demo, out)
            if only & {"statement", "invoice_paid", "payroll_entry", "vendor_bill"}:
                retrieve(odoo, first)
            if "statement" in only:
                statement(browser, odoo, demo, first, out)
            if "invoice_paid" in only:
                paid_invoice(browser, odoo, demo, first, out)
            if "payroll_entry" in only:
                payroll_entry(browser, odoo, demo, first, out)
            if "vendor_bill" in only:
                vendor_bill(browser, odoo, demo, first, out)
            if only & languages:
                statement_in_languages(browser, odoo, demo, companies, password, out, only)
            if "statement_gap" in only:
                statement_gap(browser, odoo, demo, companies, password, out)
        if "delivery_source" in only:
            delivery_source(browser, odoo, demo, out)
        if "sent_invoices" in only:
            sent_invoices(browser, odoo, demo, out)
    except Failure as error:
        say(f"FAILED: {error}")
        return 1
    finally:
        if browser:
            browser.close()
        if odoo:
            odoo.session.close()  # no idle connection for Odoo to wait for
        say("stopping the demo")
        started = time.monotonic()
        demo.stop()
        say(f"demo stopped in {time.monotonic() - started:.0f} s")
        if args.keep:
            say(f"database {args.db} kept (--keep)")
        else:
            demo.drop()
            say(f"database {args.db} dropped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
