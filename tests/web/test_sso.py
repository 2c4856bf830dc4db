"""Single sign-on by OpenID Connect, against a real provider on loopback (oidc-provider-mock).

The provider listens on ``localhost`` and the hub on ``127.0.0.1``: two sites, so the browser
treats the provider's redirect back as a cross-site navigation, as it would in service. Tokens
the provider would never issue (forged, expired, for another client) are made here with keys
generated at run time and checked by the hub's own verification.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import replace
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import oidc_provider_mock
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, OctKey, RSAKey
from web_support import Served, serving

from hub.accounts import Role
from hub.web.oidc import OidcClient, SingleSignOnRefused, identity_of, verify_id_token
from hub.web_config import OidcConfig

pytestmark = pytest.mark.slow

CLIENT_ID = "iomhub-tests"
GROUPS = {"IOM-Officers": ("iom_officer",), "Data-Officers": ("data_officer",)}


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    with oidc_provider_mock.run_server_in_thread(require_nonce=True) as server:
        yield f"http://localhost:{server.server_port}"


def _config(issuer: str, **changes: object) -> OidcConfig:
    fields: dict[str, object] = {
        "provider_name": "Westshire Police",
        "issuer": issuer,
        "client_id": CLIENT_ID,
        "roles_claim": "groups",
        "roles": GROUPS,
    }
    return OidcConfig.model_validate(fields | changes)


@pytest.fixture(scope="module")
def sso(served: Served, provider: str) -> Iterator[str]:
    """The hub served with single sign-on through ``provider`` (the client secret as from
    HubSettings: the mock accepts any)."""
    config = served.context.config
    config = config.model_copy(
        update={"web": config.web.model_copy(update={"oidc": _config(provider)})}
    )
    context = replace(served.context, config=config,
                      oidc=OidcClient(config.web.oidc, "a-client-secret"))  # type: ignore[arg-type]  # fmt: skip
    with serving(context) as url:
        yield url


def _user(provider: str, sub: str, groups: list[str]) -> None:
    response = httpx.put(
        f"{provider}/users/{quote(sub)}",
        json={"preferred_username": sub, "groups": groups, "name": "Test Person"},
    )
    assert response.status_code == 204


def _through_provider(page, url: str, sub: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{url}/login?next=/cohort")
    page.click("#sso")
    page.get_by_placeholder("sub").fill(sub)
    page.get_by_role("button", name="Authorize").click()


def test_the_sign_in_page_offers_the_provider(sso: str) -> None:
    assert "Sign in with Westshire Police" in httpx.get(f"{sso}/login").text


def test_a_browser_signs_in_through_the_provider_with_the_mapped_roles(
    served: Served, provider: str, sso: str, page
) -> None:
    _user(provider, "amira.officer", ["IOM-Officers", "Unrelated"])
    _through_provider(page, sso, "amira.officer")
    page.wait_for_url(re.compile(r"/purpose"))
    page.check("input[name=purpose][value='IOM panel']")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/cohort"))
    assert page.locator("h1").inner_text() == "Cohort"
    account = served.context.accounts.get("amira.officer")
    assert account.roles == frozenset({Role.IOM_OFFICER})
    assert page.goto(f"{sso}/feeds").status == 403  # roles enforced as for a password account

    signed = served.entries("signed_in")[-1]
    assert signed["actor"] == "amira.officer"
    assert signed["objects"]["method"] == "oidc"
    assert signed["objects"]["provider"] == provider
    looked = served.entries("web_view")[-1]
    assert looked["actor"] == "amira.officer" and looked["objects"]["purpose"] == "IOM panel"
    cookie = next(c for c in page.context.cookies() if c["name"] == "iomhub_session")
    assert cookie["sameSite"] == "Strict" and cookie["httpOnly"]


def test_a_person_whose_claim_maps_to_no_role_is_refused_and_the_refusal_audited(
    served: Served, provider: str, sso: str, page
) -> None:
    _user(provider, "fin.clerk", ["Finance"])
    _through_provider(page, sso, "fin.clerk")
    page.wait_for_url(re.compile(r"/login/oidc/callback"))
    assert "holds no group or role" in page.inner_text("main")
    denied = served.entries("sign_in_denied")[-1]
    assert denied["objects"]["cause"] == "no_role"
    assert denied["objects"]["account"] == "fin.clerk"
    assert denied["objects"]["method"] == "oidc"
    assert "iomhub_session" not in {c["name"] for c in page.context.cookies()}
    assert served.audit.verify().ok


def _fresh_sign_in(browser, url: str, sub: str, lands: str) -> str:  # type: ignore[no-untyped-def]
    """Sign ``sub`` in through the provider in a browser of its own; the text of the page
    landed on (a URL matching ``lands``)."""
    context = browser.new_context()
    try:
        page = context.new_page()
        _through_provider(page, url, sub)
        page.wait_for_url(re.compile(lands))
        return page.inner_text("main")
    finally:
        context.close()


def test_a_provider_never_takes_over_a_password_account_nor_revives_a_disabled_one(
    served: Served, provider: str, sso: str, browser
) -> None:
    _user(provider, "olivia", ["IOM-Officers"])  # olivia is a password account of the hub
    _fresh_sign_in(browser, sso, "olivia", r"/login/oidc/callback")
    assert served.entries("sign_in_denied")[-1]["objects"]["cause"] == "local_account"

    _user(provider, "dee.leaver", ["IOM-Officers"])
    _fresh_sign_in(browser, sso, "dee.leaver", r"/purpose")
    served.context.accounts.disable("dee.leaver")
    assert "disabled" in _fresh_sign_in(browser, sso, "dee.leaver", r"/login/oidc/callback")
    assert served.entries("sign_in_denied")[-1]["objects"]["cause"] == "disabled"


def test_a_callback_with_a_forged_state_or_from_another_browser_is_refused(
    served: Served, sso: str
) -> None:
    forged = httpx.get(f"{sso}/login/oidc/callback", params={"state": "forged", "code": "x"})
    assert forged.status_code == 403
    assert served.entries("sign_in_denied")[-1]["objects"]["cause"] == "bad_state"

    started = httpx.get(f"{sso}/login/oidc", follow_redirects=False)
    assert started.status_code == 303
    assert "samesite=lax" in started.headers["set-cookie"].lower()
    query = parse_qs(urlsplit(started.headers["location"]).query)
    assert query["code_challenge_method"] == ["S256"] and query["nonce"] and query["state"]
    other_browser = httpx.get(
        f"{sso}/login/oidc/callback",
        params={"state": query["state"][0], "code": "x"},
        cookies={"iomhub_oidc": "another-browser"},
    )
    assert other_browser.status_code == 403
    assert served.entries("sign_in_denied")[-1]["objects"]["cause"] == "bad_state"


# --- the ID token's checks, on tokens made here -------------------------------------------------

ISSUER = "https://login.example.org/tenant/v2.0"


@pytest.fixture(scope="module")
def signing_key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": "k1"})


def _token(key: RSAKey | OctKey, **changes: object) -> str:
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": CLIENT_ID, "sub": "s-1", "iat": now, "exp": now + 300,
              "nonce": "n-1", "preferred_username": "amira",
              "groups": ["IOM-Officers"]}  # fmt: skip
    claims.update(changes)
    algorithm = "HS256" if isinstance(key, OctKey) else "RS256"
    return jwt.encode({"alg": algorithm, "kid": "k1"}, claims, key)


def _verify(token: str, signing_key: RSAKey) -> dict:
    published = KeySet([RSAKey.import_key(signing_key.as_dict(private=False))])
    return verify_id_token(token, published, issuer=ISSUER, client_id=CLIENT_ID, nonce="n-1")


def test_a_token_signed_by_the_providers_key_is_accepted(signing_key: RSAKey) -> None:
    claims = _verify(_token(signing_key), signing_key)
    identity = identity_of(claims, _config(ISSUER), ISSUER)
    assert identity.account == "amira" and identity.roles == frozenset({Role.IOM_OFFICER})


@pytest.mark.parametrize(
    ("why", "made"),
    [
        ("forged", lambda key: _token(RSAKey.generate_key(2048, parameters={"kid": "k1"}))),
        ("expired", lambda key: _token(key, exp=int(time.time()) - 600)),
        ("wrong audience", lambda key: _token(key, aud="another-client")),
        ("wrong issuer", lambda key: _token(key, iss="https://evil.example.org")),
        ("replayed nonce", lambda key: _token(key, nonce="n-other")),
        ("no nonce", lambda key: _token(key, nonce=None)),
        ("shared secret", lambda key: _token(OctKey.generate_key(256))),
        ("several audiences, not for us", lambda key: _token(key, aud=[CLIENT_ID, "x"])),
    ],
)
def test_a_token_the_provider_would_not_issue_is_refused(why: str, made, signing_key) -> None:
    token = made(signing_key)
    with pytest.raises(SingleSignOnRefused) as refused:
        _verify(token, signing_key)
    assert refused.value.cause == "bad_token", why


def test_claims_map_to_roles_and_required_values_are_enforced() -> None:
    config = _config(ISSUER, allowed={"tid": ("westshire",)})
    claims = {"preferred_username": "dee", "groups": ["Data-Officers", "IOM-Officers"],
              "tid": "westshire"}  # fmt: skip
    assert identity_of(claims, config, ISSUER).roles == {Role.DATA_OFFICER, Role.IOM_OFFICER}
    with pytest.raises(SingleSignOnRefused) as refused:
        identity_of(claims | {"tid": "elsewhere"}, config, ISSUER)
    assert refused.value.cause == "not_allowed"
    with pytest.raises(SingleSignOnRefused) as refused:
        identity_of(claims | {"groups": "Finance"}, config, ISSUER)
    assert refused.value.cause == "no_role"


def test_a_confidential_client_needs_its_secret() -> None:
    with pytest.raises(Exception, match="client secret"):
        OidcClient(_config(ISSUER), None)
    OidcClient(_config(ISSUER, client_auth="none"), None)
