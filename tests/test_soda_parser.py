"""The SODA parser (the social secretariat's payroll entry): fields, formats, every error code,
hostile input, and the round trip through dev/codagen's writer and generator."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ..dev.codagen import generate_soda, write_soda
from ..soda import ERRORS, MAX_SIZE, SodaDocument, SodaError, SodaLine, parse_soda

SAMPLE = """<?xml version="1.0" encoding="UTF-8"?>
<SocialDocument{namespace}>
  <Source>Securex</Source>
  <Version>1.1c</Version>
  <Social>
    <SeqNumber>000042</SeqNumber>
    <GenDate>{gen_date}</GenDate>
    <Enterprise>
      <EntNum>{ent_num}</EntNum>
      <EntLabel>Boulangerie Lefèvre SRL</EntLabel>
    </Enterprise>
    <AccountPeriod>{period}</AccountPeriod>
  </Social>
  <Transactions>
    <TransactionLine>
      <SocialPeriod>202403</SocialPeriod>
      <Accounting>
        <Account>620200</Account>
        <Label>Rémunérations brutes employés</Label>
        <Amount><Debit>{debit}</Debit><Credit></Credit></Amount>
      </Accounting>
    </TransactionLine>
    <TransactionLine>
      <Accounting>
        <Account>455000</Account>
        <Label>Rémunération nette à payer</Label>
        <Amount><Debit/><Credit>{credit}</Credit></Amount>
      </Accounting>
    </TransactionLine>
  </Transactions>
