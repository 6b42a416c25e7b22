"""Records requests (POST /api/v1/records-requests): a search's result as a zip with a PDF
and CSV for a member of the public, secret content masked or left out, and the list of
what was withheld under which provision (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from datetime import timedelta
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.audit.models import AuditEntry
from app.core.errors import AppError
from app.core.pdf import FONT, REPLACEMENT, PdfDocument, displayable
from app.moderation.models import RegistrationCase
from app.records.service import (
    PENDING_REVIEW,
    RULES_FLAGGED,
    SecretItems,
    collect,
    masked,
)
from app.search.service import SearchFilters
from tests.conftest import api_token
from tests.test_search import OTHER_PAGE, PAGE, T0, add_item, pages  # noqa: F401

PUBLIC = "Snöröjningen på Ängsvägen är sen i år, när kommer plogbilen?"
SECRET = "Min granne Lisa Berg har skyddad identitet och bor på Hemliga gatan 7"
DM = "Hej, jag vill anmäla en brist i hemtjänsten för min mamma"
FLAGGED = "Personnummer 811228-9874 till den som undrar"
RELEASED = "Tack för svaret om bygglovet!"
NAMELESS = "Jag har synpunkter på detaljplanen för Norra hamnen"
PROVISION = "OSL 21 kap. 3 §"


@pytest.fixture
def registrar(db) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_token(db, 'registrar', username='reg-maja')}"}


def set_case(session: Session, item_platform_id: str, **values: Any) -> None:
    from app.content.models import Item

    item_id = session.scalar(select(Item.id).where(Item.platform_id == item_platform_id))
    session.execute(update(RegistrationCase).where(RegistrationCase.item_id == item_id)
                    .values(**values))


@pytest.fixture
def archive(db, pages) -> None:  # noqa: F811 - the pages fixture
    """One item of each kind of withholding, an hour apart, oldest first."""
    with db.transaction() as s:
        add_item(s, "p1", PUBLIC, at=T0)
        add_item(s, "s1", SECRET, at=T0 + timedelta(hours=1), case="registered", secret=True)
        set_case(s, "s1", diarienummer="KS 2026/0123", secrecy_provision=PROVISION)
        add_item(s, "m1", DM, at=T0 + timedelta(hours=2), kind="message", case="pending",
                 author=("777", "Karin Lund"))
        add_item(s, "f1", FLAGGED, at=T0 + timedelta(hours=3), categories=["secret"])
        add_item(s, "n1", RELEASED, at=T0 + timedelta(hours=4), case="not_required")
        add_item(s, "w1", NAMELESS, at=T0 + timedelta(hours=5), case="registered",
                 author=("888", "Nils Holm"))
        set_case(s, "w1", diarienummer="SBN 2026/0042", secrecy_provision="OSL 26 kap. 1 §",
                 withhold_sender=True)
        add_item(s, "o1", "På den andra sidan", page=OTHER_PAGE, at=T0 + timedelta(hours=6))


def make(client, headers, **body: Any):
    return client.post("/api/v1/records-requests", json=body, headers=headers)


def unpack(response) -> dict[str, bytes]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def rows(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Excel reads å, ä, ö right
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def flat(text: str) -> str:
    return " ".join(text.split())


def audit_count(db, act: str) -> int:
    with db.transaction() as s:
        return s.scalar(select(func.count()).where(AuditEntry.act == act))


def test_the_package_masks_what_is_secret_and_lists_it(client, db, archive, registrar):
    files = unpack(make(client, registrar, reference="KS 2026/0456", page_id=[PAGE]))
    assert sorted(files) == ["handlingar.csv", "handlingar.pdf", "manifest.json",
                             "undantaget.csv"]
    records = {r["objekt_id"]: r for r in rows(files["handlingar.csv"])}
    assert list(records) == ["p1", "s1", "m1", "f1", "n1", "w1"]  # oldest first, one page
    assert [r["nr"] for r in records.values()] == ["1", "2", "3", "4", "5", "6"]
    # Public content and its sender are there as written.
    assert records["p1"]["text"] == PUBLIC and records["p1"]["avsandare"] == "Åsa Öberg"
    assert records["n1"]["text"] == RELEASED
    # A registered secret item: the content masked under the case's provision.
    assert records["s1"]["text"] == masked(PROVISION)
    assert records["s1"]["innehall_undantaget_enligt"] == PROVISION
    assert records["s1"]["diarienummer"] == "KS 2026/0123"
    # Pending and flagged items: content and sender wait for the registrar's review.
    assert records["m1"]["text"] == masked(PENDING_REVIEW)
    assert records["m1"]["avsandare"] == masked(PENDING_REVIEW)
    assert records["m1"]["avsandare_id"] == ""
    assert records["f1"]["text"] == masked(RULES_FLAGGED)
    # A record that withholds only the sender.
    assert records["w1"]["text"] == NAMELESS
    assert records["w1"]["avsandare"] == masked("OSL 26 kap. 1 §")
    assert records["w1"]["avsandare_id"] == ""

    withheld = {w["objekt_id"]: w for w in rows(files["undantaget.csv"])}
    assert {k: (w["vad"], w["bestammelse"], w["nr_i_paketet"]) for k, w in withheld.items()} == {
        "s1": ("innehåll", PROVISION, "2"),
        "m1": ("innehåll och avsändare", PENDING_REVIEW, "3"),
        "f1": ("innehåll och avsändare", RULES_FLAGGED, "4"),
        "w1": ("avsändare", "OSL 26 kap. 1 §", "6"),
    }

    # Nothing secret anywhere in the package.
    text = pdf_text(files["handlingar.pdf"])
    for name, data in files.items():
        readable = text if name.endswith(".pdf") else data.decode("utf-8-sig")
        for secret in (SECRET, DM, FLAGGED, "811228", "Karin Lund", "Nils Holm", "888"):
            assert secret not in readable, (name, secret)
    # The PDF reads as the CSV does, in Swedish.
    assert "Utlämnande av allmänna handlingar, KS 2026/0456" in text
    assert PUBLIC in flat(text) and RELEASED in flat(text)
    assert masked(PROVISION) in flat(text)
    assert "Uppgifter som inte lämnas ut" in text and "6 kap. 7 §" in flat(text)
    assert "Sida 1 av" in text


def test_the_manifest_holds_each_files_checksum(client, db, archive, registrar):
    r = make(client, registrar, reference="KS 2026/0456")
    files = unpack(r)
    manifest = json.loads(files["manifest.json"])
    assert manifest["reference"] == "KS 2026/0456" and manifest["made_by"] == "reg-maja"
    assert (manifest["records"], manifest["withheld"]) == (7, 4)
    assert set(manifest["files"]) == {"handlingar.pdf", "handlingar.csv", "undantaget.csv"}
    for name, info in manifest["files"].items():
        assert info["sha256"] == hashlib.sha256(files[name]).hexdigest()
        assert info["bytes"] == len(files[name])
    assert r.headers["x-package-sha256"] == hashlib.sha256(r.content).hexdigest()
    assert (r.headers["x-records"], r.headers["x-withheld"]) == ("7", "4")
    assert "KS_2026_0456" in r.headers["content-disposition"]


def test_omitted_secret_records_are_left_out_but_listed(client, db, archive, registrar):
    files = unpack(make(client, registrar, secret_items="omit", page_id=[PAGE]))
    records = rows(files["handlingar.csv"])
    assert [r["objekt_id"] for r in records] == ["p1", "n1", "w1"]
    assert [r["nr"] for r in records] == ["1", "2", "3"]
    withheld = {w["objekt_id"]: (w["vad"], w["nr_i_paketet"])
                for w in rows(files["undantaget.csv"])}
    assert withheld == {"s1": ("hela handlingen", ""), "m1": ("hela handlingen", ""),
                        "f1": ("hela handlingen", ""), "w1": ("avsändare", "3")}
    text = flat(pdf_text(files["handlingar.pdf"]))
    assert "ej med i paketet" in text and masked(PROVISION) not in text


def test_the_search_narrows_the_package(client, db, archive, registrar):
    records = rows(unpack(make(client, registrar, q="snöröjningen"))["handlingar.csv"])
    assert [r["objekt_id"] for r in records] == ["p1"]
    # Words inside secret content find the item, but the package shows only the mask.
    files = unpack(make(client, registrar, q="skyddad identitet"))
    assert [r["objekt_id"] for r in rows(files["handlingar.csv"])] == ["s1"]
    assert SECRET not in files["handlingar.csv"].decode()
    records = rows(unpack(make(client, registrar, date_from=str(T0.date()), kind="message"))
                   ["handlingar.csv"])
    assert [r["objekt_id"] for r in records] == ["m1"]
    assert [r["objekt_id"] for r in rows(unpack(make(client, registrar, page_id=[OTHER_PAGE]))
                                              ["handlingar.csv"])] == ["o1"]


def test_every_version_of_a_secret_item_is_masked(db, pages):  # noqa: F811
    from app.content.models import Item
    from tests.test_search import add_version

    with db.transaction() as s:
        add_item(s, "s2", "Första versionen, ännu inget hemligt", case="registered", secret=True)
        set_case(s, "s2", secrecy_provision=PROVISION)
        item = s.scalars(select(Item).where(Item.platform_id == "s2")).one()
        add_version(s, item, 2, SECRET, T0 + timedelta(minutes=5))
        request = collect(s, SearchFilters(), made_by="reg")
    assert [(r.version_seq, r.text, r.content_withheld) for r in request.records] == [
        (1, None, PROVISION), (2, None, PROVISION)]
    assert [(w.item_id, w.version_seq) for w in request.withheld] == [("s2", 1), ("s2", 2)]


def test_an_empty_result_is_still_a_package(client, db, archive, registrar):
    files = unpack(make(client, registrar, q="finnsinte"))
    assert rows(files["handlingar.csv"]) == [] and rows(files["undantaget.csv"]) == []
    assert "Inga handlingar lämnas ut." in pdf_text(files["handlingar.pdf"])


def test_making_a_package_is_audited(client, db, archive, registrar):
    r = make(client, registrar, reference="KS 2026/0456", q="gatan")
    assert r.status_code == 200
    with db.transaction() as s:
        entry = s.scalars(select(AuditEntry).where(
            AuditEntry.act == "records_request.made")).one()
        assert (entry.actor, entry.subject_id) == ("reg-maja", "KS 2026/0456")
        assert entry.detail["package_sha256"] == r.headers["x-package-sha256"]
        assert entry.detail["criteria"] == {"q": "gatan"}
        assert entry.detail["withheld_items"] == ["s1"]
        assert SECRET not in json.dumps(entry.detail, ensure_ascii=False)


@pytest.mark.parametrize("role, status", [("moderator", 403), ("auditor", 403),
                                          ("information_officer", 200), ("registrar", 200)])
def test_who_may_make_a_package(client, db, archive, role, status):
    token = api_token(db, role, unit="Kommunstyrelsen" if role == "moderator" else None)
    r = make(client, {"Authorization": f"Bearer {token}"})
    assert r.status_code == status, r.text
    assert audit_count(db, "records_request.made") == (1 if status == 200 else 0)


def test_a_package_needs_a_token(client, db, archive):
    assert client.post("/api/v1/records-requests", json={}).status_code == 401


@pytest.mark.parametrize("body, message", [
    ({"surprise": 1}, "extra"),
    ({"reference": "KS\x002026"}, "control characters"),
    ({"reference": "x" * 101}, "100 characters"),
    ({"secret_items": "show"}, "mask"),
    ({"category": "gossip"}, "category"),
    ({"date_from": "2026-03-02", "date_to": "2026-03-01"}, "date_from is after date_to"),
    ({"date_from": "2026-02-30"}, "date"),
    ({"q": "!!!"}, "nothing to search for"),
    ({"page_id": ["x" * 129]}, "page_id"),
    ({"author": "a\x00b"}, "NUL"),
])
def test_bad_requests_are_refused_and_write_nothing(client, db, archive, registrar, body,
                                                    message):
    r = make(client, registrar, **body)
    assert r.status_code == 422, r.text
    assert message in json.dumps(r.json(), ensure_ascii=False)
    assert audit_count(db, "records_request.made") == 0


def test_too_large_a_result_must_be_narrowed(db, archive):
    with db.transaction() as s, pytest.raises(AppError) as refused:
        collect(s, SearchFilters(), made_by="reg", max_records=6)
    assert refused.value.status == 422 and "narrow" in refused.value.message
    with db.transaction() as s:
        assert len(collect(s, SearchFilters(), made_by="reg", max_records=7).records) == 7


def test_hostile_text_stays_text(client, db, pages, registrar):  # noqa: F811
    formula = "=HYPERLINK(\"http://evil.example\",\"klicka\")"
    spoofed = "faktura\u202egpj.exe"
    with db.transaction() as s:
        add_item(s, "h1", formula, at=T0)
        add_item(s, "h2", spoofed, at=T0 + timedelta(minutes=1),
                 author=("999", "+46 70 123 45 67"))
        add_item(s, "h3", "<script>alert(1)</script> 😀", at=T0 + timedelta(minutes=2))
    files = unpack(make(client, registrar))
    records = {r["objekt_id"]: r for r in rows(files["handlingar.csv"])}
    assert records["h1"]["text"] == "'" + formula  # no spreadsheet runs it
    assert records["h2"]["avsandare"] == "'+46 70 123 45 67"
    assert records["h2"]["text"] == spoofed  # the CSV keeps the exact text
    text = pdf_text(files["handlingar.pdf"])
    assert "\u202e" not in text and f"faktura{REPLACEMENT}gpj.exe" in text
    assert "<script>alert(1)</script>" in text


def test_displayable_text():
    assert displayable("Åsa\töberg\r\nrad två") == "Åsa    öberg\nrad två"
    assert displayable("a\u202eb\u200bc\x07d") == f"a{REPLACEMENT}b{REPLACEMENT}c{REPLACEMENT}d"
    assert displayable("\U000e0001\U0010fffd") == REPLACEMENT * 2  # a tag, a private char
    assert displayable("A\u030a") == "Å"  # NFC: one glyph, not two


def test_lines_never_overflow_the_page():
    with PdfDocument(title="Prov") as doc:
        check_wrapping(doc)


def check_wrapping(doc: PdfDocument) -> None:
    width = 60.0
    text = "kort " + "x" * 400 + " och https://exempel.se/" + "väldigt/lång/" * 30 + " slut"
    lines = doc.wrap(displayable(text), width, style="", size=10)
    doc.pdf.set_font(FONT, "", 10)
    assert len(lines) > 5 and "".join(lines).replace(" ", "") == text.replace(" ", "")
    for line in lines:
        assert doc.pdf.get_string_width(line) <= width + 0.01 or len(line) == 1
    assert doc.wrap("", width, style="", size=10) == [""]
    assert doc.wrap("ett\n\ntvå", width, style="", size=10) == ["ett", "", "två"]


def test_a_long_package_numbers_its_pages(db, pages):  # noqa: F811
    with db.transaction() as s:
        for n in range(120):
            add_item(s, f"l{n}", f"Kommentar nummer {n} om vägarna " * 4,
                     at=T0 + timedelta(minutes=n))
        request = collect(s, SearchFilters(), made_by="reg",
                          secret_items=SecretItems.mask)
    from app.records.service import records_pdf

    reader = PdfReader(io.BytesIO(records_pdf(request)))
    pages_count = len(reader.pages)
    assert pages_count > 3
    last = reader.pages[-1].extract_text()
    assert f"Sida {pages_count} av {pages_count}" in last
    assert "Kommentar nummer 119" in flat(pdf_text(records_pdf(request)))
