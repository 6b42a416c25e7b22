"""Personal-data detectors (app/rules/detectors.py): identity numbers checked against the
personnummer project's published test vectors, phone numbers, e-mail addresses and
special-category terms, in Swedish sentences, with the traps next to each; spans checked
by property tests and hostile input checked for time."""

from __future__ import annotations

import time
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.rules import detectors
from app.rules.detectors import (
    Detection,
    find_emails,
    find_identity_numbers,
    find_personal_data,
    find_phone_numbers,
    find_special_category_terms,
)

TODAY = date(2025, 6, 1)


def luhn(nine: str) -> str:
    """The check digit, computed independently of the module under test."""
    total = sum(sum(divmod(int(c) * (2 if i % 2 == 0 else 1), 10)) for i, c in enumerate(nine))
    return str((10 - total % 10) % 10)


def values(found: list[Detection], kind: str | None = None) -> list[str]:
    return [d.value for d in found if kind is None or d.kind == kind]


# --- Identity numbers: the personnummer project's test vectors ---------------------------
#
# Copied from https://github.com/personnummer/meta, testdata/list.json (commit
# 054929a0afca009dddbde94db6ea57ad7062d17f) and testdata/3.1/list.json (commit
# a980f6c8e84e02b5c5bc361dcf12b8a0fc5dcb74): every entry's four written forms (long_format,
# short_format, separated_format, separated_long), whether it is valid, and its type ("ssn"
# personnummer, "con" samordningsnummer). Licence: the meta repository has no licence file;
# its README's "License Specification" puts every package of the project under the MIT
# licence, "Copyright (c) START-END - Personnummer and Contributors", and the reference
# implementation that tests against this list (personnummer/python) has that MIT LICENSE
# file ("Copyright (c) 2017-2021 - Personnummer and Contributors"). The numbers are
# generated test data, not real persons'.
#
# Left out on purpose: the list's entries written with a space ("19090527 1474",
# "090527 1474") are invalid for the library, which parses a field, but a space is how
# people write the number in a comment, so the detector accepts it (tested below). The
# interim numbers (a letter in the serial, "000101-P220") are invalid in both and kept.
PERSONNUMMER_VECTORS: list[tuple[tuple[str, str, str, str], bool, str]] = [
    # (long_format, short_format, separated_format, separated_long), valid, type
    (("201509160006", "1509160006", "150916-0006", "20150916-0006"), False, "ssn"),
    (("190905271474", "0905271474", "090527+1474", "19090527+1474"), True, "ssn"),
    (("198707049996", "8707049996", "870704-9996", "19870704-9996"), False, "ssn"),
    (("198211059954", "8211059954", "821105-9954", "19821105-9954"), True, "ssn"),
    (("193901829913", "3901829913", "390182-9913", "19390182-9913"), False, "con"),
    (("195705749959", "5705749959", "570574-9959", "19570574-9959"), True, "con"),
    (("201211209941", "1211209941", "121120-9941", "20121120-9941"), False, "ssn"),
    (("199012119948", "9012119948", "901211-9948", "19901211-9948"), True, "ssn"),
    (("201210759984", "1210759984", "121075-9984", "20121075-9984"), False, "con"),
    (("197306749982", "7306749982", "730674-9982", "19730674-9982"), True, "con"),
    (("187912219990", "7912219990", "791221+9990", "18791221+9990"), True, "ssn"),
    (("200012099891", "0012099891", "001209-9891", "20001209-9891"), True, "ssn"),
    # testdata/3.1/list.json adds:
    (("200904179998", "0904179998", "090417-9998", "20090417-9998"), False, "ssn"),
    (("197605239917", "7605239917", "760523-9917", "19760523-9917"), True, "ssn"),
    (("198706769971", "8706769971", "870676-9971", "19870676-9971"), False, "con"),
    (("200308659978", "0308659978", "030865-9978", "20030865-9978"), True, "con"),
    (("202201319983", "2201319983", "220131-9983", "20220131-9983"), False, "ssn"),
    (("196703049988", "6703049988", "670304-9988", "19670304-9988"), True, "ssn"),
    (("199509729980", "9509729980", "950972-9980", "19950972-9980"), False, "con"),
    (("198406829906", "8406829906", "840682-9906", "19840682-9906"), True, "con"),
    (("191509149991", "1509149991", "150914+9991", "19150914+9991"), True, "ssn"),
    (("200007169915", "0007169915", "000716-9915", "20000716-9915"), True, "ssn"),
]
INTERIM_VECTORS = ["20000101P220", "000101P220", "000101-P220", "20000101-T220",
                   "000101-R220", "000101-S220", "20000101-X220", "000101-A220"]
