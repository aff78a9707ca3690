#!/usr/bin/env python3
"""Print CODA files as JSON, to inspect them or compare parsers.

Usage: coda2json.py FILE...

Each file gives one JSON document on its own line (JSON Lines), in argument order:
{"statements": [{"account", "currency", "old_balance", "new_balance", "old_balance_date",
"new_balance_date", "movements": [{"sequence", "detail", "amount", "value_date", "entry_date",
"globalisation", "communication", "structured_communication", "counterparty_name",
"counterparty_account"}], "warnings"}]}.
"account" is the IBAN when known, else the account number as in the file; amounts are
decimal strings with two decimals (more when significant); dates are YYYY-MM-DD or null;
"globalisation" is the globalisation code of the 2.1 record; "structured_communication" is
its readable form or null. An unreadable or invalid file is reported on stderr with its name,
the other files are still printed, and the exit status is 1.
"""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the addon's root

import coda_parser


def _date(value):
    return value.isoformat() if value else None


def statement_json(statement: coda_parser.Statement) -> dict:
    return {
        "account": statement.iban or statement.account_number,
        "currency": statement.currency,
        "old_balance": coda_parser.format_amount(statement.old_balance),
        "new_balance": coda_parser.format_amount(statement.new_balance),
        "old_balance_date": _date(statement.old_balance_date),
        "new_balance_date": _date(statement.new_balance_date),
        "movements": [
            {
                "sequence": mv.sequence,
                "detail": mv.detail,
                "amount": coda_parser.format_amount(mv.amount),
                "value_date": _date(mv.value_date),
                "entry_date": _date(mv.entry_date),
                "globalisation": mv.globalisation_code,
                "communication": mv.communication,
                "structured_communication": (
                    mv.structured_communication.display if mv.structured_communication else None
                ),
                "counterparty_name": mv.counterparty_name,
                "counterparty_account": mv.counterparty_account,
            }
            for mv in statement.movements
        ],
        "warnings": statement.warnings,
    }


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr if not argv else sys.stdout)
        return 2 if not argv else 0
    status = 0
    for name in argv:
        try:
            statements = coda_parser.parse(Path(name).read_bytes())
        except (OSError, coda_parser.CodaError) as error:
            print(f"{name}: {error}", file=sys.stderr)
            status = 1
            continue
        document = {"statements": [statement_json(st) for st in statements]}
        print(json.dumps(document, ensure_ascii=False))
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
