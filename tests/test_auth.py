"""Sign-in and roles: claims to roles, and every page under each kind of visitor.

Pages run in AppTest straight from their own file, which is what Streamlit does for a deep link
that reaches a cold server. Signed-in users are AppTest's mocked ``st.user`` (``at.user``) with
Microsoft Entra ID-style claims; sign-in itself (the OIDC round trip) is Streamlit's and is not
driven here.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from productivity import ui
from productivity.ui import auth
from tests import oidc_stub
from tests.conftest import open_tab

TIMEOUT = 90  # seconds: a signed-in run of a page reads the demo marts
ROOT = Path(__file__).resolve().parent.parent
PAGES = [path for path, _title, _icon in ui.PAGES if (ROOT / path).exists()]
# The [auth] section of an Entra ID deployment (values are placeholders; nothing is contacted).
ENTRA_AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "test-cookie-secret",
    "client_id": "00000000-0000-0000-0000-000000000001",
    "client_secret": "test-client-secret",
    "server_metadata_url": (
        "https://login.microsoftonline.com/00000000-0000-0000-0000-0000000000aa"
        "/v2.0/.well-known/openid-configuration"
    ),
}
DATA_MANAGERS_GROUP = "5b1d3c1e-0000-4000-8000-00000000d474"


def entra_user(name: str, **claims: object) -> dict[str, object]:
    """The ID-token claims Streamlit puts in ``st.user`` for a signed-in Entra ID user."""
    return {
        "is_logged_in": True,
        "name": name,
        "email": f"{name.split()[0].lower()}@nhs.net",
        "preferred_username": f"{name.split()[0].lower()}@nhs.net",
        "oid": "11111111-2222-3333-4444-555555555555",
        "tid": "00000000-0000-0000-0000-0000000000aa",
        **claims,
    }


# --- claims to roles -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("claims", "settings", "role"),
    [
        ({"roles": ["data_manager"]}, {}, auth.DATA_MANAGER),  # an Entra ID app role
        ({"roles": ["viewer", "data_manager"]}, {}, auth.DATA_MANAGER),
        ({"roles": "data_manager"}, {}, auth.DATA_MANAGER),  # one role as a string
        ({"roles": ["viewer"]}, {}, auth.VIEWER),
        ({}, {}, auth.VIEWER),  # no roles claim at all: the default role
        ({"roles": None}, {}, auth.VIEWER),
        ({"roles": ["Data_Manager"]}, {}, auth.VIEWER),  # role values are exact
        (
            {"roles": ["Theatres.DataManager"]},
            {"data_manager_roles": ["Theatres.DataManager"]},
            auth.DATA_MANAGER,
        ),
        (
            {"groups": ["a-group", DATA_MANAGERS_GROUP]},
            {"role_claim": "groups", "data_manager_roles": [DATA_MANAGERS_GROUP]},
            auth.DATA_MANAGER,
        ),
        (
            {"roles": ["data_manager"], "groups": ["a-group"]},
            {"role_claim": "groups", "data_manager_roles": [DATA_MANAGERS_GROUP]},
            auth.VIEWER,  # only the configured claim counts
        ),
        (
            {"realm_access": {"roles": ["data_manager"]}},
            {"role_claim": "realm_access.roles"},
            auth.DATA_MANAGER,  # a nested claim (Keycloak) by dotted path
        ),
        (
            {"nhs_role": "dm"},
            {"role_claim": "nhs_role", "data_manager_roles": "dm"},
            auth.DATA_MANAGER,
        ),
    ],
)
def test_role_from_claims(claims, settings, role):
    assert auth.role_from_claims(claims, settings) == role


# --- pages in AppTest ------------------------------------------------------------------------


def run_page(page: str, *, secrets: dict | None = None, user: dict | None = None) -> AppTest:
    """Run one page file on its own (a deep link on a cold server) with these secrets and user."""
    st.cache_data.clear()
    st.cache_resource.clear()  # ui.engine() may hold another test's store
    at = AppTest.from_file(str(ROOT / page), default_timeout=TIMEOUT)
    # Always replace the secrets, so a developer's own .streamlit/secrets.toml cannot leak in.
    at.secrets.update(secrets or {"productivity": {}})
    if user is not None:
        at.user = user
    at.switch_page(Path(page).name)  # AppTest has no URL path to pick the page by
    return at.run()


def texts(at: AppTest) -> str:
    parts = [e.value for kind in ("markdown", "caption", "info", "warning", "error", "success")
             for e in at.get(kind)]  # fmt: skip
    return "\n".join(str(p) for p in parts)


def shows_data(at: AppTest) -> list[str]:
    """Element kinds that carry store data (tables, charts, figures, uploads, downloads)."""
    kinds = ("dataframe", "table", "vega_lite_chart", "arrow_vega_lite_chart", "metric",
             "download_button", "file_uploader", "selectbox")  # fmt: skip
    return [kind for kind in kinds if at.get(kind)]


@pytest.mark.parametrize("page", PAGES)
def test_with_auth_configured_every_page_needs_sign_in(page, tmp_path, monkeypatch):
    store = tmp_path / "never-opened.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{store}")
    at = run_page(page, secrets={"auth": ENTRA_AUTH}, user={"is_logged_in": False})
    assert not at.exception
    assert [t.value for t in at.title] == ["Theatre and diagnostics productivity monitor"]
    assert "Please sign in" in at.info[0].value
    assert [b.label for b in at.button] == ["Sign in"]
    assert shows_data(at) == []
    assert not store.exists(), "a signed-out visitor must not make the app open the store"


def test_a_session_without_the_login_flag_counts_as_signed_out(tmp_path, monkeypatch):
    """AppTest's default user has no ``is_logged_in``: still the sign-in screen, no crash."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'store.db'}")
    at = run_page("pages/Data.py", secrets={"auth": ENTRA_AUTH})
    assert not at.exception
    assert [b.label for b in at.button] == ["Sign in"]