KIND = {"ssn": "personnummer", "con": "samordningsnummer"}
SENTENCES = [
    "{}",
    "Mitt personnummer är {}, ring mig",
    "Hej! Jag heter Anna ({}) och undrar om bygglovet.",
    "Pnr:{}.",
]


@pytest.mark.parametrize(
    ("written", "valid", "kind"),
    [(form, valid, KIND[typ]) for forms, valid, typ in PERSONNUMMER_VECTORS for form in forms],
)
@pytest.mark.parametrize("sentence", SENTENCES)
def test_personnummer_vectors(written: str, valid: bool, kind: str, sentence: str) -> None:
    text = sentence.format(written)
    found = find_identity_numbers(text, today=TODAY)
    if valid:
        assert [(d.kind, d.value) for d in found] == [(kind, written)]
        start = text.index(written)
        assert (found[0].start, found[0].end) == (start, start + len(written))
    else:
        assert found == []


@pytest.mark.parametrize("written", INTERIM_VECTORS)
def test_interim_numbers_are_not_identity_numbers(written: str) -> None:
    assert find_identity_numbers(f"Mitt interimsnummer är {written}.", today=TODAY) == []


@pytest.mark.parametrize(
    ("text", "value", "detail"),
    [
        # Skatteverket's classic example, and the one in many test suites.
        ("Mitt personnummer är 19121212-1212, ring mig", "19121212-1212",
         "personnummer 19121212-1212 (valid date and check digit)"),
        ("Skriv 121212-1212 på blanketten", "121212-1212",
         "personnummer 20121212-1212 (valid date and check digit)"),
        ("Min dotter har 201701012393 som nummer", "201701012393",
         "personnummer 20170101-2393 (valid date and check digit)"),
        ("Pappa är född 121212+1212 och fyller 113", "121212+1212",
         "personnummer 19121212-1212 (valid date and check digit)"),
        # With a space, which the library list calls invalid (see the note above).
        ("Personnummer 19090527 1474 tack", "19090527 1474",
         "personnummer 19090527-1474 (valid date and check digit)"),
        ("Personnummer 821105 9954 tack", "821105 9954",
         "personnummer 19821105-9954 (valid date and check digit)"),
        ("Hans samordningsnummer är 570574-9959.", "570574-9959",
         "samordningsnummer 19570574-9959 (born 1957-05-14, day + 60, valid check digit)"),
    ],
)
def test_identity_number_details(text: str, value: str, detail: str) -> None:
    found = find_identity_numbers(text, today=TODAY)
    assert [(d.value, d.detail) for d in found] == [(value, detail)]


@pytest.mark.parametrize(
    ("written", "today", "born"),
    [
        # Ten digits: the latest birth date not after today, "+" one century further back.
        ("121212-1212", date(2025, 6, 1), "20121212"),
        ("121212+1212", date(2025, 6, 1), "19121212"),
        ("1212121212", date(2025, 6, 1), "20121212"),
        ("121212-1212", date(2012, 12, 11), "19121212"),  # not born yet in 2012: 1912
        ("121212-1212", date(2012, 12, 12), "20121212"),  # born today
        ("121212+1212", date(2012, 12, 12), "19121212"),
        ("121212+1212", date(2012, 12, 11), "18121212"),
        # Twelve digits carry their century; the separator does not change it.
        ("19121212+1212", date(2025, 6, 1), "19121212"),
    ],
)
def test_century_is_inferred_from_today(written: str, today: date, born: str) -> None:
    (found,) = find_identity_numbers(f"nr {written}", today=today)
    assert found.detail.startswith(f"personnummer {born}-")


