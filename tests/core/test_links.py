from django.urls import clear_script_prefix, reverse, set_script_prefix

from core.links import object_url


def test_object_url_is_what_reverse_gives():
    for name in (
        "accounts:detail",
        "offers:detail",
        "offers:create",
        "contracts:detail",
    ):
        for pk in (1, 42, 9876543210, 123456789012):
            assert object_url(name, pk) == reverse(name, args=[pk])


def test_object_url_follows_the_script_prefix():
    set_script_prefix("/kam/")
    try:
        assert object_url("accounts:detail", 7) == "/kam/accounts/7/"
    finally:
        clear_script_prefix()
    assert object_url("accounts:detail", 7) == "/accounts/7/"