@pytest.fixture
def on_demo(demo_engine, demo_url, monkeypatch):
    """Pages read the 3-month demo (``demo_engine`` rebuilds it if a test wiped PostgreSQL)."""
    monkeypatch.setenv("DATABASE_URL", demo_url)
    monkeypatch.delenv("PRODUCTIVITY_BENCHMARKS", raising=False)


def test_a_viewer_cannot_import_on_the_data_page(on_demo):
    viewer = entra_user("Vera Viewer", roles=["viewer"])
    at = run_page("pages/Data.py", secrets={"auth": ENTRA_AUTH}, user=viewer)
    assert not at.exception
    assert at.title[0].value == "Data"
    assert any("signed in as a **viewer**" in w.value for w in at.warning)
    assert at.get("file_uploader") == []
    assert not [b for b in at.button if b.label == "Import"]
    assert "Local single-user mode" not in texts(at)
    assert at.dataframe, "a viewer still sees the import history"
    at = open_tab(at, "Data quality")
    assert not at.exception and at.dataframe, "and the data quality"
    assert at.get("file_uploader") == [] and not any(b.label == "Import" for b in at.button)


@pytest.mark.parametrize(
    ("claims", "settings"),
    [
        ({"roles": ["data_manager"]}, {}),
        ({"groups": [DATA_MANAGERS_GROUP]},
         {"role_claim": "groups", "data_manager_roles": [DATA_MANAGERS_GROUP]}),
    ],
)  # fmt: skip
def test_a_data_manager_gets_the_uploader(on_demo, claims, settings):
    manager = entra_user("Dana Manager", **claims)
    secrets = {"auth": ENTRA_AUTH, "productivity": settings}
    at = run_page("pages/Data.py", secrets=secrets, user=manager)
    assert not at.exception
    assert [u.label for u in at.get("file_uploader")] == ["File", "Column map (TOML, optional)"]
    assert not any("viewer" in w.value for w in at.warning)