def test_century_boundary_on_leap_day() -> None:
    # 000229: 2000-02-29 exists, 1900-02-29 does not.
    number = "000229-123" + luhn("000229123")
    assert values(find_identity_numbers(number, today=date(2025, 6, 1))) == [number]
    assert find_identity_numbers(number, today=date(2000, 2, 28)) == []  # only 1900 left


def test_today_defaults_to_the_clock() -> None:
    assert values(find_identity_numbers("19121212-1212")) == ["19121212-1212"]


@pytest.mark.parametrize(
    "text",
    [
        # Wrong check digit / impossible dates (with a correct check digit).
        "Mitt personnummer är 19121212-1213",
        "Mitt personnummer är 121312-" + "121" + luhn("121312121"),  # month 13
        "Mitt personnummer är 19130229-" + "123" + luhn("130229123"),  # 1913 no leap year
        "Mitt personnummer är 121200-" + "123" + luhn("121200123"),  # day 0
        "Samordningsnummer 121292-" + "123" + luhn("121292123"),  # day 92 = 32
        "Samordningsnummer 120291-" + "123" + luhn("120291123"),  # 31 February
        "Född 20991231-" + "123" + luhn("991231123") + " säger han",  # in the future
        "Född 21121212-1212, eller?",  # no such century
        # Inside longer digit runs and other numbers.
        "Ordernummer 19121212121234 gäller",
        "Ordernummer 1912121212123 gäller",
        "OCR 4419121212-1212 på fakturan",
        "Referens 2024-121212-1212",
        "Referens 121212-1212-5",
        "Ring +4619121212 12",
        "Pi är 3.1212121212",
        # Ordinary sentences with dates, prices, times, postcodes.
        "Mötet är 2024-01-15 kl 10.00-12.00 i stadshuset.",
        "Det kostar 1 212 kr, eller 12 121 212 kr för hela bygget.",
        "Postadress: Box 123, 791 83 Falun",
        "Bankgiro 5050-1055 och plusgiro 12 12 12-1",
        "Beslut 2023-12-12, dnr 2023/1212-12.",
    ],
)
def test_identity_number_negatives(text: str) -> None:
    assert find_identity_numbers(text, today=TODAY) == []


def test_several_identity_numbers_in_one_comment() -> None:
    text = "Jag 19121212-1212 och min sambo 8211059954, barnet 201701012393."
    assert values(find_identity_numbers(text, today=TODAY)) == [
        "19121212-1212", "8211059954", "201701012393"]


# --- Phone numbers ------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "value", "kind"),
    [
        ("Ring 070-123 45 67 efter kl 17", "070-123 45 67", "Swedish mobile"),
        ("Mitt nummer: 0701234567", "0701234567", "Swedish mobile"),
        ("Nås på 070 123 45 67 hela dagen.", "070 123 45 67", "Swedish mobile"),
        ("Ring mig på +46 70 123 45 67!", "+46 70 123 45 67", "Swedish mobile"),
        ("Eller sms:a +46701234567", "+46701234567", "Swedish mobile"),
        ("Tel +46 (0)70-123 45 67", "+46 (0)70-123 45 67", "Swedish mobile"),
        ("Tel +46 070 123 45 67", "+46 070 123 45 67", "Swedish mobile"),
        ("Växeln 08-123 456 78 svarar inte", "08-123 456 78", "Swedish"),
        ("Ring 031-12 34 56 i Göteborg", "031-12 34 56", "Swedish"),
        ("Kontoret: 0470-123 45.", "0470-123 45", "Swedish"),
        ("Stockholm +46 8 123 456 78", "+46 8 123 456 78", "Swedish"),
        ("Gamla numret 08/123 45 67", "08/123 45 67", "Swedish"),
        ("Min norska kusin har +47 912 34 567", "+47 912 34 567", "international"),
        ("Support i USA: +1 415 555 0100.", "+1 415 555 0100", "international"),
        ("(073-765 43 21)", "073-765 43 21", "Swedish mobile"),
        # A mobile number is always ten digits, so a time after it is not part of it.
        ("Ring 070-123 45 67 08.00-17.00", "070-123 45 67", "Swedish mobile"),
        ("Ring 070-123 45 67 10 gånger", "070-123 45 67", "Swedish mobile"),
    ],
)
def test_phone_numbers(text: str, value: str, kind: str) -> None:
    found = find_phone_numbers(text, today=TODAY)
    assert [(d.value, d.detail) for d in found] == [(value, f"phone number {value} ({kind})")]
    assert found[0].start == text.index(value)


