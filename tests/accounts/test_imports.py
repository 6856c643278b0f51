import io
import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from accounts.models import Account, Contact, OrderLine
from accounts.services.imports import import_table
from tests.factories import AccountFactory, ProductFactory

pytestmark = pytest.mark.django_db

ACCOUNTS_CSV = """external_ref,name,owner,country,vat_id,currency,parent_ref,is_key_account
ERP-1,Nordlicht Media,kam,DE,DE136695976,EUR,,yes
ERP-2,Nordlicht Digital,kam2,DE,,EUR,ERP-1,no
"""


def run(kind, text, filename="data.csv", **kwargs):
    content = text.encode("utf-8") if isinstance(text, str) else text
    return import_table(kind=kind, content=content, filename=filename, **kwargs)


def test_accounts_import_and_reimport_is_idempotent(cast):
    report = run("accounts", ACCOUNTS_CSV)
    assert report.ok, report.errors
    assert (report.created, report.updated) == (2, 0)
    child = Account.objects.get(external_ref="ERP-2")
    assert child.parent.external_ref == "ERP-1"
    assert child.owner == cast.kam2
    assert Account.objects.get(external_ref="ERP-1").is_key_account
    # same file again, one name changed: updates, no duplicates
    report = run(
        "accounts", ACCOUNTS_CSV.replace("Nordlicht Digital", "Nordlicht Online")
    )
    assert (report.created, report.updated) == (0, 2)
    assert Account.objects.count() == 2
    assert Account.objects.get(external_ref="ERP-2").name == "Nordlicht Online"


def test_semicolon_csv_with_bom(cast):
    text = "\ufeffexternal_ref;name;owner\nERP-9;Hanse Verlag;kam\n"
    assert run("accounts", text).ok
    assert Account.objects.filter(name="Hanse Verlag").exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("external_ref,name\nE1,X\n", "Missing columns: owner"),
        ("external_ref,name,owner,colour\nE1,X,kam,red\n", "Unknown columns: colour"),
        (
            'external_ref,name,owner\nE1,=HYPERLINK("x"),kam\n',
            "formulas are not imported",
        ),
        ("external_ref,name,owner\nE1,@SUM(A1),kam\n", "formulas are not imported"),
        ("external_ref,name,owner\nE1,A,kam\nE1,B,kam\n", "Duplicate reference"),
        (
            "external_ref,name,owner,country,vat_id\nE1,A,kam,DE,DE123456789\n",
            "not a valid VAT id",
        ),
        ("external_ref,name,owner\nE1,A,nobody\n", "No active user"),
        ("external_ref,name,owner,parent_ref\nE1,A,kam,E2\nE2,B,kam,E1\n", "circle"),
        ("external_ref,name,owner,strategic_fit\nE1,A,kam,7\n", "1 to 5"),
        ("", "empty"),
    ],
)
def test_bad_account_files_import_nothing(cast, text, message):
    report = run("accounts", text)
    assert not report.ok
    assert any(message in m for _row, _col, m in report.errors), report.errors
    assert not Account.objects.exists()


def test_one_bad_row_stops_the_whole_file(cast):
    text = ACCOUNTS_CSV + "ERP-3,Broken,kam,XX1,,EUR,,maybe\n"
    report = run("accounts", text)
    assert [(r, c) for r, c, _m in report.errors] == [(4, "country")]
    assert not Account.objects.exists()


def test_wrong_encoding_is_explained(cast):
    report = run(
        "accounts", "external_ref,name,owner\nE1,Müller,kam\n".encode("latin-1")
    )
    assert "not UTF-8" in report.errors[0][2]
    assert not Account.objects.exists()


def test_dry_run_checks_without_saving(cast):
    report = run("accounts", ACCOUNTS_CSV, dry_run=True)
    assert report.ok
    assert report.rows == 2
    assert not Account.objects.exists()


def test_contacts_import_with_reporting_lines(cast):
    AccountFactory(owner=cast.kam, external_ref="ERP-1")
    text = (
        "external_ref,account_ref,first_name,last_name,role,influence,attitude,reports_to_ref,email\n"
        "C1,ERP-1,Vera,Meier,decision_maker,5,supporter,,vera@nordlicht.example\n"
        "C2,ERP-1,Jan,Hartmann,it,4,critic,C1,jan@nordlicht.example\n"
    )
    report = run("contacts", text)
    assert report.ok, report.errors
    assert Contact.objects.get(external_ref="C2").reports_to.external_ref == "C1"
    bad = text.replace("jan@nordlicht.example", "jan@").replace(
        "C1,ERP-1", "C1,ERP-404"
    )
    report = run("contacts", bad)
    assert {c for _r, c, _m in report.errors} == {"account_ref", "email"}