@pytest.mark.parametrize(
    ("claims", "can_rebase"), [({"roles": ["viewer"]}, False), ({"roles": ["data_manager"]}, True)]
)
def test_only_a_data_manager_can_rebase_an_spc_chart(on_demo, claims, can_rebase):
    at = run_page(
        "pages/Theatres.py", secrets={"auth": ENTRA_AUTH}, user=entra_user("Sam User", **claims)
    )
    at = open_tab(at, "SPC")  # the rebase form is in the SPC tab
    assert not at.exception
    buttons = [b.label for b in at.get("form_submit_button")] + [b.label for b in at.button]
    assert ("Add rebase" in buttons) is can_rebase
    assert any("signed in as a **viewer**" in w.value for w in at.warning) is not can_rebase


def test_without_auth_the_app_runs_in_local_mode_with_a_banner(on_demo):
    at = run_page("pages/Data.py")
    assert not at.exception
    assert "Local single-user mode" in texts(at)
    assert at.get("file_uploader"), "the local user manages the data"
    assert not [b for b in at.button if b.label == "Sign in"]


# --- a real browser and a stub OIDC provider --------------------------------------------------


@pytest.fixture(scope="module")
def chromium():
    from tests.test_browser import CHROMIUM_ARGS, chromium_path

    executable = chromium_path()
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def sign_in(chromium, app: str, provider: oidc_stub.Provider, claims: dict) -> object:
    """A fresh browser profile that signs in through the provider as ``claims``; back on /."""
    from tests.test_browser import wait_until_idle

    provider.next_user = {k: v for k, v in claims.items() if k != "is_logged_in"}
    page = chromium.new_context().new_page()
    page.goto(f"{app}/Data")
    page.get_by_role("button", name="Sign in").click(timeout=90_000)
    page.wait_for_url(f"{app}/", timeout=90_000)  # the provider, the callback, then home
    page.locator("[data-testid='stMain'] h1").first.wait_for(timeout=90_000)
    wait_until_idle(page)
    return page


@pytest.mark.browser
def test_sign_in_through_a_stub_oidc_provider_in_chromium(
    chromium, demo_engine, demo_url, tmp_path
):
    """Cold deep links need sign-in; a viewer signed in by OIDC cannot import, a manager can."""
    from tests.test_browser import assert_no_exception, start_server, stop_server, wait_until_idle

    uploader = "[data-testid='stFileUploader']"
    secrets_file = tmp_path / "secrets.toml"
    with oidc_stub.running() as provider, pytest.MonkeyPatch.context() as patch:
        # Streamlit reads secrets on first use, so the file can name the port it was given.
        patch.setenv("STREAMLIT_SECRETS_FILES", str(secrets_file))
        process, app = start_server(demo_url, tmp_path / "streamlit.log")
        try:
            secrets_file.write_text(oidc_stub.secrets_toml(provider, app))
            visitor = chromium.new_context().new_page()
            for path in ("Data", "Theatres"):  # the very first request is a deep link
                visitor.goto(f"{app}/{path}?trust=RBL")
                visitor.get_by_text("Please sign in").wait_for(timeout=90_000)
                wait_until_idle(visitor)
                assert_no_exception(visitor)
                body = visitor.locator("[data-testid='stMain']").inner_text()
                assert "Import history" not in body and "Synthetic demo data" not in body
                assert visitor.locator(uploader).count() == 0
                assert visitor.locator("[data-testid='stDataFrame']").count() == 0

            viewer = sign_in(chromium, app, provider, entra_user("Vera Viewer", sub="v1"))
            viewer.goto(f"{app}/Data")
            viewer.get_by_text("Import history").first.wait_for(timeout=90_000)
            wait_until_idle(viewer)
            assert_no_exception(viewer)
            assert viewer.get_by_text("signed in as a viewer").count() == 1
            assert viewer.locator(uploader).count() == 0

            manager = sign_in(
                chromium,
                app,
                provider,
                entra_user("Dana Manager", sub="m1", roles=["data_manager"]),
            )
            manager.goto(f"{app}/Data")
            manager.locator(uploader).first.wait_for(timeout=90_000)
            assert_no_exception(manager)
            assert manager.get_by_text("signed in as a viewer").count() == 0
        finally:
            stop_server(process)


