"""Sign-in and roles: OIDC through ``st.login`` when configured, local single-user mode if not.

Configure in ``.streamlit/secrets.toml`` (see README, "Sign-in"): an ``[auth]`` section for
Streamlit's OIDC login, and ``[productivity]`` with ``role_claim`` (default ``roles``) and
``data_manager_roles`` (default ``["data_manager"]``). A signed-in user whose claim holds none of
those is a ``viewer``. Without ``[auth]``, everyone is a local ``data_manager`` and pages say so.
"""

from __future__ import annotations

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


def role_from_claims(claims: Mapping[str, Any], settings: Mapping[str, Any]) -> str:
    """The role a user's claims give: ``data_manager`` if the configured claim names it."""
    claim = str(settings.get("role_claim", "roles"))
    managers = {str(r) for r in settings.get("data_manager_roles", [DATA_MANAGER])}
    value = claims.get(claim, [])
    values = {value} if isinstance(value, str) else {str(v) for v in value or []}
    return DATA_MANAGER if values & managers else VIEWER


def current_user() -> User:
    if not auth_configured():
        return User("local user", DATA_MANAGER, authenticated=False, must_sign_in=False)
    if not st.user.is_logged_in:
        return User("", VIEWER, authenticated=False, must_sign_in=True)
    claims = st.user.to_dict()
    role = role_from_claims(claims, _secrets().get("productivity", {}))
    name = str(claims.get("name") or claims.get("email") or "signed-in user")
    return User(name, role, authenticated=True, must_sign_in=False)


def sign_in_screen() -> None:
    st.title("Theatre and diagnostics productivity monitor")
    st.info("Please sign in with your NHS account to see this page.", icon=":material/lock:")
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
