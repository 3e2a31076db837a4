"""Sign-in and roles: OIDC through ``st.login`` when configured, local single-user mode if not.

Configure in ``.streamlit/secrets.toml`` (see README, "Sign-in"): an ``[auth]`` section for
Streamlit's OIDC login, and ``[productivity]`` with ``role_claim`` (default ``roles``) and
``data_manager_roles`` (default ``["data_manager"]``). A signed-in user whose claim holds none of
those is a ``viewer``. Without a secrets file, or with one that has no ``[auth]``, everyone is a
local ``data_manager`` and pages say so.

Sign-in fails closed: a secrets file that exists but cannot be read, or an ``[auth]`` section
that lacks what OIDC needs, raises :class:`AuthConfigError`, and the frame shows only
:func:`config_error_screen` (never the data, never local mode). The reason is logged and shown
without any secret value: only the file's line and column, or the names of missing keys.
"""

from __future__ import annotations

import importlib.util
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

VIEWER, DATA_MANAGER = "viewer", "data_manager"
# What Streamlit's OIDC login needs: these in [auth], and a provider's client settings either
# in [auth] itself or in each named provider table ([auth.microsoft], ...).
AUTH_KEYS = ("redirect_uri", "cookie_secret")
PROVIDER_KEYS = ("client_id", "client_secret", "server_metadata_url")
log = logging.getLogger("productivity.auth")


class AuthConfigError(RuntimeError):
    """Sign-in is configured wrongly; the message names the problem, never a secret."""


@dataclass(frozen=True)
class User:
    name: str
    role: str
    authenticated: bool  # signed in through OIDC
    must_sign_in: bool  # auth is configured and nobody has signed in yet

    @property
    def can_change_data(self) -> bool:
        return self.role == DATA_MANAGER and not self.must_sign_in


def _secrets_files() -> list[Path]:
    """The secrets files (or folders) Streamlit reads that exist."""
    configured = st.get_option("secrets.files") or []
    return [Path(p) for p in configured if Path(p).exists()]


def _secrets() -> Mapping[str, Any]:
    """The secrets; {} when there is no secrets file at all.

    Raises:
        AuthConfigError: a secrets file exists but cannot be read (Streamlit reports a parse
            error as a "not found" error, which must not look like "no file").
    """
    try:
        return st.secrets.to_dict()
    except Exception as exc:
        if not _secrets_files():
            return {}
        where = re.search(r"line \d+, column \d+", str(exc))
        reason = "the secrets file cannot be read" + (f" (at {where.group()})" if where else "")
        raise AuthConfigError(reason) from None


def auth_problem(secrets: Mapping[str, Any]) -> str | None:
    """What the ``[auth]`` section lacks for OIDC sign-in (key names only), or None."""
    if "auth" not in secrets:
        return None
    section = secrets["auth"]
    if not isinstance(section, Mapping):
        return "[auth] must be a table of settings"
    missing = [k for k in AUTH_KEYS if not str(section.get(k) or "").strip()]
    providers = {k: v for k, v in section.items() if isinstance(v, Mapping)}
    if any(k in section for k in PROVIDER_KEYS) or not providers:
        providers = {"auth": section}
    for name, provider in providers.items():
        where = "[auth]" if name == "auth" else f"[auth.{name}]"
        missing += [f"{where} {k}" for k in PROVIDER_KEYS if not str(provider.get(k) or "").strip()]
    if missing:
        return "the [auth] section is incomplete: it lacks " + ", ".join(missing)
    return None


def check_config() -> Mapping[str, Any]:
    """The secrets, once sign-in is known to be either off or fully configured.

    Raises:
        AuthConfigError: the secrets file cannot be read, or ``[auth]`` is incomplete.
    """
    secrets = _secrets()
    problem = auth_problem(secrets)
    if problem:
        raise AuthConfigError(problem)
    return secrets


def auth_configured() -> bool:
    return "auth" in check_config()


def _claim(claims: Mapping[str, Any], name: str) -> Any:
    """A claim by name; a dotted name (``realm_access.roles``) looks inside nested claims."""
    if name in claims:
        return claims[name]
    value: Any = claims
    for part in name.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def _names(value: Any) -> set[str]:
    if value is None:
        return set()
    if isinstance(value, str):
        return {value}
    return {str(v) for v in value}


def role_from_claims(claims: Mapping[str, Any], settings: Mapping[str, Any]) -> str:
    """The role a user's ID-token claims give: ``data_manager`` if the configured claim names it.

    ``settings`` is the ``[productivity]`` secrets section: ``role_claim`` (default ``roles``,
    Entra ID's app-role claim; ``groups`` or a dotted path also work) and ``data_manager_roles``
    (default ``["data_manager"]``: app-role values, or group object IDs). Anyone else is a
    ``viewer``, including a user whose token lacks the claim.
    """
    claim = str(settings.get("role_claim", "roles"))
    managers = _names(settings.get("data_manager_roles", [DATA_MANAGER]))
    return DATA_MANAGER if _names(_claim(claims, claim)) & managers else VIEWER


def current_user() -> User:
    """Who is using this session, and whether they must sign in before seeing anything.

    Raises:
        AuthConfigError: sign-in is configured wrongly (see :func:`check_config`).
    """
    secrets = check_config()
    if "auth" not in secrets:
        return User("local user", DATA_MANAGER, authenticated=False, must_sign_in=False)
    claims = st.user.to_dict()
    if not claims.get("is_logged_in", False):  # signed out unless Streamlit says otherwise
        return User("", VIEWER, authenticated=False, must_sign_in=True)
    role = role_from_claims(claims, secrets.get("productivity", {}))
    name = str(claims.get("name") or claims.get("email") or "signed-in user")
    return User(name, role, authenticated=True, must_sign_in=False)


def sign_in_screen() -> None:
    """The only thing a signed-out visitor sees, on every page and every deep link."""
    st.title("Theatre and diagnostics productivity monitor")
    st.info("Please sign in with your NHS account to see this page.", icon=":material/lock:")
    if importlib.util.find_spec("authlib") is None:  # st.login needs it; say so, don't crash
        st.error(
            "Sign-in is configured but the server cannot start it: install `Authlib` "
            "(`pip install -r requirements.txt`) and restart the app.",
            icon=":material/error:",
        )
        return
    st.button("Sign in", on_click=st.login, type="primary", icon=":material/login:")


def config_error_screen(error: AuthConfigError) -> None:
    """The only thing anyone sees while sign-in is misconfigured: the app stays closed."""
    log.error("sign-in is misconfigured, so the app is closed: %s", error)
    st.title("Theatre and diagnostics productivity monitor")
    st.error(
        "Sign-in is configured but cannot start, so the app is closed until it is fixed: "
        f"{error}. Ask whoever runs this app to correct `.streamlit/secrets.toml` (see the "
        "README, 'Sign-in') and restart it.",
        icon=":material/lock:",
    )


def require_data_manager(user: User) -> bool:
    """Show why a data-changing control is unavailable; True when the user may change data."""
    if user.can_change_data:
        return True
    st.warning(
        "You are signed in as a **viewer**. Importing data and rebasing SPC charts need the "
        "`data_manager` role: ask your information team to add it to your account.",
        icon=":material/block:",
    )
    return False