# --- sign-in fails closed -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("section", "missing"),
    [
        ({**ENTRA_AUTH, "cookie_secret": ""}, "cookie_secret"),
        ({k: v for k, v in ENTRA_AUTH.items() if k != "client_secret"}, "[auth] client_secret"),
        ({"redirect_uri": ENTRA_AUTH["redirect_uri"], "cookie_secret": "x",
          "microsoft": {"client_id": "id", "client_secret": "s"}},
         "[auth.microsoft] server_metadata_url"),
        ("not a table", "[auth] must be a table"),
    ],
)  # fmt: skip
def test_an_incomplete_auth_section_is_a_problem_that_names_keys_only(section, missing):
    problem = auth.auth_problem({"auth": section})
    assert problem is not None and missing in problem
    for secret in ("test-client-secret", "test-cookie-secret"):
        assert secret not in problem
    assert auth.auth_problem({"auth": ENTRA_AUTH}) is None
    assert auth.auth_problem({"productivity": {}}) is None  # no [auth]: local mode


def closed(at: AppTest) -> None:
    """The error screen and nothing else: no data, no uploader, no local mode."""
    assert not at.exception
    assert [t.value for t in at.title] == ["Theatre and diagnostics productivity monitor"]
    assert "Sign-in is configured but cannot start" in at.error[0].value
    assert shows_data(at) == []
    assert "Local single-user mode" not in texts(at)
    assert not [b for b in at.button if b.label == "Sign in"]


def test_an_incomplete_auth_section_closes_the_app(tmp_path, monkeypatch, caplog):
    store = tmp_path / "never-opened.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{store}")
    half = {k: v for k, v in ENTRA_AUTH.items() if k not in ("client_id", "cookie_secret")}
    with caplog.at_level("ERROR", logger="productivity.auth"):
        at = run_page("pages/Data.py", secrets={"auth": half})
    closed(at)
    assert "cookie_secret" in at.error[0].value and "[auth] client_id" in at.error[0].value
    assert "lacks cookie_secret" in caplog.text
    assert "test-client-secret" not in caplog.text + at.error[0].value
    assert not store.exists()


@pytest.fixture
def secrets_file(tmp_path):
    """A secrets.toml that Streamlit reads for real (AppTest gets no injected secrets)."""
    from streamlit import config

    path = tmp_path / "secrets.toml"
    saved = config.get_option("secrets.files")
    config.set_option("secrets.files", [str(path)])
    st.secrets._reset()
    yield path
    config.set_option("secrets.files", saved)
    st.secrets._reset()


def test_an_unreadable_secrets_file_closes_the_app(secrets_file, tmp_path, monkeypatch, caplog):
    """One stray quote in [auth] used to make every visitor a local data manager."""
    lines = [f'{k} = "{v}"' for k, v in ENTRA_AUTH.items()]
    lines[3] = 'client_secret = "test-client-secret'  # the stray quote
    secrets_file.write_text("[auth]\n" + "\n".join(lines) + "\n")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'never-opened.db'}")
    st.cache_data.clear()
    st.cache_resource.clear()
    with caplog.at_level("ERROR", logger="productivity.auth"):
        at = AppTest.from_file(str(ROOT / "pages/Data.py"), default_timeout=TIMEOUT)
        at.switch_page("Data.py")
        at.run()
    closed(at)
    assert "the secrets file cannot be read (at line 5, column" in at.error[0].value
    assert "test-client-secret" not in caplog.text + at.error[0].value
    assert "the secrets file cannot be read" in caplog.text


def test_no_secrets_file_at_all_is_still_local_mode(secrets_file, demo_url, monkeypatch):
    assert not secrets_file.exists()
    monkeypatch.setenv("DATABASE_URL", demo_url)
    assert auth.check_config() == {}
    assert auth.current_user().role == auth.DATA_MANAGER
