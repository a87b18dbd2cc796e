"""Bounded fuzzing on every CI run (issue 9, point 11): the suite fails on any 5xx or traceback.

* The order API: schemathesis generates valid and invalid requests from the OpenAPI description
  the app serves (/api/v1/openapi.json) and sends them in-process through the WSGI app with a
  test shop's token.
* Every form route: the routes are read from `app.url_map`, so a new route is fuzzed without
  anyone remembering. Signed in as an owner (and anonymously for the public pages), hypothesis
  POSTs random and hostile form data (huge numbers, unicode, control characters, files where a
  text is expected) and GETs with hostile query strings.

The number of examples is fixed (FUZZ_EXAMPLES, per operation or route) and the generation is
derandomized, so a run is repeatable and stays well under a minute; FUZZ_RANDOM=1 explores new
inputs locally.
"""

from __future__ import annotations

import io
import os
import re
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors import registry

from ._orders import bearer, order_body, shop_with_token
from .conftest import login

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES") or 12)
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=not os.environ.get("FUZZ_RANDOM"),
    suppress_health_check=list(HealthCheck),
    print_blob=True,
)

HUGE_NUMBERS = [
    "9" * 20,
    str(2**63),
    "-" + "9" * 30,
    "1e309",
    "1" * 5000,
    "NaN",
    "Infinity",
    "-0",
    "0x1F",
    "1_000",
    "١٢٣",
    "²",
    "12,30",
    "12.300000000000000000001",
]
HOSTILE_TEXT = [
    "",
    " ",
    "\x00",
    "\t\n\r",
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "{{7*7}}",
    "%s%n",
    "../../etc/passwd",
    "//evil.example/x",
    "/%09/evil.example",
    "javascript:alert(1)",
    "Ján Novák – Žltý kôň",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 🧾",
    "\u202eevil",
    "a" * 70000,
    "\ufeff",
    "null",
    "[]",
    "{}",
    "true",
    "superfaktura",
    "owner",
    "staff",
    "yes",
    "on",
]
# Text a browser can send: every code point but surrogates.
_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300)
_value = st.one_of(
    st.sampled_from(HUGE_NUMBERS),
    st.sampled_from(HOSTILE_TEXT),
    _text,
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
)
_file = st.builds(
    lambda data, name: (io.BytesIO(data), name),
    st.binary(max_size=2000),
    st.sampled_from(["x.txt", "invoice.pdf", "../../x", "ž.csv", ""]),
)
COMMON_KEYS = [
    "page",
    "next",
    "show",
    "q",
    "status",
    "state",
    "system",
    "language",
    "lang",
    "confirm",
    "email",
    "password",
    "name",
    "amount",
    "number",
    "order_id",
    "document_id",
    "kind",
    "token",
    "code",
    "state",
]
_NAMES = re.compile(r'name="([^"]+)"')


# -- the order API (schemathesis) ---------------------------------------------------------------
def test_the_order_api_answers_every_generated_request_without_a_server_error(app, client):
    from schemathesis import GenerationMode
    from schemathesis.openapi import from_dict

    _shop_id, raw = shop_with_token(app)
    auth = bearer(raw)
    assert client.post("/api/v1/orders", json=order_body(), headers=auth).status_code == 201  # a known order
    schema = from_dict(client.get("/api/v1/openapi.json").json)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.label for op in operations} >= {"POST /orders", "GET /orders/{number}", "POST /orders/{number}/events"}
    for operation in operations:
        strategy = operation.as_strategy(GenerationMode.POSITIVE) | operation.as_strategy(GenerationMode.NEGATIVE)

        @FUZZ
        @given(case=strategy)
        def fuzz(case):
            request = case.as_transport_kwargs()
            headers = {k: v for k, v in request["headers"].items() if k.lower() not in ("authorization", "connection")}
            url = urlsplit(request["url"])
            kwargs = {"json": request["json"]} if "json" in request else {"data": request.get("data")}
            response = client.open(
                url.path,
                method=request["method"],
                query_string=request.get("params") or None,
                headers={**headers, **auth},
                **kwargs,
            )
            _assert_no_server_error(response, f"{request['method']} {url.path}")

        fuzz()


# -- every form route (hypothesis over app.url_map) --------------------------------------------
SKIPPED = {
    "static",  # files
    "auth.logout",  # would end the session the fuzzer works in (tested in test_sessions)
    "support.impersonate",
    "support.stop",  # support agents only; covered by the tenancy tests
}
LAST = ("deactivate", "remove", "delete", "revoke", "cancel")  # run after the routes that need the state


def _routes(app):
    rules = [r for r in app.url_map.iter_rules() if r.endpoint not in SKIPPED and not r.rule.startswith("/api/")]
    return sorted(rules, key=lambda r: (any(word in r.endpoint for word in LAST), r.rule))


def _path_values(app, shop_id: int) -> dict[str, list[str]]:
    """Ids that exist in the fuzzed shop (so the handlers go deep) and hostile ones."""
    from webapp.extensions import db
    from webapp.models import Document, Job, Order

    with app.app_context():
        ids = {
            "order_id": db.session.scalars(db.select(Order.id).where(Order.shop_id == shop_id)).all(),
            "document_id": db.session.scalars(db.select(Document.id).where(Document.shop_id == shop_id)).all(),
            "job_id": db.session.scalars(db.select(Job.id).where(Job.shop_id == shop_id)).all(),
        }
    hostile_ids = ["0", "1", "9" * 20, str(2**31), str(2**63)]
    return {
        **{k: [str(v) for v in values] + hostile_ids for k, values in ids.items()},
        "system": [cls.key for cls in registry.all_connectors()] + ["nope", "..", "%C5%BE", "a" * 300],
    }


