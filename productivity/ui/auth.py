"""Sign-in and roles: OIDC through ``st.login`` when configured, local single-user mode if not.

Configure in ``.streamlit/secrets.toml`` (see README, "Sign-in"): an ``[auth]`` section for
Streamlit's OIDC login, and ``[productivity]`` with ``role_claim`` (default ``roles``) and
``data_manager_roles`` (default ``["data_manager"]``). A signed-in user whose claim holds none of
those is a ``viewer``. Without ``[auth]``, everyone is a local ``data_manager`` and pages say so.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import streamlit as st

VIEWER, DATA_MANAGER = "viewer", "data_manager"


@dataclass(frozen=True)
class User:
    name: str
    role: str
    authenticated: bool  # signed in through OIDC
    must_sign_in: bool  # auth is configured and nobody has signed in yet

    @property
    def can_change_data(self) -> bool:
        return self.role == DATA_MANAGER and not self.must_sign_in


def _secrets() -> Mapping[str, Any]:
    try:
        return st.secrets.to_dict()
    except FileNotFoundError:
        return {}
    except Exception:  # a malformed secrets file must not take every page down
        return {}


def auth_configured() -> bool:
    return "auth" in _secrets()


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
    """Who is using this session, and whether they must sign in before seeing anything."""
    if not auth_configured():
        return User("local user", DATA_MANAGER, authenticated=False, must_sign_in=False)
    claims = st.user.to_dict()
    if not claims.get("is_logged_in", False):  # signed out unless Streamlit says otherwise
        return User("", VIEWER, authenticated=False, must_sign_in=True)
    role = role_from_claims(claims, _secrets().get("productivity", {}))
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