def test_order_history_from_xlsx(cast):
    AccountFactory(owner=cast.kam, external_ref="ERP-1")
    ProductFactory(code="SEAT")
    today = timezone.localdate()
    content = xlsx(
        [
            [
                "external_ref",
                "account_ref",
                "ordered_on",
                "product_code",
                "quantity",
                "net_amount",
                "currency",
            ],
            ["SO-1", "ERP-1", today - timedelta(days=3), "SEAT", 10, 3600.5, "EUR"],
            ["SO-2", "ERP-1", "2026-01-15", "SEAT", "-1", "-360", "EUR"],
        ]
    )
    report = run("orders", content, filename="orders.xlsx")
    assert report.ok, report.errors
    lines = {line.external_ref: line for line in OrderLine.objects.all()}
    assert str(lines["SO-1"].net_amount) == "3600.50"
    assert str(lines["SO-2"].quantity) == "-1.00"  # a credit is a number, not a formula
    assert run("orders", content, filename="orders.xlsx").updated == 2
    assert OrderLine.objects.count() == 2


def test_future_orders_and_unknown_products_are_refused(cast):
    AccountFactory(owner=cast.kam, external_ref="ERP-1")
    ProductFactory(code="SEAT")
    future = (timezone.localdate() + timedelta(days=2)).isoformat()
    text = (
        "external_ref,account_ref,ordered_on,product_code,quantity,net_amount,currency\n"
        f"SO-1,ERP-1,{future},SEAT,1,10,EUR\n"
        "SO-2,ERP-1,2026-01-10,NOPE,1,10,EUR\n"
    )
    report = run("orders", text)
    assert [(r, c) for r, c, _m in report.errors] == [
        (2, "ordered_on"),
        (3, "product_code"),
    ]
    assert not OrderLine.objects.exists()


def test_broken_xlsx_is_explained(cast):
    report = run("accounts", b"PK\x03\x04 this is not a workbook", filename="a.xlsx")
    assert "cannot be read as an Excel workbook" in report.errors[0][2]


def test_import_page_is_for_admins_and_cs(client, cast):
    url = reverse("accounts:import")
    client.force_login(cast.kam)
    assert client.get(url).status_code == 403
    client.force_login(cast.admin)
    upload = SimpleUploadedFile("a.csv", ACCOUNTS_CSV.encode())
    response = client.post(url, {"kind": "accounts", "file": upload})
    assert "Imported 2 rows: 2 new, 0 updated." in response.content.decode()
    upload = SimpleUploadedFile("a.csv", b"external_ref,name\nX,Y\n")
    response = client.post(url, {"kind": "accounts", "file": upload})
    assert "Missing columns: owner" in response.content.decode()
    assert "nothing was imported" in response.content.decode()


def test_oversized_import_is_refused_before_reading(client, cast, settings):
    settings.KAM_IMPORT_MAX_BYTES = 20
    client.force_login(cast.admin)
    upload = SimpleUploadedFile("a.csv", ACCOUNTS_CSV.encode())
    response = client.post(
        reverse("accounts:import"), {"kind": "accounts", "file": upload}
    )
    assert "The file is too large." in response.content.decode()
    assert not Account.objects.exists()


