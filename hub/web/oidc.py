"""Single sign-on by OpenID Connect: the hub as a relying party (authlib, joserfc).

The authorization code flow with ``state``, ``nonce`` and PKCE (S256): :meth:`OidcClient.start`
keeps the pending sign-in in memory, bound to the browser by a random token (its cookie
carries the token; only its hash is kept), and returns the provider's authorization URL;
:meth:`OidcClient.finish` takes the pending sign-in back once (by ``state`` and the browser's
token), exchanges the code (with the PKCE verifier and the client secret, if any), and verifies
the ID token: signature by a key of the provider's JWKS (asymmetric algorithms only), ``iss``,
``aud`` (and ``azp`` when there are several audiences), ``exp``/``iat`` and the ``nonce``. The
person's roles come from the configured claim through the configured mapping; a person whose
claim maps to no role is refused. Pending sign-ins live in the serving process (one uvicorn
worker), ten minutes at most.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from authlib.integrations.httpx_client import AsyncOAuth2Client
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from hub.accounts import Role
from hub.errors import AccountError
from hub.web_config import OidcConfig

PENDING_SECONDS = 600
"""How long a sign-in may stay at the provider."""
MAX_PENDING = 1000
METADATA_SECONDS = 3600
"""How long the provider's metadata and keys are kept before being read again."""
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA")
"""Signatures an ID token may carry: asymmetric only (never 'none' or a shared secret)."""
LEEWAY_SECONDS = 60
KEYS_REREAD_SECONDS = 60
HTTP_TIMEOUT = 10.0


class SingleSignOnRefused(AccountError):
    """A single sign-on that does not let the person in; ``cause`` names why, for the log."""

    def __init__(self, message: str, cause: str, *, account: str | None = None) -> None:
        super().__init__(message)
        self.cause = cause
        self.account = account


