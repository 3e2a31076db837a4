"""A test-only OpenID Connect provider, so a real browser can sign in without Entra ID.

It implements just what Streamlit's ``st.login`` (Authlib) uses: the discovery document, an
authorisation endpoint that signs in whoever ``provider.next_user`` names at once (no login
form), a token endpoint that returns an RS256 ID token carrying that user's claims and the
request's nonce, and the JWKS to verify it. Run it with :func:`running`; never in production.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import RSAKey

CLIENT_ID = "productivity-monitor-test"
CLIENT_SECRET = "stub-client-secret"


@dataclass
class Provider:
    issuer: str
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, auto_kid=True))
    next_user: dict[str, Any] = field(default_factory=dict)
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)  # code -> claims + nonce

    def metadata(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "scopes_supported": ["openid", "email", "profile"],
        }

    def id_token(self, grant: dict[str, Any]) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 600,
            **grant,
        }
        return jwt.encode({"alg": "RS256", "kid": self.key.kid}, claims, self.key)


def _handler(provider: Provider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: object) -> None:  # keep pytest's output clean
            pass

        def _json(self, body: dict[str, Any], status: int = 200) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            if url.path == "/.well-known/openid-configuration":
                self._json(provider.metadata())
            elif url.path == "/jwks":
                self._json({"keys": [provider.key.as_dict(private=False)]})
            elif url.path == "/authorize":
                code = secrets.token_urlsafe(16)
                grant = dict(provider.next_user)
                if "nonce" in query:
                    grant["nonce"] = query["nonce"]
                provider.codes[code] = grant
                back = {"code": code, "state": query.get("state", "")}
                self.send_response(302)
                self.send_header("Location", f"{query['redirect_uri']}?{urlencode(back)}")
                self.end_headers()
            else:
                self._json({"error": "not_found"}, 404)

        def do_POST(self) -> None:  # noqa: N802
            if urlsplit(self.path).path != "/token":
                self._json({"error": "not_found"}, 404)
                return
            length = int(self.headers.get("Content-Length", "0"))
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            basic = self.headers.get("Authorization", "")
            if basic.startswith("Basic "):
                client, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
            else:
                client, secret = form.get("client_id", ""), form.get("client_secret", "")
            if (client, secret) != (CLIENT_ID, CLIENT_SECRET):
                self._json({"error": "invalid_client"}, 401)
                return
            grant = provider.codes.pop(form.get("code", ""), None)
            if grant is None:
                self._json({"error": "invalid_grant"}, 400)
                return
            self._json(
                {
                    "access_token": secrets.token_urlsafe(16),
                    "token_type": "Bearer",
                    "expires_in": 600,
                    "id_token": provider.id_token(grant),
                }
            )

    return Handler


@contextmanager
def running(host: str = "127.0.0.1") -> Iterator[Provider]:
    """Serve a provider on a free port for the duration of the block."""
    server = ThreadingHTTPServer((host, 0), BaseHTTPRequestHandler)  # handler set below
    provider = Provider(f"http://{host}:{server.server_address[1]}")
    server.RequestHandlerClass = _handler(provider)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()


def secrets_toml(provider: Provider, app_url: str, role_claim: str = "roles") -> str:
    """The ``.streamlit/secrets.toml`` a deployment on ``app_url`` would have for ``provider``."""
    return (
        "[auth]\n"
        f'redirect_uri = "{app_url}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_hex(16)}"\n'
        f'client_id = "{CLIENT_ID}"\n'
        f'client_secret = "{CLIENT_SECRET}"\n'
        f'server_metadata_url = "{provider.issuer}/.well-known/openid-configuration"\n'
        "\n[productivity]\n"
        f'role_claim = "{role_claim}"\n'
        'data_manager_roles = ["data_manager"]\n'
    )
