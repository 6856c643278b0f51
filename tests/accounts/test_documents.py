import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Document, TimelineEntry
from accounts.services import activity
from core.exceptions import ApplicationError
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def upload(account, user, name, content, content_type="application/octet-stream"):
    return activity.document_upload(
        account=account,
        actor=user,
        uploaded_file=SimpleUploadedFile(name, content, content_type),
        title="Contract draft",
    )


def test_upload_checks_content_and_gives_a_safe_name(cast):
    account = AccountFactory(owner=cast.kam)
    document = upload(account, cast.kam, "../../Vertrag 2027 <final>.exe", PDF)
    assert document.mimetype == "application/pdf"
    assert document.filename == "Vertrag_2027_final.pdf"
    assert len(document.sha256) == 64
    assert TimelineEntry.objects.filter(document=document).exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("invoice.pdf", b"<html><script>alert(1)</script></html>", "text/html"),
        ("report.pdf", b"MZ\x90\x00\x03" + b"\x00" * 200, "cannot be filed"),
        ("empty.pdf", b"", "empty"),
    ],
)
def test_disguised_or_empty_uploads_are_refused(cast, name, content, message):
    account = AccountFactory(owner=cast.kam)
    with pytest.raises(ApplicationError, match=message):
        upload(account, cast.kam, name, content)
    assert not Document.objects.exists()
    assert not TimelineEntry.objects.exists()


def test_oversized_upload_is_refused(cast, settings):
    settings.KAM_DOCUMENT_MAX_BYTES = 1024
    account = AccountFactory(owner=cast.kam)
    with pytest.raises(ApplicationError, match=r"at most 1\.0"):
        upload(account, cast.kam, "big.pdf", PDF + b"0" * 2048)
    assert not Document.objects.exists()


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("kam", 200),
        ("kam2", 200),
        ("manager", 200),
        ("cs", 200),
        ("kam3", 404),
        ("manager2", 404),
    ],
)
def test_download_only_for_users_who_see_the_account(client, cast, who, status):
    account = AccountFactory(owner=cast.kam, deputy=cast.kam2)
    document = upload(account, cast.kam, "notes.pdf", PDF)
    client.force_login(getattr(cast, who))
    response = client.get(reverse("accounts:document-download", args=[document.pk]))
    assert response.status_code == status
    if status == 200:
        assert response["Content-Disposition"] == 'attachment; filename="notes.pdf"'
        assert response["Content-Type"] == "application/pdf"
        assert b"".join(response.streaming_content) == PDF


def test_upload_page_rejects_bad_files_with_a_message(client, cast):
    account = AccountFactory(owner=cast.kam)
    client.force_login(cast.kam)
    response = client.post(
        reverse("accounts:document-upload", args=[account.pk]),
        {"file": SimpleUploadedFile("x.pdf", b"<svg onload=alert(1)>"), "title": "x"},
        follow=True,
    )
    assert "cannot be filed" in response.content.decode()
    assert not Document.objects.exists()


def test_customer_services_cannot_upload(client, cast):
    account = AccountFactory(owner=cast.kam)
    client.force_login(cast.cs)
    response = client.post(
        reverse("accounts:document-upload", args=[account.pk]),
        {"file": SimpleUploadedFile("x.pdf", PDF)},
    )
    assert response.status_code == 403
    assert not Document.objects.exists()


def test_uploads_are_not_served_under_media_even_with_debug(client, cast, settings):
    """make run has DEBUG on: the files must still go only through the checked
    download view, never straight from MEDIA_URL to anyone."""
    import importlib

    from django.urls import Resolver404, clear_url_caches, resolve

    import kam.urls

    account = AccountFactory(owner=cast.kam)
    document = upload(account, cast.kam, "notes.pdf", PDF)
    path = settings.MEDIA_URL + document.file.name
    settings.DEBUG = True
    try:
        importlib.reload(kam.urls)
        clear_url_caches()
        with pytest.raises(Resolver404):
            resolve(path)
        assert client.get(path).status_code == 404  # anonymous
    finally:
        settings.DEBUG = False
        importlib.reload(kam.urls)
        clear_url_caches()


SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'  # fmt: skip
HTML = b"<!DOCTYPE html><html><body><script>fetch('/api/v1/me/')</script></body></html>"
POLYGLOT = PDF + b"\n<html><script>alert(1)</script></html>\n"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("logo.svg", SVG),
        ("logo.png", SVG),  # an SVG named as a picture
        ("page.html", HTML),
        ("notes.txt", HTML),  # a page named as text
        ("notes.txt", b"Call back <script>alert(1)</script> at 10"),  # text with a tag
        ("scan.jpg", b"\xff\xd8\xff" + b"\x00" * 16 + HTML),  # a JPEG header, then HTML
        ("scan.png", b"\x89PNG\r\n\x1a\n" + HTML),
    ],
)
def test_markup_uploads_are_refused(cast, name, content):
    account = AccountFactory(owner=cast.kam)
    with pytest.raises(ApplicationError, match=r"cannot be filed|no readable one"):
        upload(account, cast.kam, name, content)
    assert not Document.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "served_as", "filename"),
    [
        ("../../etc/passwd.pdf", POLYGLOT, "application/pdf", "passwd.pdf"),
        ("..\\..\\x.html", POLYGLOT, "application/pdf", "x.pdf"),
        ("notes.html", b"Call back at 10 (re: the 5 < 7 seats)", "text/plain",
         "notes.txt"),
        ("...", POLYGLOT, "application/pdf", "document.pdf"),
    ],
)  # fmt: skip
def test_what_is_filed_is_served_only_as_an_inert_attachment(
    client, cast, name, content, served_as, filename
):
    """A PDF with HTML after it is a PDF; text with a script in it is text. Either is
    downloaded under a safe name, as an attachment, never sniffed, never run."""
    account = AccountFactory(owner=cast.kam)
    document = upload(account, cast.kam, name, content)
    assert document.filename == filename
    assert ".." not in document.file.name and "\\" not in document.file.name
    client.force_login(cast.kam)
    response = client.get(reverse("accounts:document-download", args=[document.pk]))
    assert response["Content-Type"].startswith(served_as)
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"].startswith("sandbox")
    assert b"".join(response.streaming_content) == content


def test_the_signed_scan_goes_through_the_same_checks(client, cast, settings):
    from contracts.models import Contract
    from tests.contracts.helpers import contract_for
    from tests.offers.helpers import ensure_defaults

    ensure_defaults()
    contract = contract_for(cast.kam, sign=False)
    documents = Document.objects.count()  # the offer's and the contract's PDFs
    client.force_login(cast.cs)
    response = client.post(
        reverse("admin:contracts_contract_sign", args=[contract.pk]),
        {"signer_name": "Buyer", "scan": SimpleUploadedFile("scan.pdf", SVG)},
    )
    assert "cannot be filed" in response.content.decode()
    contract.refresh_from_db()
    assert contract.status == Contract.Status.SENT and contract.signed_scan is None
    assert Document.objects.count() == documents