def xlsx(rows, *, dimension=None) -> bytes:
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    content = buffer.getvalue()
    if dimension is None:
        return content
    # a sheet that claims a size it does not have
    import zipfile

    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(content)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[^"]*"', dimension, data)
            dst.writestr(item, data)
    return out.getvalue()


def test_formula_cells_in_a_workbook_are_refused(cast):
    content = xlsx(
        [["external_ref", "name", "owner"], ["E1", '=HYPERLINK("http://x")', "kam"]]
    )
    report = run("accounts", content, filename="a.xlsx")
    assert not report.ok and "formulas are not imported" in report.errors[0][2]
    assert not Account.objects.exists()


def test_a_zip_bomb_is_refused_before_it_is_unpacked(cast):
    """An XLSX whose sheet unpacks to 1 GB of zeros from about 1 MB."""
    import tracemalloc
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as bomb:
        bomb.writestr("[Content_Types].xml", "<Types/>")
        with bomb.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            chunk = b"0" * 2**20
            for _ in range(1024):
                sheet.write(chunk)
    content = out.getvalue()
    assert len(content) < 2 * 2**20
    tracemalloc.start()
    report = run("accounts", content, filename="a.xlsx")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert "no ordinary spreadsheet" in report.errors[0][2]
    assert "1,024 MB" in report.errors[0][2]
    assert peak < 50 * 2**20  # it was never unpacked
    assert not Account.objects.exists()


def test_a_sheet_claiming_a_huge_size_is_read_as_it_is(cast):
    content = xlsx(
        [["external_ref", "name", "owner"], ["E1", "Nordlicht", "kam"]],
        dimension=b'<dimension ref="A1:XFD1048576"',
    )
    report = run("accounts", content, filename="a.xlsx")
    assert report.ok, report.errors
    assert Account.objects.get().name == "Nordlicht"


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("external_ref,name,owner,name", "A column name appears twice."),
        ("external_ref,Name ,owner,NAME", "A column name appears twice."),
        ("external_ref,name,owner,=cmd|' /C calc'!A0", "Unknown columns"),
    ],
)
def test_bad_columns_import_nothing(cast, header, message):
    report = run("accounts", f"{header}\nE1,A,kam,B\n")
    assert message in " ".join(e[2] for e in report.errors)
    assert not Account.objects.exists()


@pytest.mark.parametrize("encoding", ["utf-16", "latin-1", "cp1252", "utf-32"])
def test_other_encodings_are_explained(cast, encoding):
    content = "external_ref,name,owner\nE1,Müller & Söhne,kam\n".encode(encoding)
    report = run("accounts", content)
    assert "not UTF-8" in report.errors[0][2] or "binary data" in report.errors[0][2]
    assert not Account.objects.exists()


def test_too_many_rows_stop_the_reading(cast, settings):
    settings.KAM_IMPORT_MAX_ROWS = 3
    rows = "".join(f"E{i},A{i},kam\n" for i in range(10))
    for content, name in [
        ("external_ref,name,owner\n" + rows, "a.csv"),
        (
            xlsx([["external_ref", "name", "owner"]]
                 + [[f"E{i}", f"A{i}", "kam"] for i in range(10)]),
            "a.xlsx",
        ),
    ]:  # fmt: skip
        report = run("accounts", content, filename=name)
        assert "At most 3 rows per file." in report.errors[0][2]
    assert not Account.objects.exists()


def test_a_50_mb_upload_is_refused_with_a_message(client, cast):
    client.force_login(cast.admin)
    big = b"external_ref,name,owner\n" + b"E1,A,kam\n" * (50 * 2**20 // 9)
    upload = SimpleUploadedFile("big.csv", big)
    response = client.post(
        reverse("accounts:import"), {"kind": "accounts", "file": upload}
    )
    assert response.status_code == 200
    assert "The file is too large." in response.content.decode()
    assert not Account.objects.exists()


def test_imported_accounts_have_their_history(cast):
    """Imports used to write accounts without history rows: nobody could tell who
    created or changed an account by a file."""
    report = import_table(
        kind="accounts", content=ACCOUNTS_CSV.encode(), filename="a.csv",
        actor=cast.admin,
    )  # fmt: skip
    assert report.ok, report.errors
    media = Account.objects.get(external_ref="ERP-1")
    [created] = media.history.all()
    assert (created.history_type, created.history_user, created.history_change_reason) == (
        "+", cast.admin, "import",
    )  # fmt: skip
    # the same file again changes nothing, so it writes no history either
    import_table(kind="accounts", content=ACCOUNTS_CSV.encode(), filename="a.csv")
    assert media.history.count() == 1
    # a changed name is a "changed" row with the new name
    changed = ACCOUNTS_CSV.replace("Nordlicht Media,", "Nordlicht Media Group,")
    import_table(kind="accounts", content=changed.encode(), filename="a.csv",
                 actor=cast.admin)  # fmt: skip
    latest = media.history.first()
    assert (latest.history_type, latest.name) == ("~", "Nordlicht Media Group")
    assert Account.objects.get(external_ref="ERP-2").history.count() == 1