def _fill(rule, values: dict[str, list[str]]):
    """A strategy for the rule's path with each variable drawn from `values` (else hostile ids)."""
    names = list(rule.arguments)
    if not names:
        return st.just(rule.rule)

    def build(chosen):
        path = rule.rule
        for name, value in zip(names, chosen):
            path = re.sub(rf"<(?:[^:<>]+:)?{name}>", value, path)
        return path

    return st.tuples(*[st.sampled_from(values.get(n, ["1", "9" * 20])) for n in names]).map(build)


def _field_names(client, rule, path: str) -> list[str]:
    """The form's own field names (from the page the form is on) and a few common ones."""
    names = []
    if "GET" in rule.methods:
        response = client.get(path)
        if response.status_code == 200 and response.mimetype == "text/html":
            names = _NAMES.findall(response.get_data(as_text=True))
    return sorted(set(names) - {"csrf_token"}) + COMMON_KEYS


def _form(names: list[str]):
    return st.dictionaries(st.sampled_from(names), st.one_of(_value, _value, _file), max_size=8)


def _assert_no_server_error(response, what: str) -> None:
    body = (
        response.get_data(as_text=True)
        if response.mimetype and response.mimetype.startswith(("text/", "application/json"))
        else ""
    )
    assert response.status_code < 500, f"{what} answered {response.status_code}"
    assert "Traceback (most recent call last)" not in body, f"{what} showed a traceback"


def _fuzz_routes(app, client, rules, values, statuses: list[int] | None = None) -> int:
    fuzzed = 0
    statuses = statuses if statuses is not None else []
    for rule in rules:
        methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
        sample_path = re.sub(
            r"<[^>]+>", lambda m: (values.get(m.group(0).strip("<>").split(":")[-1]) or ["1"])[0], rule.rule
        )
        names = _field_names(client, rule, sample_path)
        for method in methods:
            data = _form(names) if method == "POST" else st.dictionaries(st.sampled_from(names), _value, max_size=5)

            @FUZZ
            @given(path=_fill(rule, values), data=data, htmx=st.booleans())
            def fuzz(path, data, htmx):
                headers = {"HX-Request": "true"} if htmx else {}
                if method == "POST":
                    response = client.post(path, data=data, headers=headers, content_type="multipart/form-data")
                else:
                    response = client.get(path, query_string=data, headers=headers)
                _assert_no_server_error(response, f"{method} {path} {sorted(data)!r}")
                statuses.append(response.status_code)

            fuzz()
            fuzzed += 1
    return fuzzed


@pytest.fixture
def shop_with_data(app, owner_client, sandbox):
    """An owner's shop connected to SuperFaktura with an order and a test invoice, so the fuzzed
    handlers reach their real work rather than a 404."""
    from webapp.extensions import db
    from webapp.models import Shop
    from webapp.services.connections import activation
    from webapp.services.orders import tokens

    shop_id = owner_client.user.shop_id
    account = sandbox("superfaktura").account("valid")
    with app.app_context():
        shop = db.session.get(Shop, shop_id)
        shop.country, shop.currency = "SK", "EUR"
        db.session.commit()
        _integration, outcome = activation.activate(
            shop_id, "superfaktura", {k: str(v) for k, v in account["credentials"].items()}
        )
        assert outcome.ok
        _token, raw = tokens.create_token(shop_id, "fuzz")
    assert owner_client.post("/api/v1/orders", json=order_body(), headers=bearer(raw)).status_code == 201
    owner_client.post("/settings/accounting/import")
    owner_client.post("/settings/accounting/test-invoice", data={})
    return shop_id


def test_every_route_answers_hostile_input_from_an_owner_without_a_server_error(app, owner_client, shop_with_data):
    rules = _routes(app)
    assert any(r.endpoint == "orders.create" for r in rules)  # enumerated from the URL map
    statuses: list[int] = []
    assert _fuzz_routes(app, owner_client, rules, _path_values(app, shop_with_data), statuses) >= len(rules)
    # The fuzzer reached the handlers, not only the sign-in page or a refusal.
    assert sum(code < 400 for code in statuses) > len(statuses) / 3, sorted(set(statuses))


def test_the_public_pages_answer_hostile_input_without_a_server_error(app, client, make_user):
    make_user("owner@shop.test")
    public = [
        r
        for r in _routes(app)
        if r.endpoint
        in ("auth.login", "auth.forgot_password", "auth.reset_password", "main.language", "main.home", "main.healthz")
    ]
    assert len(public) == 6
    _fuzz_routes(app, client, public, {})
    login(client, "owner@shop.test")  # the app still works after the storm
    assert client.get("/orders/").status_code == 200


def test_the_fuzzer_notices_a_server_error(app, client):
    """The check itself: a route answering 500 fails it (else the fuzzing above proves nothing)."""

    class Answer:
        status_code, mimetype = 500, "text/html"

        @staticmethod
        def get_data(as_text=False):
            return ""

    with pytest.raises(AssertionError):
        _assert_no_server_error(Answer(), "GET /x")
    Answer.status_code = 200
    Answer.get_data = staticmethod(lambda as_text=False: "Traceback (most recent call last):\n")
    with pytest.raises(AssertionError):
        _assert_no_server_error(Answer(), "GET /x")