@pytest.mark.parametrize(
    "text",
    [
        "Mötet är 2024-01-15 kl 10.00-12.00.",
        "Öppet 08-17 på vardagar, lördag 09.00–13.00",
        "Vi ses 05/06 kl 08:30",
        "Postadress: Box 123, 791 83 Falun",
        "Det kostar 1 500 kr, eller 1 050 000 kr totalt",
        "Budgeten ökar med +1 500 000 kr",
        "Temperaturen +12 grader, nästa år 2026",
        "Ordernummer 12345678901234",
        "Ordernummer 0123456789012345",
        "Bankgiro 5050-1055",
        "Kontonummer 012 345 678-9",
        "Mitt personnummer är 19121212-1212",
        "Samordningsnummer 090527-1474",
        "Ring 070-12",
        "Ring 070-123 45 67-89",  # one longer number, not a mobile number
        "Resultatet blev 3-0, 0-1 och 02-03",
        "kod 0",
        "e-post 0701234567@sms.example.se",
    ],
)
def test_phone_negatives(text: str) -> None:
    assert find_phone_numbers(text, today=TODAY) == []


def test_several_phone_numbers() -> None:
    text = "Ring 08-123 456 78 eller 070-765 43 21, annars +46 31 12 34 56."
    assert values(find_phone_numbers(text, today=TODAY)) == [
        "08-123 456 78", "070-765 43 21", "+46 31 12 34 56"]


# --- E-mail addresses ---------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Mejla mig på anna.berg@example.se", "anna.berg@example.se"),
        ("åsa.öberg@example.se skrev igår", "åsa.öberg@example.se"),
        ("Skriv till Kalle_K+kommun@post.falun.se.", "Kalle_K+kommun@post.falun.se"),
        ("(kontakt: info@kommunen.se)", "info@kommunen.se"),
        ("E-post:jörgen-ek@sub.domän.se, tack", "jörgen-ek@sub.domän.se"),
        ("<0701234567@sms.example.com>", "0701234567@sms.example.com"),
        ("Svar till ANNA@EXAMPLE.SE!", "ANNA@EXAMPLE.SE"),
    ],
)
def test_emails(text: str, value: str) -> None:
    found = find_emails(text)
    assert values(found) == [value]
    assert found[0].detail == f"e-mail address {value}"
    assert found[0].start == text.index(value)


@pytest.mark.parametrize(
    "text",
    [
        "Vi ses @ stadshuset",
        "Skriv till anna@",
        "Gilla @kommunen på Instagram",
        "anna at example dot se",
        "anna@example",
        "anna@example.s",
        "anna@-example.se",
        "anna..berg@example.se",
        ".anna@example.se",
        "anna.@example.se",
        "x" * 65 + "@example.se",
        "anna@example.se-x",
        "anna@example.123",
    ],
)
def test_email_negatives(text: str) -> None:
    assert find_emails(text) == []


def test_several_emails() -> None:
    text = "a@b.se, c.d@e.f.se och e@f.se@g.se"
    assert values(find_emails(text)) == ["a@b.se", "c.d@e.f.se", "e@f.se"]


