"""Property-based tests: damaged files fail cleanly, generated files round-trip."""

from datetime import date
from decimal import Decimal
from functools import cache

from hypothesis import given, settings
from hypothesis import strategies as st

from ..coda_parser import CodaError, parse
from ..dev.codagen import generate_statements, write_coda


@cache
def valid_file(seed: int) -> bytes:
    statements = generate_statements(
        iban="BE68539007547034",
        holder_name="Zoë Lefèvre",
        start_date=date(2024, 2, 27),
        days=2,
        movements_per_statement=4,
        seed=seed,
        globalisation_ratio=0.4,
    )
    return write_coda(statements)


position = st.integers(min_value=0, max_value=10**6)
mutation = st.one_of(
    st.tuples(st.just("flip"), position, st.integers(0, 7)),
    st.tuples(st.just("replace"), position, st.binary(min_size=1, max_size=4)),
    st.tuples(st.just("field"), position, st.sampled_from(list(b"0123456789 A-.\xe9\x00"))),
    st.tuples(st.just("delete"), position, st.integers(1, 300)),
    st.tuples(st.just("insert"), position, st.binary(min_size=1, max_size=20)),
    st.tuples(st.just("drop line"), position),
    st.tuples(st.just("repeat line"), position),
    st.tuples(st.just("swap lines"), position, position),
    st.tuples(st.just("truncate"), position),
)


def mutate(data: bytes, operation: tuple) -> bytes:
    kind, where, *rest = operation
    lines = data.split(b"\r\n")
    line = where % len(lines)
    at = where % max(len(data), 1)
    if kind == "flip":
        return data[:at] + bytes([data[at] ^ (1 << rest[0])]) + data[at + 1 :] if data else data
    if kind == "replace":
        return data[:at] + rest[0] + data[at + len(rest[0]) :]
    if kind == "field":  # one character inside a record: reaches the field checks
        record = lines[line]
        if record:
            index = where % len(record)
            lines[line] = record[:index] + bytes([rest[0]]) + record[index + 1 :]
        return b"\r\n".join(lines)
    if kind == "delete":
        return data[:at] + data[at + rest[0] :]
    if kind == "insert":
        return data[:at] + rest[0] + data[at:]
    if kind == "drop line":
        del lines[line]
    elif kind == "repeat line":
        lines.insert(line, lines[line])
    elif kind == "swap lines":
        other = rest[0] % len(lines)
        lines[line], lines[other] = lines[other], lines[line]
    else:  # truncate
        return data[:at]
    return b"\r\n".join(lines)


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 5), operations=st.lists(mutation, min_size=1, max_size=4))
def test_damaged_files_parse_or_raise_coda_error(seed, operations):
    data = valid_file(seed)
    for operation in operations:
        data = mutate(data, operation)
    try:
        statements = parse(data)
    except CodaError as error:
        assert str(error)
        return
    for statement in statements:
        assert all(isinstance(warning, str) for warning in statement.warnings)
        total = statement.old_balance + sum(m.amount for m in statement.balance_movements)
        if total != statement.new_balance:
            assert any("old balance" in warning for warning in statement.warnings)


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=600))
def test_arbitrary_bytes_after_a_valid_header(data):
    header = valid_file(0)[:130]
    try:
        parse(header + data)
    except CodaError:
        pass


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10**6),
    days=st.integers(1, 3),
    movements=st.integers(0, 8),
    globalisation_ratio=st.sampled_from([0.0, 0.3, 1.0]),
    structured_ratio=st.sampled_from([0.0, 0.5, 1.0]),
    old_balance=st.decimals(min_value=-(10**6), max_value=10**6, places=2),
)
def test_generated_statements_round_trip(
    seed, days, movements, globalisation_ratio, structured_ratio, old_balance
):
    statements = generate_statements(
        iban="BE68539007547034",
        holder_name="Demo SRL",
        start_date=date(2023, 12, 30),
        days=days,
        movements_per_statement=movements,
        seed=seed,
        globalisation_ratio=globalisation_ratio,
        structured_ratio=structured_ratio,
        old_balance=old_balance,
    )
    data = write_coda(statements)
    assert parse(data) == statements
    assert write_coda(parse(data)) == data
    assert len(statements) == days
    assert statements[0].old_balance == old_balance
    for statement in statements:
        assert statement.warnings == []
        assert len(statement.balance_movements) == movements
        assert statement.old_balance + sum(
            (m.amount for m in statement.balance_movements), Decimal(0)
        ) == (statement.new_balance)