</SocialDocument>
"""


def sample(**values) -> bytes:
    fields = {
        "namespace": "",
        "gen_date": "2024-04-03",
        "ent_num": "0123.456.749",
        "period": "202403",
        "debit": "3210.50",
        "credit": "3210.50",
        **values,
    }
    return SAMPLE.format(**fields).encode("utf-8")


def error_of(data: bytes) -> SodaError:
    with pytest.raises(SodaError) as caught:
        parse_soda(data)
    error = caught.value
    assert error.code in ERRORS
    assert str(error) == error.message
    return error


def test_sample_fields():
    document = parse_soda(sample())
    assert document == SodaDocument(
        source="Securex",
        version="1.1c",
        sequence_number="000042",
        generated=date(2024, 4, 3),
        enterprise_number="0123456749",
        enterprise_label="Boulangerie Lefèvre SRL",
        accounting_period="202403",
        lines=(
            SodaLine(
                "620200", "Rémunérations brutes employés", Decimal("3210.50"), Decimal(0), "202403"
            ),
            SodaLine("455000", "Rémunération nette à payer", Decimal(0), Decimal("3210.50"), None),
        ),
    )
    assert document.total_debit == document.total_credit == Decimal("3210.50")
    assert document.is_balanced
    assert document.period_start == date(2024, 3, 1)
    assert document.period_end == date(2024, 3, 31)


def test_period_end_of_february_in_a_leap_year():
    assert parse_soda(sample(period="202402")).period_end == date(2024, 2, 29)
    assert parse_soda(sample(period="202302")).period_end == date(2023, 2, 28)


def test_namespace_and_prefixes():
    plain = parse_soda(sample())
    assert parse_soda(sample(namespace=' xmlns="urn:codabox:soda"')) == plain
    prefixed = sample().replace(b"<", b"<s:").replace(b"<s:/", b"</s:").replace(b"<s:?", b"<?")
    prefixed = prefixed.replace(b"<s:SocialDocument>", b'<s:SocialDocument xmlns:s="urn:x">')
    assert parse_soda(prefixed) == plain


def test_comments_and_whitespace_are_ignored():
    data = sample(debit=" 3210<!-- cents follow -->.50 \n", ent_num="\n  0123456749  ")
    assert parse_soda(data) == parse_soda(sample())


@pytest.mark.parametrize("value", ["2024-04-03", "03/04/2024", "20240403", "2024-04-03T10:15:00"])
def test_date_formats(value):
    assert parse_soda(sample(gen_date=value)).generated == date(2024, 4, 3)


@pytest.mark.parametrize(
    ("value", "amount"),
    [
        ("3210.50", Decimal("3210.50")),
        ("3210,50", Decimal("3210.50")),
        ("3.210,50", Decimal("3210.50")),
        ("3,210.50", Decimal("3210.50")),
        ("3210", Decimal(3210)),
        ("0,1", Decimal("0.1")),
        ("", Decimal(0)),
        ("   ", Decimal(0)),
    ],
)
def test_amount_formats(value, amount):
    (line, _) = parse_soda(sample(debit=value)).lines
    assert line.debit == amount
    assert line.debit.as_tuple() == amount.as_tuple() or value.strip() == ""


def test_missing_amount_is_zero():
    data = sample().replace(b"<Amount><Debit/><Credit>3210.50</Credit></Amount>", b"")
    assert parse_soda(data).lines[1].credit == Decimal(0)


@pytest.mark.parametrize(
    ("value", "normalised"),
    [
        ("123456749", "0123456749"),
        ("0123456749", "0123456749"),
        ("BE 0123.456.749", "0123456749"),
        ("be0123-456-749", "0123456749"),
    ],
)
def test_enterprise_number_normalised(value, normalised):
    assert parse_soda(sample(ent_num=value)).enterprise_number == normalised


def test_unbalanced_is_parsed():
    document = parse_soda(sample(credit="3200.50"))
    assert not document.is_balanced
    assert (document.total_debit, document.total_credit) == (Decimal("3210.50"), Decimal("3200.50"))


# -- errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data", [b"", b"not xml at all", b"<SocialDocument>", b"\xff\xfe\x00<", b"<a></b>"]
)
def test_not_xml(data):
    error = error_of(data)
    assert error.code == "notXml"
    assert "not an XML file" in str(error)


def test_not_soda():
    error = error_of(b'<?xml version="1.0"?><Invoice xmlns="urn:ubl"><ID>1</ID></Invoice>')
    assert (error.code, error.params) == ("notSoda", {"root": "Invoice"})
    assert "<Invoice>" in str(error)


@pytest.mark.parametrize(
    ("remove", "field"),
    [
        (b"<Source>Securex</Source>", "Source"),
        (b"<SeqNumber>000042</SeqNumber>", "Social/SeqNumber"),
        (b"<GenDate>2024-04-03</GenDate>", "Social/GenDate"),
        (b"<EntNum>0123.456.749</EntNum>", "Social/Enterprise/EntNum"),
        (b"<AccountPeriod>202403</AccountPeriod>", "Social/AccountPeriod"),
        (b"<Account>455000</Account>", "Transactions/TransactionLine[2]/Accounting/Account"),
    ],
)
def test_missing_field(remove, field):
    error = error_of(sample().replace(remove, b""))
    assert (error.code, error.params) == ("missingField", {"field": field})
    assert field in str(error)


def test_empty_field_is_missing():
    error = error_of(
        sample().replace(b"<SeqNumber>000042</SeqNumber>", b"<SeqNumber> </SeqNumber>")
    )
    assert (error.code, error.params) == ("missingField", {"field": "Social/SeqNumber"})


def test_missing_social():
    data = sample()
    data = data[: data.index(b"<Social>")] + data[data.index(b"</Social>") + 9 :]
    assert error_of(data).params == {"field": "Social"}


@pytest.mark.parametrize("value", ["2024-02-30", "31/04/2024", "2024/04/03", "3 april 2024", "24"])
def test_bad_date(value):
    error = error_of(sample(gen_date=value))
    assert (error.code, error.params) == ("badDate", {"field": "Social/GenDate", "value": value})
    assert repr(value) in str(error)


@pytest.mark.parametrize("value", ["-12.00", "12.0.0", "1.2.3,4", "12 EUR", "1e3", "+5", "١٢"])
def test_bad_amount(value):
    error = error_of(sample(debit=value))
    assert error.code == "badAmount"
    assert error.params == {"field": "Debit", "account": "620200", "value": value}
    assert "620200" in str(error)


@pytest.mark.parametrize("value", ["202413", "202400", "2024-3", "March", "2024031", "000003"])
def test_bad_period(value):
    error = error_of(sample(period=value))
    assert (error.code, error.params) == ("badPeriod", {"value": value})


@pytest.mark.parametrize("value", ["12345", "BE01234567491", "0123.456.74X", "٠١٢٣٤٥٦٧٤٩"])
def test_bad_enterprise_number(value):
    error = error_of(sample(ent_num=value))
    assert (error.code, error.params) == ("badEnterpriseNumber", {"value": value})


def test_no_lines():
    data = sample()
    empty = data[: data.index(b"<Transactions>")] + data[data.index(b"</Transactions>") + 15 :]
    assert error_of(empty).code == "noLines"
    none = data[: data.index(b"<TransactionLine>")] + data[data.index(b"</Transactions>") :]
    assert error_of(none).code == "noLines"


def test_too_large():
    error = error_of(sample() + b" " * MAX_SIZE)
    assert error.code == "tooLarge"
    assert error.params == {"size": len(sample()) + MAX_SIZE, "limit": MAX_SIZE}


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE SocialDocument [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<SocialDocument><Source>&lol9;</Source></SocialDocument>
"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE SocialDocument [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<SocialDocument><Source>&secret;</Source></SocialDocument>
"""


