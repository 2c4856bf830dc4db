"""The hub file's ``web:`` section: what the web app offers and how long a sign-in lasts.

::

    web:
      purposes: [IOM panel, case management, clerical review, data protection audit]
      cohort_recipient: iom_team     # the IOM team's pages show this recipient's view only
      idle_minutes: 30
      session_hours: 10
      oidc:                          # optional single sign-on (OpenID Connect)
        provider_name: Westshire Police
        issuer: https://login.microsoftonline.com/TENANT/v2.0
        client_id: 6f1c...
        username_claim: preferred_username
        roles_claim: roles
        roles: {IOM.Officer: [iom_officer], IOM.DataOfficer: [data_officer]}

The client secret is never written here: ``IOMHUB_OIDC_CLIENT_SECRET`` (or ``_FILE``, or the
file ``oidc_client_secret`` in ``IOMHUB_SECRETS_DIR``; :class:`hub.settings.HubSettings`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

DEFAULT_PURPOSES = (
    "IOM panel",
    "case management",
    "clerical review",
    "feed operations",
    "data protection audit",
)

RoleName = Literal["iom_officer", "reviewer", "data_officer", "dpo", "admin"]
"""The roles of :class:`hub.accounts.Role`, by name (the accounts module builds on this one)."""


class OidcConfig(BaseModel):
    """Single sign-on by OpenID Connect (authorization code flow with PKCE, state and nonce)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    provider_name: str = Field(
        min_length=1, max_length=60, description="Shown on the sign-in page: 'Sign in with ...'."
    )
    issuer: str = Field(
        pattern=r"^https?://",
        description="The provider's issuer URL; ID tokens must carry exactly this 'iss'.",
    )
    discovery_url: str | None = Field(
        None,
        pattern=r"^https?://",
        description="Where the provider's metadata is; default: the issuer followed by "
        "/.well-known/openid-configuration.",
    )
    client_id: str = Field(min_length=1, description="The hub's client id at the provider.")
    client_auth: Literal["client_secret_basic", "client_secret_post", "none"] = Field(
        "client_secret_basic",
        description="How the hub proves itself at the token endpoint; 'none' for a public "
        "client (PKCE alone). The secret comes from IOMHUB_OIDC_CLIENT_SECRET, never from YAML.",
    )
    scopes: tuple[str, ...] = Field(
        ("openid", "profile", "email"), description="Scopes asked for; 'openid' is required."
    )
    username_claim: str = Field(
        "preferred_username", description="The ID token claim naming the person's account."
    )
    roles_claim: str = Field(
        "roles", description="The claim (a string or a list of strings) mapped to roles."
    )
    roles: dict[str, tuple[RoleName, ...]] = Field(
        min_length=1,
        description="Claim value -> the hub roles it gives. A person none of whose values is "
        "listed is refused (and the refusal audited).",
    )
    allowed: dict[str, tuple[str, ...]] = Field(
        default_factory=dict,
        description="Claim -> the values one of which it must hold (e.g. Entra ID's 'tid', "
        "the tenant); a token failing one is refused.",
    )
    redirect_url: str | None = Field(
        None,
        pattern=r"^https?://",
        description="The callback URL registered at the provider (behind a reverse proxy); "
        "default: this server's own /login/oidc/callback.",
    )

    @field_validator("scopes")
    @classmethod
    def _asks_for_openid(cls, scopes: tuple[str, ...]) -> tuple[str, ...]:
        if "openid" not in scopes:
            raise ValueError("the scopes must include 'openid'")
        return scopes

    @property
    def metadata_url(self) -> str:
        """Where the provider's metadata is read from."""
        return self.discovery_url or (self.issuer.rstrip("/") + "/.well-known/openid-configuration")


class WebConfig(BaseModel):
    """Settings of ``iomhub serve``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    purposes: tuple[str, ...] = Field(
        DEFAULT_PURPOSES,
        min_length=1,
        description="Why a person looks at personal data; chosen once per sign-in and written "
        "into every consultation entry of the audit log.",
    )
    cohort_recipient: str = Field(
        "iom_team",
        description="The recipient whose published view the IOM team's pages show: what that "
        "recipient's agreements allow, nothing more.",
    )
    idle_minutes: int = Field(30, ge=1, le=24 * 60, description="Sign-out after this idle time.")
    session_hours: int = Field(10, ge=1, le=24, description="Sign-out after this long in any case.")
    oidc: OidcConfig | None = Field(
        None, description="Single sign-on by OpenID Connect; password accounts work beside it."
    )
