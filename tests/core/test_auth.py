import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.urls import reverse

from core.models import OutboundMessage

pytestmark = pytest.mark.django_db
GENERIC = "The username or password is not correct."


def post_login(client, username, password):
    return client.post(
        reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR="10.9.8.7",
    )


def test_login_page_is_labelled_and_has_csrf(client):
    html = client.get(reverse("login")).content.decode()
    assert 'for="id_username"' in html
    assert 'for="id_password"' in html
    assert "csrfmiddlewaretoken" in html
    assert "<main" in html


def test_login_renews_the_session_key(client, cast):
    client.get(reverse("login"))
    client.session["probe"] = 1
    before = client.session.session_key
    response = post_login(client, "kam", "s3cret-pass")
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(cast.kam.pk)
    assert client.session.session_key != before


def test_wrong_password_and_unknown_user_get_the_same_message(client, cast):
    wrong_password = post_login(client, "kam", "nope").content.decode()
    unknown_user = post_login(client, "nobody-here", "nope").content.decode()
    assert GENERIC in wrong_password
    assert GENERIC in unknown_user
    assert SESSION_KEY not in client.session


def test_inactive_user_gets_the_generic_message(client, cast):
    cast.kam.is_active = False
    cast.kam.save()
    assert GENERIC in post_login(client, "kam", "s3cret-pass").content.decode()


def test_login_is_throttled_after_repeated_failures(client, cast, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        post_login(client, "kam", "wrong")
    # even the right password is refused while locked out
    response = post_login(client, "kam", "s3cret-pass")
    assert response.status_code == 429
    assert "Too many failed attempts" in response.content.decode()
    assert SESSION_KEY not in client.session


def test_throttling_does_not_tell_whether_a_user_exists(client, cast, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        post_login(client, "ghost", "wrong")
    assert post_login(client, "ghost", "wrong").status_code == 429


def test_logout_ends_the_session(client, cast):
    client.force_login(cast.kam)
    assert client.get(reverse("core:home")).status_code == 200
    client.post(reverse("logout"))
    assert client.get(reverse("core:home")).status_code == 302


def test_deactivated_user_loses_the_session(client, cast):
    client.force_login(cast.kam)
    cast.kam.is_active = False
    cast.kam.save()
    assert client.get(reverse("core:home")).status_code == 302


def test_password_change(client, cast):
    client.force_login(cast.kam)
    bad = client.post(
        reverse("password_change"),
        {"old_password": "wrong", "new_password1": "x", "new_password2": "y"},
    )
    assert bad.status_code == 200
    assert "incorrect" in bad.content.decode()
    ok = client.post(
        reverse("password_change"),
        {
            "old_password": "s3cret-pass",
            "new_password1": "Brand-new-Pass-2026",
            "new_password2": "Brand-new-Pass-2026",
        },
    )
    assert ok.status_code == 302
    cast.kam.refresh_from_db()
    assert cast.kam.check_password("Brand-new-Pass-2026")


def test_password_reset_mail_goes_through_the_outbox(
    client, cast, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("password_reset"), {"email": cast.kam.email})
    assert response.status_code == 302
    stored = OutboundMessage.objects.get()
    assert stored.to == [cast.kam.email]
    assert stored.status == OutboundMessage.Status.SENT
    assert stored.related == cast.kam
    assert "/auth/reset/" in stored.body_text
    assert len(mail.outbox) == 1
    link = next(w for w in mail.outbox[0].body.split() if "/auth/reset/" in w)
    # the link works and lets the user choose a new password
    page = client.get(link, follow=True)
    assert "new_password1" in page.content.decode()


def test_password_reset_for_unknown_address_says_the_same_and_sends_nothing(
    client, cast
):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert OutboundMessage.objects.count() == 0


def token_for(client, username, password):
    return client.post(
        "/api/v1/auth/token/",
        {"username": username, "password": password},
        REMOTE_ADDR="10.9.8.7",
    )


def test_a_token_stops_working_when_its_user_is_deactivated(client, cast):
    response = token_for(client, "kam", "s3cret-pass")
    assert response.status_code == 200
    header = {"HTTP_AUTHORIZATION": f"Token {response.json()['token']}"}
    assert client.get("/api/v1/me/", **header).status_code == 200
    # when: an administrator deactivates the user
    cast.kam.is_active = False
    cast.kam.save(update_fields=["is_active"])
    # then: the token is refused, for reads and writes alike
    me = client.get("/api/v1/me/", **header)
    assert me.status_code == 401
    assert client.get("/api/v1/accounts/", **header).status_code == 401
    post = client.post("/api/v1/tasks/", {"title": "x"}, **header)
    assert post.status_code == 401
    # and no new token is handed out
    assert token_for(client, "kam", "s3cret-pass").status_code == 400


def test_the_token_endpoint_is_throttled_like_the_login(client, cast, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        assert token_for(client, "kam", "wrong").status_code == 400
    # even the right password gets no token while locked out
    response = token_for(client, "kam", "s3cret-pass")
    assert response.status_code == 429, response.content
    assert response.json() == {
        "detail": "Too many failed attempts. Try again in 15 minutes."
    }


def test_a_page_reads_the_user_with_roles_and_unread_count_in_one_query(
    client, cast, django_assert_num_queries
):
    from core import services

    services.notification_create(user=cast.kam, title="Call Nordlicht back")
    services.notification_create(user=cast.kam2, title="Not for Katrin")
    client.force_login(cast.kam)
    # the floor view: the session and the user (with roles and unread count), no more
    with django_assert_num_queries(2):
        assert client.get(reverse("core:floor")).content == b"ok"
    html = client.get(reverse("offers:list")).content.decode()
    assert 'data-testid="bell-count">1<' in html
    # the roles came with the user: the navigation a KAM gets, and the user menu
    assert reverse("accounts:list") in html
    assert reverse("offers:approvals") not in html
    assert "Key Account Manager</span>" in html


def test_roles_given_and_taken_show_on_the_next_request(client, cast):
    from django.contrib.auth.models import Group

    from core.roles import Role

    client.force_login(cast.kam)
    managers = Group.objects.get(name=Role.SALES_MANAGER)
    assert reverse("offers:approvals") not in client.get("/").content.decode()
    cast.kam.groups.add(managers)
    assert reverse("offers:approvals") in client.get("/").content.decode()
    cast.kam.groups.clear()
    html = client.get(reverse("offers:list")).content.decode()
    assert reverse("offers:approvals") not in html
    assert "No role" in html
    # a superuser is an administrator whatever their groups
    cast.kam.is_superuser = True
    cast.kam.save()
    assert reverse("core:outbox") in client.get(reverse("offers:list")).content.decode()


def test_the_bell_counts_down_when_notifications_are_read(client, cast):
    from core import services

    for n in range(3):
        services.notification_create(user=cast.kam, title=f"Reminder {n}")
    client.force_login(cast.kam)
    assert 'data-testid="bell-count">3<' in client.get("/").content.decode()
    page = client.post(reverse("core:notifications-read"), follow=True)
    assert 'data-testid="bell-count"' not in page.content.decode()
