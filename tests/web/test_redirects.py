"""Every place that redirects to a given `next` stays on this site."""

import pytest

from .conftest import login

HOSTILE_NEXT = [
    "/%09/evil.example/x",
    "//evil.example",
    "/%5Cevil.example",
    "https://evil.example/",
    "/%0D%0A/evil.example",
    "%2F%2Fevil.example",
]


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_login_never_redirects_off_site(client, make_user, target):
    make_user("owner@shop.test")
    response = client.post(f"/login?next={target}", data={"email": "owner@shop.test", "password": "secret-pass"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_login_keeps_a_next_path_on_this_site(client, make_user):
    make_user("owner@shop.test")
    response = client.post(
        "/login?next=/settings/accounting/log/%3Fpage%3D2", data={"email": "owner@shop.test", "password": "secret-pass"}
    )
    assert response.headers["Location"] == "/settings/accounting/log/?page=2"


@pytest.mark.parametrize("target", ["/\t/evil.example/x", "//evil.example", "/\\evil.example", "https://evil.example"])
def test_language_switch_never_redirects_off_site(client, target):
    response = client.post("/language", data={"lang": "pl", "next": target})
    assert response.status_code == 303  # see other: the page, fetched with GET
    assert response.headers["Location"] == "/"


def test_language_switch_returns_to_the_page_it_came_from(client):
    response = client.post("/language", data={"lang": "pl", "next": "/login?x=1"})
    assert response.headers["Location"] == "/login?x=1"


def test_a_file_posted_as_the_login_email_is_a_field_message_not_a_500(client, make_user):
    from io import BytesIO

    make_user("owner@shop.test")
    response = client.post(
        "/login",
        data={"email": (BytesIO(b"owner@shop.test"), "email.txt"), "password": "secret-pass"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "Enter your e-mail." in response.get_data(as_text=True)


def test_json_posted_to_login_is_a_field_message_not_a_500(client, make_user):
    make_user("owner@shop.test")
    response = client.post("/login", json={"email": ["owner@shop.test"], "password": 5})
    assert response.status_code == 422


def test_a_signed_in_user_opening_the_login_page_goes_home(client, make_user):
    make_user("owner@shop.test")
    login(client, "owner@shop.test")
    assert client.get("/login").status_code == 302