# --- Special categories -------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "value", "category"),
    [
        ("Hon har fått diagnosen i våras", "diagnosen", "health"),
        ("Min son har adhd", "adhd", "health"),
        ("Han har bröstcancer", "bröstcancer", "health"),
        ("Cancern kom tillbaka", "Cancern", "health"),
        ("Hon lider av DEPRESSION", "DEPRESSION", "health"),
        ("efter en förlossningsdepression", "förlossningsdepression", "health"),
        ("grannen är schizofren", "schizofren", "health"),
        ("Han har autism", "autism", "health"),
        ("hon är hiv-positiv", "hiv", "health"),
        ("Han är hivpositiv", "hivpositiv", "health"),
        ("Pappan har alkoholmissbruk", "alkoholmissbruk", "health"),
        ("hon är sjukskriven sedan mars", "sjukskriven", "health"),
        ("en ovanlig sjukdom", "sjukdom", "health"),
        ("hon är gravid i sjunde månaden", "gravid", "health"),
        ("hon valde att abortera", "abortera", "health"),
        ("Mamma är dement", "dement", "health"),
        ("Hon är handikappad sedan olyckan", "handikappad", "health"),
        ("barn med funktionsnedsättning", "funktionsnedsättning", "health"),
        ("hennes man är psykiskt sjuk", "psykiskt sjuk", "health"),
        ("han vårdas inom barnpsykiatrin", "barnpsykiatrin", "health"),
        ("Han är homosexuell", "homosexuell", "sexual orientation"),
        ("Hon är bisexuell", "bisexuell", "sexual orientation"),
        ("Han är transperson", "transperson", "sexual orientation"),
        ("hens sexuella läggning", "sexuella läggning", "sexual orientation"),
        ("Han är muslim", "muslim", "religion"),
        ("Familjen är judisk", "judisk", "religion"),
        ("många judar bor här", "judar", "religion"),
        ("Hon är kristen", "kristen", "religion"),
        ("de kristna i byn", "kristna", "religion"),
        ("Han är romsk", "romsk", "ethnicity"),
        ("hon är same, ja samisk", "samisk", "ethnicity"),
        ("barn med utländsk bakgrund", "utländsk bakgrund", "ethnicity"),
        ("Han är dömd för misshandel", "dömd för", "criminal offence"),
        ("hon dömdes till böter", "dömdes till", "criminal offence"),
        ("han har suttit i fängelse", "fängelse", "criminal offence"),
        ("han satt i livstidsfängelse", "livstidsfängelse", "criminal offence"),
        ("han är straffad tidigare", "straffad", "criminal offence"),
        ("står i brottsregistret", "brottsregistret", "criminal offence"),
        ("han är misstänkt för stölden", "misstänkt för", "criminal offence"),
        ("Hon är med i fackföreningen", "fackföreningen", "trade union"),
        ("han är fackligt ansluten", "fackligt", "trade union"),
        ("jag är medlem i facket", "medlem i facket", "trade union"),
        ("han är sverigedemokrat", "sverigedemokrat", "political opinion"),
        ("Grannen röstar på Vänsterpartiet", "röstar på", "political opinion"),
        ("hon är kristdemokrat", "kristdemokrat", "political opinion"),
        ("han är medlem i Centerpartiet", "medlem i Centerpartiet", "political opinion"),
    ],
)
def test_special_category_terms(text: str, value: str, category: str) -> None:
    found = find_special_category_terms(text)
    assert [d.value for d in found] == [value]
    (d,) = found
    assert d.kind == "special_category"
    assert d.start == text.index(value)
    article = "GDPR art. 10" if category == "criminal offence" else "GDPR art. 9"
    assert d.detail == f"special category: {category} ({article}), term {value!r}"


