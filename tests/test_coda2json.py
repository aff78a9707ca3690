"""dev/scripts/coda2json.py, run as a user runs it: a separate Python process."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "dev" / "scripts" / "coda2json.py"
DATA = Path(__file__).parent / "data" / "coda"


def run(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *arguments], capture_output=True, text=True, check=False
    )


def test_one_file():
    result = run(str(DATA / "full.cod"))
    assert (result.returncode, result.stderr) == (0, "")
    document = json.loads(result.stdout)
    (statement,) = document["statements"]
    assert list(statement) == [
        "account",
        "currency",
        "old_balance",
        "new_balance",
        "old_balance_date",
        "new_balance_date",
        "movements",
        "warnings",
    ]
    assert statement["account"] == "BE68539007547034"
    assert statement["currency"] == "EUR"
    assert (statement["old_balance"], statement["new_balance"]) == ("1234.56", "-3173.53")
    assert (statement["old_balance_date"], statement["new_balance_date"]) == (
        "2024-03-04",
        "2024-03-05",
    )
    assert statement["warnings"] == []
    assert len(statement["movements"]) == 10
    assert statement["movements"][0] == {
        "sequence": 1,
        "detail": 0,
        "amount": "150.00",
        "value_date": "2024-03-05",
        "entry_date": "2024-03-05",
        "globalisation": 0,
        "communication": "+++123/4567/89002+++",
        "structured_communication": "+++123/4567/89002+++",
        "counterparty_name": "DUPONT & FILS SA",
        "counterparty_account": "BE71096123456769",
    }
    free = statement["movements"][1]
    assert (free["amount"], free["structured_communication"]) == ("-2500.00", None)
    total, detail = statement["movements"][2:4]
    assert (total["globalisation"], detail["globalisation"], detail["detail"]) == (1, 0, 1)


def test_amounts_keep_significant_third_decimal(tmp_path):
    records = (DATA / "empty.cod").read_bytes().split(b"\r\n")
    records[1] = records[1][:43] + b"000000000999995" + records[1][58:]
    path = tmp_path / "three-decimals.cod"
    path.write_bytes(b"\r\n".join(records))
    (statement,) = json.loads(run(str(path)).stdout)["statements"]
    assert statement["old_balance"] == statement["new_balance"] == "999.995"
    assert statement["movements"] == []


def test_several_files_one_document_per_line():
    result = run(str(DATA / "full.cod"), str(DATA / "multi.cod"), str(DATA / "warnings.cod"))
    assert result.returncode == 0
    documents = [json.loads(line) for line in result.stdout.splitlines()]
    assert [len(d["statements"]) for d in documents] == [1, 2, 1]
    assert documents[1]["statements"][0]["account"] == "BE68539007547034"  # BBAN made IBAN
    assert documents[2]["statements"][0]["warnings"][0] == (
        "line 2: IBAN BE00539007547034 has wrong check digits"
    )


def test_invalid_file_exit_status_and_message(tmp_path):
    bad = tmp_path / "bad.cod"
    bad.write_bytes(b"not a coda file\n")
    result = run(str(DATA / "full.cod"), str(bad))
    assert result.returncode == 1
    assert len(result.stdout.splitlines()) == 1  # the valid file is still printed
    assert result.stderr == (
        f"{bad}: line 1: not a CODA file: the first record must be a header "
        "('0000' + date + bank code + '05')\n"
    )


def test_missing_file(tmp_path):
    result = run(str(tmp_path / "missing.cod"))
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"{tmp_path / 'missing.cod'}: ")


def test_usage():
    result = run()
    assert result.returncode == 2
    assert "Usage: coda2json.py FILE..." in result.stderr
    assert run("--help").returncode == 0
