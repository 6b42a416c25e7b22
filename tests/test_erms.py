"""The e-archive export (CITS ERMS 3.0, FGS Ärendehantering 2.0): every document produced
is validated against the schema in app/registration/schemas/."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import subprocess
import sys
import uuid
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import xmlschema
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.content.models import Item, ItemVersion
from app.content.normalise import AuthorRef
from app.content.service import upsert_author
from app.core.db import utcnow
from app.core.errors import AppError
from app.main import create_app
from app.moderation.models import MediaBlob, MediaStatus, RegistrationCase, Snapshot, SnapshotMedia
from app.moderation.service import take_snapshot
from app.pages.models import Page
from app.registration import erms
from app.registration.erms import NS, SCHEMA, NothingToExport, build_erms, write_erms
from app.registration.export_endpoints import router
from tests.conftest import SECRET_KEY, api_token

STOCKHOLM = ZoneInfo("Europe/Stockholm")
E = f"{{{NS}}}"
ROOT = Path(__file__).resolve().parents[1]
JPEG = b"\xff\xd8\xff\xe0" + "bild på en skylt, åäö".encode() * 40
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8


@cache
def schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(SCHEMA))


def valid(document: bytes) -> ET.Element:
    """Parse and validate against the XSD and the Schematron rules that can apply here."""
    schema().validate(io.BytesIO(document))
    root = ET.fromstring(document)
    for element in root.iter():
        if element.get("agentType") == "other":
            assert element.get("otherAgentType"), "agentType other needs otherAgentType"
        if element.get("dateType") == "other":
            assert element.get("otherDateType")
        if element.get("restrictionType") == "other_type":
            assert element.get("otherRestrictionType")
    return root


def stockholm(*args: int) -> datetime:
    return datetime(*args, tzinfo=STOCKHOLM)


def make_case(db, media_dir: Path, *, item: str, page: str = "5550001",
              page_name: str = "Falu kommun", unit: str = "Kommunstyrelsen",
              status: str = "registered", decided_at: datetime | None = None,
              diarienummer: str | None = "KS 2026/0001", description: str = "Synpunkt",
              text: str | None = "Hej kommunen!", sender: str | None = None,
              author: tuple[str, str] | None = ("9001", "Åsa Öberg"), secret: bool = False,
              provision: str | None = None, withhold_sender: bool = False,
              withhold_description: bool = False, media: tuple[tuple[bytes | None, str], ...] = (),
              kind: str = "comment") -> int:
    """A page, an item with one version, its snapshot (the real service), media stored as
    the worker stores them (``None`` bytes: a medium that was never stored), and a case."""
    created = stockholm(2026, 3, 2, 10, 0).astimezone(UTC)  # as the normaliser stores it
    decided_at = decided_at or stockholm(2026, 3, 2, 14, 0)
    with db.transaction() as session:
        page_row = session.scalar(select(Page).where(Page.platform_id == page))
        if page_row is None:
            page_row = Page(platform_id=page, name=page_name, unit=unit)
            session.add(page_row)
            session.flush()
        author_id = upsert_author(session, AuthorRef(*author), utcnow()).id if author else None
        item_row = Item(platform_id=item, page_id=page_row.id, kind=kind, platform_type=kind,
                        post_platform_id=f"{page}_1", parent_platform_id=f"{page}_1",
                        author_id=author_id, created_time=created)
        session.add(item_row)
        session.flush()
        version = ItemVersion(item_id=item_row.id, seq=1, text=text,
                              media=[{"type": mime.split("/")[0], "url": f"https://cdn/{i}"}
                                     for i, (_data, mime) in enumerate(media)],
                              content_sha256="0" * 64, observed_at=created, verb="add")
        session.add(version)
        session.flush()
        snap = take_snapshot(session, page_row, item_row, version, reason="registration",
                             by="system", decision=None)
        rows = session.scalars(select(SnapshotMedia).where(SnapshotMedia.snapshot_id == snap.id)
                               .order_by(SnapshotMedia.position)).all()
        for row, (data, mime) in zip(rows, media, strict=True):
            if data is None:
                row.status, row.last_error = MediaStatus.failed, "the URL expired"
                continue
            sha = hashlib.sha256(data).hexdigest()
            relative = f"{sha[:2]}/{sha[2:4]}/{sha}"
            (media_dir / relative).parent.mkdir(parents=True, exist_ok=True)
            (media_dir / relative).write_bytes(data)
            if session.get(MediaBlob, sha) is None:
                session.add(MediaBlob(sha256=sha, size=len(data), mime=mime, path=relative))
                session.flush()
            row.status, row.blob_sha256 = MediaStatus.stored, sha
        registered = status == "registered"
        case = RegistrationCase(
            item_id=item_row.id, snapshot_id=snap.id, status=status, secret=secret,
            reason="sekretess: personnummer", received_at=created,
            diarienummer=diarienummer if registered else None,
            description=description if registered else None, sender=sender,
            secrecy_provision=provision, withhold_sender=withhold_sender,
            withhold_description=withhold_description,
            decided_by="registrator1" if status != "pending" else None,
            decided_at=decided_at if status != "pending" else None)
        session.add(case)
        session.flush()
        return case.id


def export(db, media_dir: Path, date_from: date = date(2026, 3, 1),
           date_to: date = date(2026, 3, 31), page: str | None = None, **kw) -> bytes:
    with db.transaction() as session:
        return build_erms(session, date_from=date_from, date_to=date_to, page_platform_id=page,
                          media_dir=media_dir, **kw)


def aggregations(root: ET.Element) -> list[ET.Element]:
    return root.findall(f"{E}aggregations/{E}aggregation")


def own(record: ET.Element, name: str) -> str | None:
    for element in record.iterfind(f"{E}additionalInformation/{E}ownElement/{E}ownElement"):
        if element.get("name") == name:
            return element.findtext(f"{E}value")
    return None


def media_files(record: ET.Element) -> list[dict[str, str]]:
    path = f"{E}additionalInformation/{E}ownElement/{E}ownElement[@name='media']/{E}ownElement"
    return [{a.get("name"): a.findtext(f"{E}value")
             for a in f.iterfind(f"{E}property/{E}attribute")} for f in record.iterfind(path)]


@pytest.fixture
def media_dir(tmp_path: Path) -> Path:
    path = tmp_path / "media"
    path.mkdir()
    return path


# -- the document ------------------------------------------------------------------------
def test_a_secret_case_with_withheld_sender_and_description(db, media_dir):
    make_case(db, media_dir, item="5550001_10", diarienummer="KS 2026/0123",
              description="Kommentar med uppgifter om en elev på Åsens skola",
              text="Min son på Åsens skola har fått diagnosen … § 12 <b>&amp;</b>",
              sender="Åsa Öberg", secret=True, provision="OSL 23 kap. 2 §",
              withhold_sender=True, withhold_description=True,
              media=((JPEG, "image/jpeg"), (None, "video/mp4"), (PNG, "image/png")))
    exported_at = datetime(2026, 4, 1, 8, 0, tzinfo=UTC)
    root = valid(export(db, media_dir, exported_at=exported_at))

    control = root.find(f"{E}control")
    assert control.findtext(f"{E}maintenanceInformation/{E}maintenanceAgency/{E}agencyName") \
        == "Uppsikt"
    event = control.find(f"{E}maintenanceInformation/{E}maintenanceHistory/{E}maintenanceEvent")
    assert event.findtext(f"{E}eventDateTime") == "2026-04-01T10:00:00+02:00"
    assert event.find(f"{E}agent").get("agentType") == "deliverer"
    ids = {i.get("identificationType"): i.text for i in control.iterfind(f"{E}identification")}
    assert ids == {"deliveringSystem": "Uppsikt", "registrationPeriod": "2026-03-01/2026-03-31"}

    [agg] = aggregations(root)
    assert agg.get("aggregationType") == "caseFile"
    assert agg.findtext(f"{E}objectId") == "KS 2026/0123"
    # The archive keeps the secret: the description is there, marked as withheld.
    assert agg.findtext(f"{E}title") == "Kommentar med uppgifter om en elev på Åsens skola"
    restrictions = agg.findall(f"{E}restriction")
    assert [r.findtext(f"{E}explanatoryText") for r in restrictions] == [
        "Innehållet omfattas av sekretess.",
        "Avsändaren utelämnas i det offentliga registret (OSL 5 kap. 2 §).",
        "Ärendemeningen utelämnas i det offentliga registret (OSL 5 kap. 2 §)."]
    assert {r.get("restrictionType") for r in restrictions} == {"confidential"}
    assert {r.findtext(f"{E}regulation") for r in restrictions} == {"OSL 23 kap. 2 §"}
    assert restrictions[0].findtext(f"{E}dates/{E}date") == "2026-03-02T14:00:00+01:00"

    agents = {a.get("agentType"): a for a in agg.iterfind(f"{E}agents/{E}agent")}
    assert agents["creator"].findtext(f"{E}name") == "registrator1"
    assert agents["creator"].findtext(f"{E}role") == "registrator"
    assert agents["counterpart"].findtext(f"{E}name") == "Åsa Öberg"
    assert agents["counterpart"].findtext(f"{E}idNumber") == "9001"
    assert agents["other"].get("otherAgentType") == "facebook_page"
    assert agents["other"].findtext(f"{E}organisation") == "Kommunstyrelsen"
    assert agents["other"].findtext(f"{E}idNumber") == "5550001"
    dates = {d.get("dateType"): d.text for d in agg.iterfind(f"{E}dates/{E}date")}
    assert dates == {"created": "2026-03-02T10:00:00+01:00",
                     "received": "2026-03-02T10:00:00+01:00",
                     "opened": "2026-03-02T14:00:00+01:00"}

    [record] = agg.findall(f"{E}record")
    assert record.findtext(f"{E}objectId") == "KS 2026/0123:1"
    assert record.findtext(f"{E}title") == "Kommentar på Facebooksidan Falu kommun"
    assert record.find(f"{E}direction").get("directionDefinition") == "incoming"
    # Sender and content restrictions; the record's title is not the withheld description.
    assert len(record.findall(f"{E}restriction")) == 2
    assert {a.get("agentType") for a in record.iterfind(f"{E}agents/{E}agent")} == \
        {"sender", "receiver"}
    rdates = {d.get("dateType"): d.text for d in record.iterfind(f"{E}dates/{E}date")}
    assert rdates["originated"] == "2026-03-02T14:00:00+01:00"
    assert set(rdates) == {"created", "received", "originated", "captured"}
    assert own(record, "text") == "Min son på Åsens skola har fått diagnosen … § 12 <b>&amp;</b>"
    assert own(record, "senderName") == "Åsa Öberg"
    assert own(record, "permalink") == "https://www.facebook.com/5550001_1?comment_id=10"

    with db.transaction() as session:
        snap = session.scalar(select(Snapshot))
        snap_sha, snap_id = snap.sha256, snap.id
    assert own(record, "snapshotSha256") == snap_sha
    content = own(record, "snapshotContent")
    assert hashlib.sha256(content.encode()).hexdigest() == snap_sha
    assert json.loads(content)["media"] == ["https://cdn/0", "https://cdn/1", "https://cdn/2"]
    assert {e.get("extraIdType"): e.text for e in record.iterfind(f"{E}extraId")} == \
        {"facebookId": "5550001_10", "snapshotId": str(snap_id)}

    jpeg, png = hashlib.sha256(JPEG).hexdigest(), hashlib.sha256(PNG).hexdigest()
    appendices = record.findall(f"{E}additionalInformation/{E}appendix")
    assert [(a.get("path"), a.get("fileFormat")) for a in appendices] == [
        (f"media/{jpeg}", "image/jpeg"), (f"media/{png}", "image/png")]
    assert appendices[0].get("description") == f"SHA-256 {jpeg}, {len(JPEG)} bytes"
    files = media_files(record)
    assert files[0] == {"position": "0", "kind": "image", "status": "stored", "sha256": jpeg,
                        "size": str(len(JPEG)), "mimeType": "image/jpeg",
                        "path": f"media/{jpeg}"}
    assert files[1] == {"position": "1", "kind": "video", "status": "failed"}
    assert files[2]["sha256"] == png and files[2]["size"] == str(len(PNG))


def test_a_public_case_has_no_restriction_and_the_facebook_sender(db, media_dir):
    make_case(db, media_dir, item="5550001_11", description="Fråga om snöröjning",
              text="När plogas Vikagatan?")
    [agg] = aggregations(valid(export(db, media_dir)))
    assert agg.findall(f".//{E}restriction") == []
    assert agg.findtext(f"{E}title") == "Fråga om snöröjning"
    # No sender in the registration record: the Facebook name from the snapshot.
    counterpart = agg.find(f"{E}agents/{E}agent[@agentType='counterpart']")
    assert counterpart.findtext(f"{E}name") == "Åsa Öberg"


def test_a_provision_without_the_secret_flag_and_a_flag_without_a_provision(db, media_dir):
    make_case(db, media_dir, item="5550001_12", provision="OSL 26 kap. 1 §")
    make_case(db, media_dir, item="5550001_13", secret=True, diarienummer="KS 2026/0002")
    first, second = aggregations(valid(export(db, media_dir)))
    assert [r.findtext(f"{E}regulation") for r in first.findall(f"{E}restriction")] == \
        ["OSL 26 kap. 1 §"]
    assert [r.findtext(f"{E}regulation") for r in second.findall(f"{E}restriction")] == \
        ["Ej angiven vid registreringen"]


def test_a_sender_unknown_to_facebook_and_the_registrar(db, media_dir):
    make_case(db, media_dir, item="5550001_14", author=None, kind="message")
    [agg] = aggregations(valid(export(db, media_dir)))
    assert agg.find(f"{E}agents/{E}agent[@agentType='counterpart']") is None
    record = agg.find(f"{E}record")
    assert record.findtext(f"{E}title") == "Meddelande till Facebooksidan Falu kommun"
    assert record.find(f"{E}notes/{E}note").get("noteType") == "senderMissing"


def test_characters_xml_cannot_carry_are_kept_exactly_in_base64(db, media_dir):
    text = "skräp\x01\x1f mitt i \ufffe texten"
    make_case(db, media_dir, item="5550001_15", text=text, author=("9002", "Bo\x07 Ek"))
    [agg] = aggregations(valid(export(db, media_dir)))
    record = agg.find(f"{E}record")
    element = next(e for e in record.iter(f"{E}ownElement") if e.get("name") == "text")
    assert element.get("dataType") == "base64Binary"
    assert base64.b64decode(element.findtext(f"{E}value")).decode() == text
    content = base64.b64decode(own(record, "snapshotContent")).decode()
    with db.transaction() as session:
        assert hashlib.sha256(content.encode()).hexdigest() == \
            session.scalar(select(Snapshot.sha256))
    # In a name, such a character is replaced.
    assert agg.findtext(f"{E}agents/{E}agent[@agentType='counterpart']/{E}name") == "Bo\ufffd Ek"


def test_without_media_the_files_are_listed_but_not_referenced(db, media_dir):
    make_case(db, media_dir, item="5550001_16", media=((JPEG, "image/jpeg"),))
    with db.transaction() as session:
        result = write_erms(session, io.BytesIO(), date_from=date(2026, 3, 1),
                            date_to=date(2026, 3, 31), page_platform_id=None,
                            media_dir=media_dir, include_media=False)
    assert result.cases == 1 and result.media == {}
    record = aggregations(valid(export(db, media_dir, include_media=False)))[0].find(f"{E}record")
    assert record.findall(f"{E}additionalInformation/{E}appendix") == []
    [medium] = media_files(record)
    assert medium["sha256"] == hashlib.sha256(JPEG).hexdigest() and "path" not in medium


def test_a_media_file_gone_from_the_store_is_marked_missing(db, media_dir):
    make_case(db, media_dir, item="5550001_17", media=((JPEG, "image/jpeg"), (PNG, "image/png")))
    sha = hashlib.sha256(JPEG).hexdigest()
    (media_dir / sha[:2] / sha[2:4] / sha).unlink()
    with db.transaction() as session:
        out = io.BytesIO()
        result = write_erms(session, out, date_from=date(2026, 3, 1), date_to=date(2026, 3, 31),
                            page_platform_id=None, media_dir=media_dir)
    assert result.missing == {sha} and list(result.media) == [hashlib.sha256(PNG).hexdigest()]
    record = aggregations(valid(out.getvalue()))[0].find(f"{E}record")
    assert len(record.findall(f"{E}additionalInformation/{E}appendix")) == 1
    assert [m["status"] for m in media_files(record)] == ["missing", "stored"]


def test_the_same_file_in_two_cases_is_packed_once(db, media_dir):
    make_case(db, media_dir, item="5550001_18", media=((JPEG, "image/jpeg"),))
    make_case(db, media_dir, item="5550001_19", media=((JPEG, "image/jpeg"),),
              diarienummer="KS 2026/0002")
    with db.transaction() as session:
        result = write_erms(session, io.BytesIO(), date_from=date(2026, 3, 1),
                            date_to=date(2026, 3, 31), page_platform_id=None,
                            media_dir=media_dir)
    assert result.cases == 2 and list(result.media) == [hashlib.sha256(JPEG).hexdigest()]


# -- which cases ---------------------------------------------------------------------------
def test_only_cases_registered_in_the_period_in_swedish_time(db, media_dir):
    cases = {
        # 00:30 on the first day in Stockholm is 23:30 UTC the day before: in.
        "first": stockholm(2026, 3, 1, 0, 30),
        # 23:30 on the last day: in (in summer time too).
        "last": stockholm(2026, 3, 31, 23, 30),
        "before": stockholm(2026, 2, 28, 23, 59, 59),
        # 00:10 on the day after is still the last day in UTC: out.
        "after": stockholm(2026, 4, 1, 0, 10),
    }
    for n, (name, at) in enumerate(cases.items()):
        make_case(db, media_dir, item=f"5550001_2{n}", decided_at=at, diarienummer=name)
    make_case(db, media_dir, item="5550001_30", status="pending")
    make_case(db, media_dir, item="5550001_31", status="not_required",
              decided_at=stockholm(2026, 3, 10, 12, 0))
    root = valid(export(db, media_dir))
    assert [a.findtext(f"{E}objectId") for a in aggregations(root)] == ["first", "last"]
    root = valid(export(db, media_dir, date_from=date(2026, 3, 31), date_to=date(2026, 3, 31)))
    assert [a.findtext(f"{E}objectId") for a in aggregations(root)] == ["last"]


def test_one_page(db, media_dir):
    make_case(db, media_dir, item="5550001_40", diarienummer="KS 2026/1")
    make_case(db, media_dir, item="7770001_41", page="7770001", page_name="Kulturhuset",
              unit="Kultur- och fritidsförvaltningen", diarienummer="KFN 2026/7")
    root = valid(export(db, media_dir, page="7770001"))
    assert [a.findtext(f"{E}objectId") for a in aggregations(root)] == ["KFN 2026/7"]
    ids = {i.get("identificationType"): i.text
           for i in root.iterfind(f"{E}control/{E}identification")}
    assert ids["facebookPageId"] == "7770001"
    assert len(aggregations(valid(export(db, media_dir)))) == 2
    with pytest.raises(AppError, match="no page 123") as info:
        export(db, media_dir, page="123")
    assert info.value.status == 404


def test_an_empty_period_is_refused_not_written(db, media_dir):
    """The schema needs at least one aggregation: there is no valid empty document."""
    make_case(db, media_dir, item="5550001_50")
    out = io.BytesIO()
    with db.transaction() as session, pytest.raises(NothingToExport) as info:
        write_erms(session, out, date_from=date(2026, 5, 1), date_to=date(2026, 5, 31),
                   page_platform_id=None, media_dir=media_dir)
    assert info.value.status == 404 and out.getvalue() == b""
    assert "no cases registered from 2026-05-01 to 2026-05-31" in info.value.message
    with pytest.raises(AppError) as info:
        export(db, media_dir, date_from=date(2026, 4, 1), date_to=date(2026, 3, 1))
    assert info.value.status == 422


def test_batches_keep_every_case_once_in_order(db, media_dir, monkeypatch):
    monkeypatch.setattr(erms, "BATCH", 2)
    same = stockholm(2026, 3, 5, 9, 0)
    for n in range(7):  # five at the very same moment: the id breaks the tie
        make_case(db, media_dir, item=f"5550001_6{n}", diarienummer=f"KS 2026/{n}",
                  decided_at=same if n < 5 else stockholm(2026, 3, 4 + n, 9, 0))
    root = valid(export(db, media_dir))
    assert [a.findtext(f"{E}objectId") for a in aggregations(root)] == \
        [f"KS 2026/{n}" for n in range(7)]


def test_identifiers_are_stable_between_exports(db, media_dir):
    make_case(db, media_dir, item="5550001_70")
    first = valid(export(db, media_dir, exported_at=datetime(2026, 4, 1, tzinfo=UTC)))
    second = valid(export(db, media_dir, exported_at=datetime(2026, 5, 1, tzinfo=UTC)))

    def ids(root):
        return [e.get("systemIdentifier") for e in root.iter() if e.get("systemIdentifier")]

    assert ids(first) == ids(second) and len(ids(first)) == 2
    assert all(uuid.UUID(i) for i in ids(first))


def test_parse_day():
    assert erms.parse_day("2026-03-01") == date(2026, 3, 1)
    for bad in ("2026-02-30", "20260301", "2026-3-1", "i går", "2026-03-01T00:00"):
        with pytest.raises(ValueError):
            erms.parse_day(bad)


# -- the command ---------------------------------------------------------------------------
def cli(database_url: str, media_dir: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "UPPSIKT_DATABASE_URL": database_url, "UPPSIKT_SECRET_KEY": SECRET_KEY,
           "UPPSIKT_MEDIA_DIR": str(media_dir), "UPPSIKT_LOG_JSON": "true"}
    code = "from app.registration.export_cli import export_app; export_app()"
    return subprocess.run([sys.executable, "-c", code, "erms", *args], capture_output=True,
                          env=env, cwd=ROOT, timeout=60)


def test_cli_writes_a_zip_package_with_the_media(db, database_url, media_dir, tmp_path):
    make_case(db, media_dir, item="5550001_80", secret=True, provision="OSL 26 kap. 1 §",
              media=((JPEG, "image/jpeg"), (PNG, "image/png")))
    make_case(db, media_dir, item="5550001_81", media=((JPEG, "image/jpeg"),),
              diarienummer="KS 2026/0002")
    out = tmp_path / "export" / "mars.zip"
    result = cli(database_url, media_dir, "--from", "2026-03-01", "--to", "2026-03-31",
                 "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert b"2 cases, 2 media files" in result.stderr
    with zipfile.ZipFile(out) as package:
        names = package.namelist()
        root = valid(package.read("erms.xml"))
        paths = {a.get("path") for a in root.iter(f"{E}appendix")}
        assert sorted(names) == sorted(["erms.xml", *paths]) and len(paths) == 2
        for path in paths:
            assert hashlib.sha256(package.read(path)).hexdigest() == path.removeprefix("media/")
    assert len(aggregations(root)) == 2


def test_cli_writes_xml_to_a_file_or_stdout(db, database_url, media_dir, tmp_path):
    make_case(db, media_dir, item="5550001_82", page="7770001", media=((PNG, "image/png"),))
    make_case(db, media_dir, item="5550001_83", diarienummer="KS 2026/0002")
    out = tmp_path / "mars.xml"
    result = cli(database_url, media_dir, "--from", "2026-03-01", "--to", "2026-03-31",
                 "--page", "7770001", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert b"refers to 1 media files" in result.stderr  # not in a bare XML file
    assert len(aggregations(valid(out.read_bytes()))) == 1
    result = cli(database_url, media_dir, "--from", "2026-03-01", "--to", "2026-03-31",
                 "--no-media")
    assert result.returncode == 0, result.stderr
    root = valid(result.stdout)
    assert len(aggregations(root)) == 2 and list(root.iter(f"{E}appendix")) == []


@pytest.mark.parametrize(("args", "message"), [
    (("--from", "2026-02-30", "--to", "2026-03-31"), b"--from"),
    (("--from", "2026-03-01", "--to", "31/3"), b"--to"),
    (("--from", "2026-03-31", "--to", "2026-03-01"), b"after"),
    (("--from", "2026-03-01", "--to", "2026-03-31", "--out", "x.tar"), b".zip or .xml"),
    (("--to", "2026-03-31",), b"--from"),
])
def test_cli_refuses_bad_arguments(db, database_url, media_dir, tmp_path, args, message):
    result = cli(database_url, media_dir, *args)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and result.stdout == b""


def test_cli_empty_period_and_a_damaged_media_file_write_nothing(db, database_url, media_dir,
                                                                tmp_path):
    make_case(db, media_dir, item="5550001_84", media=((JPEG, "image/jpeg"),))
    out = tmp_path / "maj.zip"
    result = cli(database_url, media_dir, "--from", "2026-05-01", "--to", "2026-05-31",
                 "--out", str(out))
    assert result.returncode == 1 and b"no cases registered" in result.stderr
    assert not out.exists()
    sha = hashlib.sha256(JPEG).hexdigest()
    (media_dir / sha[:2] / sha[2:4] / sha).write_bytes(JPEG + b"!")
    result = cli(database_url, media_dir, "--from", "2026-03-01", "--to", "2026-03-31",
                 "--out", str(out))
    assert result.returncode == 1 and b"SHA-256" in result.stderr
    assert list(tmp_path.glob("maj*")) == []


# -- the API -------------------------------------------------------------------------------
PATH = "/api/v1/registration/export/erms"


@pytest.fixture
def export_client(settings, db) -> Iterator[TestClient]:
    app = create_app(settings)
    if not any(getattr(route, "path", None) == PATH for route in app.routes):
        app.include_router(router)  # until app/main.py includes it
    with TestClient(app) as client:
        yield client


def test_api_export_for_registrars_and_information_officers(export_client, db, settings):
    make_case(db, settings.media_dir, item="5550001_90", secret=True, provision="OSL 26 kap. 1 §",
              media=((JPEG, "image/jpeg"),))
    for role in ("registrar", "information_officer"):
        r = export_client.get(PATH, params={"from": "2026-03-01", "to": "2026-03-31"},
                              headers={"Authorization": f"Bearer {api_token(db, role)}"})
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "application/xml"
        assert r.headers["content-disposition"] == \
            'attachment; filename="erms-2026-03-01-2026-03-31.xml"'
        assert r.headers["cache-control"] == "no-store"
        [agg] = aggregations(valid(r.content))
        assert agg.find(f".//{E}appendix") is not None
    r = export_client.get(PATH, params={"from": "2026-03-01", "to": "2026-03-31",
                                        "page": "5550001", "media": "false"},
                          headers={"Authorization": f"Bearer {api_token(db, 'registrar')}"})
    assert r.status_code == 200
    assert r.headers["content-disposition"].endswith('-5550001.xml"')
    assert valid(r.content).find(f".//{E}appendix") is None
    with db.transaction() as s:  # who took the secret content out is in the audit log
        entries = s.scalars(select(AuditEntry).where(AuditEntry.act == "registration.exported")
                            .order_by(AuditEntry.id)).all()
    assert [e.detail["page"] for e in entries] == [None, None, "5550001"]
    assert entries[-1].detail["sha256"] == hashlib.sha256(r.content).hexdigest()
    assert entries[-1].detail["via"] == "api" and entries[-1].subject_id == "2026-03-01/2026-03-31"


def test_api_export_refuses_other_roles_and_bad_requests(export_client, db, settings):
    make_case(db, settings.media_dir, item="5550001_91")
    params = {"from": "2026-03-01", "to": "2026-03-31"}
    assert export_client.get(PATH, params=params).status_code == 401
    for role, unit in (("moderator", "Kommunstyrelsen"), ("auditor", None)):
        token = api_token(db, role, unit=unit)
        r = export_client.get(PATH, params=params, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 403
    headers = {"Authorization": f"Bearer {api_token(db, 'registrar')}"}
    for bad in ({"from": "2026-02-30", "to": "2026-03-31"}, {"from": "mars", "to": "2026-03-31"},
                {"to": "2026-03-31"}, {"from": "2026-03-31", "to": "2026-03-01"}):
        r = export_client.get(PATH, params=bad, headers=headers)
        assert r.status_code == 422, (bad, r.text)
    r = export_client.get(PATH, params={"from": "2026-05-01", "to": "2026-05-31"},
                          headers=headers)
    assert r.status_code == 404 and r.json()["code"] == "nothing_to_export"
    r = export_client.get(PATH, params={**params, "page": "nope"}, headers=headers)
    assert r.status_code == 404 and r.json()["detail"] == "no page nope"