@pytest.mark.parametrize(
    "data",
    [
        BILLION_LAUGHS,
        EXTERNAL_ENTITY,
        EXTERNAL_ENTITY.decode().encode("utf-16"),
        b'<?xml version="1.0"?><!DOCTYPE SocialDocument SYSTEM "http://example.com/x.dtd">'
        + sample().split(b"?>", 1)[1],
    ],
    ids=["billion laughs", "external entity", "utf-16", "external DTD"],
)
def test_document_type_and_entities_refused(data):
    error = error_of(data)
    assert error.code == "doctype"


def test_undeclared_entity_is_not_xml():
    assert error_of(sample(debit="&amount;")).code == "notXml"


def test_other_encodings():
    latin = sample().decode().replace("UTF-8", "ISO-8859-1").encode("latin-1")
    assert parse_soda(latin) == parse_soda(sample())
    assert parse_soda(sample().decode().replace("UTF-8", "UTF-16").encode("utf-16")) == parse_soda(
        sample()
    )


def test_every_error_code_is_worded():
    assert set(ERRORS) == {
        "tooLarge",
        "notXml",
        "doctype",
        "notSoda",
        "missingField",
        "badDate",
        "badPeriod",
        "badEnterpriseNumber",
        "badAmount",
        "noLines",
    }


# -- the writer and the generator -----------------------------------------------------------------


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("employees", [1, 3, 12])
def test_generated_round_trip(seed, employees):
    document = generate_soda("0123456749", "202402", employees=employees, seed=seed)
    data = write_soda(document)
    assert parse_soda(data) == document
    assert write_soda(parse_soda(data)) == data
    assert document.is_balanced
    assert document.total_debit > 0
    assert all(line.debit == line.debit.quantize(Decimal("0.01")) for line in document.lines)
    assert all(line.credit == line.credit.quantize(Decimal("0.01")) for line in document.lines)
    assert sum(line.account == "455000" for line in document.lines) == employees
    assert document.generated > document.period_end


def test_generated_document():
    document = generate_soda("123456749", "202412", employees=2, seed=7, source="Partena")
    assert document.source == "Partena"
    assert document.version == "1.1c"
    assert document.enterprise_number == "0123456749"
    assert document.accounting_period == "202412"
    assert document.generated.year == 2025  # after December, in January
    accounts = [line.account for line in document.lines]
    assert {"620200", "621000", "453000", "454000", "455000"} <= set(accounts)
    gross = next(line.debit for line in document.lines if line.account == "620200")
    employer = next(line.debit for line in document.lines if line.account == "621000")
    assert Decimal("0.2") * gross < employer < Decimal("0.3") * gross
    nl = generate_soda("0123456749", "202412", employees=2, seed=7, language="nl")
    assert nl.lines[0].label == "Brutobezoldigingen bedienden"
    assert generate_soda("0123456749", "202412", seed=7) == generate_soda(
        "0123456749", "202412", seed=7
    )


def test_written_special_characters():
    document = parse_soda(sample())
    document = SodaDocument(
        **{
            **{name: getattr(document, name) for name in SodaDocument.__slots__},
            "enterprise_label": "Dupont & Fils <SA>",
        }
    )
    assert parse_soda(write_soda(document)) == document


# -- any bytes ------------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=400))
def test_random_bytes_raise_only_soda_error(data):
    try:
        parse_soda(data)
    except SodaError:
        pass


@settings(max_examples=60, deadline=None)
@given(at=st.integers(0, 10**6), cut=st.integers(0, 40), insert=st.binary(max_size=12))
def test_damaged_file_parses_or_raises_soda_error(at, cut, insert):
    data = sample()
    at %= len(data)
    damaged = data[:at] + insert + data[at + cut :]
    try:
        document = parse_soda(damaged)
    except SodaError as error:
        assert str(error)
        return
    assert all(line.debit >= 0 and line.credit >= 0 for line in document.lines)