@dataclass(frozen=True)
class ProviderMetadata:
    """What the hub needs from the provider's discovery document."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str

    @classmethod
    def of(cls, document: Mapping[str, Any], expected_issuer: str) -> ProviderMetadata:
        try:
            metadata = cls(*(str(document[k]) for k in (
                "issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")))  # fmt: skip
        except KeyError as missing:
            raise SingleSignOnRefused(
                f"the provider's metadata lacks {missing}", "provider_error"
            ) from None
        if metadata.issuer.rstrip("/") != expected_issuer.rstrip("/"):
            raise SingleSignOnRefused(
                "the provider's metadata names another issuer than the hub file", "provider_error"
            )
        return metadata


@dataclass(frozen=True)
class PendingSignIn:
    """A sign-in sent to the provider and not yet back."""

    state: str
    nonce: str
    code_verifier: str = field(repr=False)
    browser_hash: str
    redirect_uri: str
    next: str
    started: float


@dataclass(frozen=True)
class Identity:
    """Who the provider vouched for, and the hub roles their claims give."""

    account: str
    roles: frozenset[Role]
    issuer: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def verify_id_token(
    token: str, keys: KeySet, *, issuer: str, client_id: str, nonce: str, now: int | None = None
) -> dict[str, Any]:
    """The claims of ``token`` once its signature (by one of ``keys``), issuer, audience,
    expiry and nonce hold; SingleSignOnRefused ('bad_token') otherwise."""
    try:
        decoded = jwt.decode(token, keys, algorithms=list(ALGORITHMS))
        jwt.JWTClaimsRegistry(
            now=now,
            leeway=LEEWAY_SECONDS,
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": client_id},
            exp={"essential": True},
            iat={"essential": True},
            sub={"essential": True},
            nonce={"essential": True, "value": nonce},
        ).validate(decoded.claims)
    except (JoseError, ValueError) as error:
        raise SingleSignOnRefused(
            f"the provider's ID token was not accepted ({type(error).__name__})", "bad_token"
        ) from None
    claims = dict(decoded.claims)
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise SingleSignOnRefused("the ID token was issued to another party", "bad_token")
    return claims


def _values(claim: object) -> list[str]:
    if isinstance(claim, str):
        return [claim]
    if isinstance(claim, list | tuple):
        return [str(v) for v in claim if isinstance(v, str | int)]
    return []


def identity_of(claims: Mapping[str, Any], config: OidcConfig, issuer: str) -> Identity:
    """The account and roles ``claims`` give under ``config``; refused when a required claim
    value is missing or no value of the roles claim maps to a role."""
    account = claims.get(config.username_claim)
    if not isinstance(account, str) or not account:
        raise SingleSignOnRefused(
            f"the provider's token has no {config.username_claim!r} claim", "bad_token"
        )
    for claim, allowed in config.allowed.items():
        if not set(_values(claims.get(claim))) & set(allowed):
            raise SingleSignOnRefused(
                "your organisation's sign-in is not one this hub accepts",
                "not_allowed",
                account=account,
            )
    roles = frozenset(
        Role(role) for value in _values(claims.get(config.roles_claim))
        for role in config.roles.get(value, ())
    )  # fmt: skip
    if not roles:
        raise SingleSignOnRefused(
            "your account at the provider holds no group or role that this hub maps to a role; "
            "ask the hub's administrator",
            "no_role",
            account=account,
        )
    return Identity(account, roles, issuer)


class OidcClient:
    """The hub's side of single sign-on with one provider."""

    def __init__(self, config: OidcConfig, client_secret: str | None) -> None:
        if config.client_auth != "none" and not client_secret:
            raise AccountError(
                "single sign-on needs the client secret (web.oidc.client_auth is "
                f"{config.client_auth!r})",
                hint="set IOMHUB_OIDC_CLIENT_SECRET_FILE, or put oidc_client_secret in "
                "IOMHUB_SECRETS_DIR",
            )
        self.config = config
        self._secret = client_secret
        self._pending: dict[str, PendingSignIn] = {}
        self._lock = threading.Lock()
        self._metadata: tuple[float, ProviderMetadata] | None = None
        self._keys: tuple[float, KeySet] | None = None

    def _http(self) -> AsyncOAuth2Client:
        return AsyncOAuth2Client(
            client_id=self.config.client_id,
            client_secret=self._secret,
            token_endpoint_auth_method=self.config.client_auth,
            code_challenge_method="S256",
            scope=" ".join(self.config.scopes),
            timeout=HTTP_TIMEOUT,
        )

    async def _get_json(self, url: str) -> dict[str, Any]:
        try:
            async with httpx.AsyncClient(timeout=HTTP_TIMEOUT) as http:
                response = await http.get(url)
                response.raise_for_status()
                document = response.json()
        except Exception as error:  # the provider is outside the hub: any failure refuses
            raise SingleSignOnRefused(
                f"the sign-in provider could not be reached ({type(error).__name__})",
                "provider_error",
            ) from None
        if not isinstance(document, dict):
            raise SingleSignOnRefused("the provider answered unexpectedly", "provider_error")
        return document

    async def metadata(self) -> ProviderMetadata:
        """The provider's endpoints (read once an hour)."""
        if self._metadata is None or time.monotonic() - self._metadata[0] > METADATA_SECONDS:
            document = await self._get_json(self.config.metadata_url)
            self._metadata = (time.monotonic(), ProviderMetadata.of(document, self.config.issuer))
        return self._metadata[1]

    async def keys(self, *, refresh: bool = False) -> KeySet:
        """The provider's signing keys (read again when a token names a key not held)."""
        if refresh or self._keys is None or time.monotonic() - self._keys[0] > METADATA_SECONDS:
            document = await self._get_json((await self.metadata()).jwks_uri)
            try:
                self._keys = (time.monotonic(), KeySet.import_key_set(document))  # type: ignore[arg-type]
            except (JoseError, ValueError, TypeError, KeyError):
                raise SingleSignOnRefused(
                    "the provider's keys are unreadable", "provider_error"
                ) from None
        return self._keys[1]

    async def start(self, redirect_uri: str, next_path: str) -> tuple[str, str]:
        """Begin a sign-in: the provider's authorization URL, and the token the browser keeps
        (in a cookie) to finish it."""
        metadata = await self.metadata()
        browser, state, nonce = (secrets.token_urlsafe(32) for _ in range(3))
        verifier = secrets.token_urlsafe(64)
        url, _ = self._http().create_authorization_url(
            metadata.authorization_endpoint,
            state=state,
            code_verifier=verifier,
            nonce=nonce,
            redirect_uri=redirect_uri,
        )
        pending = PendingSignIn(state, nonce, verifier, _hash(browser), redirect_uri, next_path,
                                time.monotonic())  # fmt: skip
        with self._lock:
            now = time.monotonic()
            for key in [k for k, p in self._pending.items() if now - p.started > PENDING_SECONDS]:
                del self._pending[key]
            if len(self._pending) >= MAX_PENDING:
                self._pending.pop(next(iter(self._pending)))
            self._pending[state] = pending
        return url, browser

    def take(self, state: str, browser: str | None) -> PendingSignIn:
        """The pending sign-in of ``state``, once, if this browser started it."""
        with self._lock:
            pending = self._pending.get(state)
            if pending is None or not browser:
                raise SingleSignOnRefused("this sign-in is unknown or has expired", "bad_state")
            if not hmac.compare_digest(pending.browser_hash, _hash(browser)):
                raise SingleSignOnRefused("this sign-in was started elsewhere", "bad_state")
            del self._pending[state]
        if time.monotonic() - pending.started > PENDING_SECONDS:
            raise SingleSignOnRefused("this sign-in took too long; start again", "bad_state")
        return pending

    async def finish(self, pending: PendingSignIn, code: str) -> Identity:
        """Exchange the code and verify the ID token: who signed in, with which roles."""
        metadata = await self.metadata()
        try:
            async with self._http() as http:
                token = await http.fetch_token(
                    metadata.token_endpoint,
                    grant_type="authorization_code",
                    code=code,
                    redirect_uri=pending.redirect_uri,
                    code_verifier=pending.code_verifier,
                )
        except Exception as error:  # an error answer or a broken connection: refused
            raise SingleSignOnRefused(
                f"the provider did not exchange the sign-in code ({type(error).__name__})",
                "provider_error",
            ) from None
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise SingleSignOnRefused("the provider sent no ID token", "bad_token")
        claims = await self._verified(id_token, pending.nonce, metadata.issuer)
        return identity_of(claims, self.config, metadata.issuer)

    async def _verified(self, id_token: str, nonce: str, issuer: str) -> dict[str, Any]:
        check = {"issuer": issuer, "client_id": self.config.client_id, "nonce": nonce}
        try:
            return verify_id_token(id_token, await self.keys(), **check)
        except SingleSignOnRefused:
            # The provider may have rolled its keys since they were read: read them once more
            # (at most once a minute, so forged tokens cannot make the hub hammer the provider).
            if self._keys is not None and time.monotonic() - self._keys[0] < KEYS_REREAD_SECONDS:
                raise
            return verify_id_token(id_token, await self.keys(refresh=True), **check)