@pytest.mark.parametrize(
    "text",
    [
        # Names and words that start like a term.
        "Hälsningar, Kristina Kristensson",
        "Kristi himmelsfärdsdag är stängt",
        "Judo för barn i sporthallen",
        "Judith håller i kursen",
        "Hiva upp den på lastbilen",
        "romerska bad och rom i kakan",
        "samtal om samhället",
        "transport till programmet",
        "kommunen dementerar uppgiften",
        "Homo sapiens har bott här länge",
        "Gripen flög över stan",
        "Jag anhåller om bygglov",
        "Cancerfonden samlar in pengar",
        "Sverigedemokraterna och Socialdemokraterna röstade",
        "moderata priser och en liberal hållning",
        "ångest inför valet",
        "jag brottas med deklarationen",
        "oberoende granskning",
        "en ostraffad medborgare",
        "fångar fisk i sjön",
        "flata tak på skolan",
        "En Saab stod på handikapplatsen, entrén är handikappanpassad",
        # Ordinary comments.
        "Varför plogas inte cykelvägen vid skolan?",
        "Tack för ett bra möte i stadshuset igår!",
    ],
)
def test_special_category_negatives(text: str) -> None:
    assert find_special_category_terms(text) == []


def test_special_category_several_terms_and_case() -> None:
    text = ("MIN BROR ÄR SJUKSKRIVEN, har DIABETES och en adhd-diagnos. "
            "Han dömdes till fängelse för rattfylleri.")
    assert values(find_special_category_terms(text)) == [
        "SJUKSKRIVEN", "DIABETES", "adhd", "diagnos", "dömdes till", "fängelse", "rattfylleri"]


def test_birth_number_000_is_never_issued() -> None:
    number = "121212-000" + luhn("121212000")
    assert find_identity_numbers(number, today=TODAY) == []


def test_special_category_keeps_spans_with_characters_that_lower_to_two() -> None:
    # "İ".lower() is two characters: positions must still be those of the original.
    text = "İİİ han har cancer İ"
    (d,) = find_special_category_terms(text)
    assert text[d.start:d.end] == "cancer"


def test_no_stem_is_a_prefix_of_another() -> None:
    # The stems are one alternation: a stem that is the prefix of another would hide it.
    stems = sorted(detectors._VARIANTS)
    for a, b in zip(stems, stems[1:]):
        assert not b.startswith(a), (a, b)


def test_term_list_size_and_categories() -> None:
    categories = {category for _stem, _tail, category, _compound in detectors._TERMS}
    assert categories == {"health", "sexual orientation", "religion", "ethnicity",
                          "criminal offence", "trade union", "political opinion"}
    assert 100 <= len(detectors._VARIANTS) <= 200


# --- Everything together ------------------------------------------------------------------

def test_find_personal_data_sorted_and_labelled() -> None:
    text = ("Hej, jag heter Åsa (19121212-1212) och är sjukskriven. "
            "Ring 070-123 45 67 eller mejla åsa.öberg@example.se!")
    found = find_personal_data(text, today=TODAY)
    assert [(d.kind, d.value) for d in found] == [
        ("personnummer", "19121212-1212"),
        ("special_category", "sjukskriven"),
        ("phone", "070-123 45 67"),
        ("email", "åsa.öberg@example.se"),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The same digits as a phone number and a personnummer: the checksummed number wins.
        ("Ring 0905271474", [("personnummer", "0905271474")]),
        # A phone number or a word inside an e-mail address: the address wins.
        ("0701234567@sms.example.se", [("email", "0701234567@sms.example.se")]),
        ("cancer.stod@region.example.se", [("email", "cancer.stod@region.example.se")]),
        ("", []),
        ("Inget här.", []),
    ],
)
def test_find_personal_data_resolves_overlaps(text: str,
                                              expected: list[tuple[str, str]]) -> None:
    assert [(d.kind, d.value) for d in find_personal_data(text, today=TODAY)] == expected


def test_detection_is_frozen() -> None:
    d = Detection("email", 0, 6, "a@b.se", "e-mail address a@b.se")
    with pytest.raises(AttributeError):
        d.start = 1  # type: ignore[misc]


# --- Properties and hostile input ---------------------------------------------------------

ALL = (find_identity_numbers, find_phone_numbers, find_emails, find_special_category_terms,
       find_personal_data)
