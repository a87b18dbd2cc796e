"""The form schema: validation keeps stored secrets on a blank field and rejects bad shapes."""

from connectors.fields import CHECKBOX, EMAIL, NUMBER, SECRET, SELECT, URL, Choice, Field, validate_values

SCHEMA = (
    Field("email", "Login e-mail", kind=EMAIL, required=True),
    Field("api_key", "API key", kind=SECRET, required=True),
    Field("company_id", "Company id", kind=NUMBER),
    Field("market", "Market", kind=SELECT, choices=(Choice("SK", "Slovakia"), Choice("CZ", "Czechia")), default="SK"),
    Field("url", "Account URL", kind=URL),
    Field("send", "Send by e-mail", kind=CHECKBOX),
)


def test_valid_values_split_into_config_and_secrets():
    config, secrets, errors = validate_values(SCHEMA, {"email": " a+b@shop.sk ", "api_key": "k3y", "company_id": "12"})
    assert not errors
    assert config == {"email": "a+b@shop.sk", "company_id": "12", "market": "SK", "send": False}
    assert secrets == {"api_key": "k3y"}


def test_blank_secret_keeps_the_stored_one():
    _config, secrets, errors = validate_values(SCHEMA, {"email": "a@b.sk", "api_key": ""}, {"api_key": "stored"})
    assert not errors and secrets == {"api_key": "stored"}


def test_blank_required_secret_without_stored_value_is_an_error():
    _c, _s, errors = validate_values(SCHEMA, {"email": "a@b.sk", "api_key": "  "})
    assert errors.errors == {"api_key": ["This field is required."]}


def test_shapes_are_checked_per_kind():
    _c, _s, errors = validate_values(
        SCHEMA,
        {"email": "not-an-email", "api_key": "x", "company_id": "12a", "market": "DE", "url": "moja.superfaktura.sk"},
    )
    assert set(errors.errors) == {"email", "company_id", "market", "url"}


def test_checkbox_accepts_html_on_values():
    config, _s, _e = validate_values(SCHEMA, {"email": "a@b.sk", "api_key": "x", "send": "on"})
    assert config["send"] is True
