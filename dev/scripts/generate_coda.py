#!/usr/bin/env python3
"""Write a random but realistic CODA file (one statement per day), e.g. for demos.

Usage: generate_coda.py --iban BE68539007547034 --statements 5 --movements 20 --seed 1 -o out.cod

The same arguments always give the same file (the start date defaults to a fixed day, not
to today, for that reason).
"""

import argparse
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the addon's root

from dev.codagen import generate_statements, write_coda


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iban", required=True, help="account of the statements")
    parser.add_argument("--statements", type=int, default=1, help="one per day (default 1)")
    parser.add_argument("--movements", type=int, default=10, help="per statement (default 10)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--holder", default="Demo Company SRL", help="account holder name")
    parser.add_argument("--currency", default="EUR")
    parser.add_argument(
        "--start-date", type=date.fromisoformat, default=date(2024, 1, 2), help="YYYY-MM-DD"
    )
    parser.add_argument("--old-balance", type=Decimal, default=Decimal("0"))
    parser.add_argument("--first-sequence", type=int, default=1, help="first CODA sequence")
    parser.add_argument("-o", "--output", required=True, help="file to write, - for stdout")
    args = parser.parse_args(argv)
    statements = generate_statements(
        iban=args.iban,
        currency=args.currency,
        holder_name=args.holder,
        start_date=args.start_date,
        days=args.statements,
        movements_per_statement=args.movements,
        seed=args.seed,
        first_coda_sequence=args.first_sequence,
        old_balance=args.old_balance,
    )
    data = write_coda(statements)
    if args.output == "-":
        sys.stdout.buffer.write(data)
    else:
        Path(args.output).write_bytes(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