# Text made of what the detectors look at, so that matches and near misses are frequent.
TOKENS = st.sampled_from([
    "0", "1", "2", "9", "19121212", "1212", "070", "08", "123", "45", "67", "+46", "+", "-",
    "–", " ", "  ", ".", ",", "/", ":", "(0)", "@", "a", "å", "Ö", "example", ".se", "anna",
    "cancer", "bröst", "krist", "en", "dömd", " för", "İ", "ß", "\n", "\u00a0", "𝟘", "٣",
])
texts = st.one_of(st.text(max_size=200), st.lists(TOKENS, max_size=60).map("".join))


def check_spans(text: str, found: list[Detection]) -> None:
    for d in found:
        assert 0 <= d.start < d.end <= len(text)
        assert text[d.start:d.end] == d.value
        assert d.detail


@settings(max_examples=400, deadline=None)
@given(texts, st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)))
def test_spans_point_into_the_text(text: str, today: date) -> None:
    for detect in ALL:
        check_spans(text, detect(text, today=today))
    combined = find_personal_data(text, today=today)
    for a, b in zip(combined, combined[1:]):
        assert a.end <= b.start  # sorted, no overlaps


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["19121212-1212", "070-123 45 67", "a@b.se", "cancer",
                                 "x", " ", ", ", "\n"]), max_size=30).map("".join))
def test_combined_is_the_union_without_overlaps(text: str) -> None:
    combined = find_personal_data(text, today=TODAY)
    separate = {d for detect in ALL[:-1] for d in detect(text, today=TODAY)}
    assert set(combined) <= separate
    for d in separate - set(combined):
        assert any(d.start < k.end and k.start < d.end for k in combined)


HOSTILE = [
    "1-" * 50_000,
    "a@" * 50_000,
    "a." * 50_000 + "@",
    "0 1 " * 25_000,
    "01 " * 33_333,
    "070-123 45 67 " * 7_000,
    "+1 " * 33_333,
    "+46 (0)" * 14_000,
    "1" * 100_000,
    "0" * 100_000,
    "12 " * 33_333,
    "19121212-" * 11_111,
    "19121212-1212 " * 7_000,
    "@" * 100_000,
    ("x" * 64 + "@") * 1_500,
    "a.b@c" * 20_000,
    "a@b.se " * 14_000,
    "a@" + "b." * 50_000,
    "krist" * 20_000,
    "x" + "cancer" * 16_000,
    "homo " * 20_000,
    "dömd " * 20_000,
    "ö" * 100_000,
    "İ" * 100_000,
    "\U0001d7d8" * 100_000,  # mathematical digit zero: not an ASCII digit
]


@pytest.mark.parametrize("text", HOSTILE, ids=lambda t: repr(t[:12]))
def test_hostile_input_is_fast(text: str) -> None:
    started = time.perf_counter()
    for detect in ALL:
        check_spans(text, detect(text, today=TODAY))
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize(("text", "found"), [
    ("Anna Svensson bor på Storgatan 12 B i Falun", ["Storgatan 12 B"]),
    ("Hon flyttade till Åsvägen 3, lgh 1102 med Kalle Karlsson", ["Åsvägen 3, lgh 1102"]),
    ("Biblioteket på Kristinegatan 14 har öppet till 19", []),  # a place, no person
    ("Storgatan är avstängd vid nummer 12", []),
    ("Per Olsson gillar korv", []),
])
def test_addresses_count_only_next_to_a_name(text, found):
    from app.rules.detectors import find_addresses

    assert [d.value for d in find_addresses(text)] == found
    for d in find_addresses(text):
        assert d.kind == "address" and text[d.start:d.end] == d.value


@pytest.mark.parametrize("hostile", [
    "Anna Berg Storgatan 1 " * 5000, "Anna Berg " * 10000 + "Storgatan 1",
    "Storgatan 1 " * 8000, "A" + "a" * 100000 + "gatan 1",
])
def test_addresses_on_hostile_input_are_fast(hostile):
    import time

    from app.rules.detectors import find_addresses

    start = time.perf_counter()
    find_addresses(hostile)
    assert time.perf_counter() - start < 1.0
