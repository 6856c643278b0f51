import subprocess

import pytest
from django.template import Context, Template

from core.pdf import StaticFilesFetcher, html_to_pdf
from demo.users import SELLER

pytestmark = pytest.mark.pdf  # WeasyPrint lays out every PDF here


def pdf_text(pdf: bytes) -> str:
    result = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    )
    return result.stdout.decode()


def render(body: str) -> bytes:
    """A document on the layout every PDF has, for the demo's seller (given: an
    offer's or a contract's reads the seller profile)."""
    html = Template(
        "{% extends 'pdf/base.html' %}{% block content %}" + body + "{% endblock %}"
    ).render(Context({"seller": SELLER}))
    return html_to_pdf(html)


def test_pdf_has_the_text_and_page_numbers():
    pdf = render("<h1>Offer 2027</h1><p>Dear Ms Weber, grüße</p>")
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf)
    assert "Offer 2027" in text
    assert "Dear Ms Weber, grüße" in text
    assert "1/1" in text.replace(" ", "")  # page counter from the static stylesheet
    # the seller's letterhead, and its legal data at the foot of the page
    assert SELLER["name"] in text
    for legal in ("DE136695976", "HRB 123456", "DE89370400440532013000", "Jana Wolff"):
        assert legal in text


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/secret.png",
        "file:///etc/passwd",
        "https://kam.invalid/static/../../etc/passwd",
        "https://kam.invalid/media/private.pdf",
        "https://example.com/tracker.png",
    ],
)
def test_pdf_fetcher_refuses_everything_but_static_files(url):
    with pytest.raises(ValueError):
        StaticFilesFetcher().fetch(url)
    # a document that points there still renders, without the resource
    assert "Body" in pdf_text(render(f'<p>Body</p><img src="{url}" alt="">'))


def test_pdf_fetcher_serves_static_files():
    response = StaticFilesFetcher().fetch("https://kam.invalid/static/css/pdf.css")
    assert b"@page" in response.read()
