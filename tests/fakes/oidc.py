"""A fake OpenID Connect provider served over real HTTP on 127.0.0.1, for the sign-in tests.

It serves a discovery document, ``/authorize`` (no login page: it answers at once with a
redirect to the client's callback, with a code for ``state.user``), ``/token`` (checks the
client id and secret, the code, the redirect URI and the PKCE verifier; codes work once)
and ``/jwks``. The ID token is signed RS256 with an RSA key made by ``cryptography``.

``state.misbehave`` makes the next ID tokens (or ``/authorize``) go wrong on purpose; see
``MISBEHAVIOURS``. Every ID token and access token handed out is kept in ``state.issued``,
so a test can check that none of them shows up where it must not.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus, urlencode

import jwt
import uvicorn
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from jwt.algorithms import RSAAlgorithm

from app.fakegraph.server import bind

CLIENT_ID = "uppsikt-test-client"
CLIENT_SECRET = "Oidc~secret.do+not:log/0123456789"  # characters Basic auth must encode

MISBEHAVIOURS = {
    "access_denied",  # /authorize answers error=access_denied
    "wrong_nonce",  # the ID token carries another nonce
    "no_nonce",  # the ID token carries no nonce
    "wrong_audience",  # the ID token is for another client
    "wrong_issuer",  # the ID token names another issuer
    "expired",  # the ID token expired an hour ago
    "future_iat",  # the ID token is issued an hour from now
    "bad_signature",  # signed with another key under the published key's kid
    "unknown_kid",  # signed with a key the JWKS never lists
    "alg_none",  # an unsigned token ("alg": "none")
    "hs256",  # HMAC-signed with the public key as the secret (key confusion)
    "no_id_token",  # the token endpoint answers without an ID token
    "token_error",  # the token endpoint answers 500
}


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class FakeOidcState:
    base_url: str = ""
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET
    key: rsa.RSAPrivateKey = field(default_factory=_new_key)
    kid: str = "key-1"
    # The claims of whoever "signs in" at /authorize next.
    user: dict[str, Any] = field(default_factory=lambda: {
        "sub": "subject-anna", "preferred_username": "anna.andersson@kommun.example",
        "name": "Anna Andersson"})
    misbehave: set[str] = field(default_factory=set)
    # What the discovery document offers for sending the client secret.
    auth_methods: list[str] = field(default_factory=lambda: ["client_secret_post",
                                                             "client_secret_basic"])
    # Where discovery says the token endpoint is (None: here); e.g. a port nobody listens on.
    token_endpoint: str | None = None
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    token_requests: list[dict[str, Any]] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)  # why /token said no
    issued: list[str] = field(default_factory=list)  # every token and code handed out
    discovery_fetches: int = 0
    jwks_fetches: int = 0

    def reset(self) -> None:
        fresh = FakeOidcState(base_url=self.base_url, key=self.key)
        self.__dict__.update(fresh.__dict__)

    @property
    def issuer(self) -> str:
        return self.base_url

    def rotate_key(self) -> None:
        """A new signing key under a new kid; the JWKS lists only the new one."""
        self.key = _new_key()
        self.kid = f"key-{secrets.token_hex(4)}"

    def id_token(self, *, nonce: str | None, claims: dict[str, Any]) -> str:
        now = int(time.time())
        body: dict[str, Any] = {"iss": self.issuer, "aud": self.client_id, "iat": now,
                                "exp": now + 3600, **claims}
        if nonce is not None:
            body["nonce"] = nonce
        bad = self.misbehave
        if "wrong_nonce" in bad:
            body["nonce"] = "another-nonce"
        if "no_nonce" in bad:
            body.pop("nonce", None)
        if "wrong_audience" in bad:
            body["aud"] = "someone-else"
        if "wrong_issuer" in bad:
            body["iss"] = "https://evil.example/"
        if "expired" in bad:
            body["iat"], body["exp"] = now - 7200, now - 3600
        if "future_iat" in bad:
            body["iat"], body["exp"] = now + 3600, now + 7200
        if "alg_none" in bad:
            return jwt.encode(body, None, algorithm="none", headers={"kid": self.kid})
        if "hs256" in bad:
            return _hs256_with_public_key(body, self.key, self.kid)
        key, kid = self.key, self.kid
        if "bad_signature" in bad:
            key = _new_key()
        if "unknown_kid" in bad:
            key, kid = _new_key(), "key-nobody-knows"
        return jwt.encode(body, key, algorithm="RS256", headers={"kid": kid})


def _hs256_with_public_key(body: dict[str, Any], key: rsa.RSAPrivateKey, kid: str) -> str:
    """The old key-confusion attack: HMAC with the published public key (PEM) as secret.
    Made by hand, as PyJWT rightly refuses to make it."""
    def b64(data: bytes) -> bytes:
        return base64.urlsafe_b64encode(data).rstrip(b"=")

    pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    signing_input = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode()) + (
        b"." + b64(json.dumps(body).encode()))
    signature = hmac.new(pem, signing_input, hashlib.sha256).digest()
    return (signing_input + b"." + b64(signature)).decode()


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(
        b"=").decode()


def _client_of(request: Request, form: dict[str, str]) -> tuple[str | None, str | None]:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        raw = base64.b64decode(header[6:]).decode()
        client_id, _, secret = raw.partition(":")
        return unquote_plus(client_id), unquote_plus(secret)
    return form.get("client_id"), form.get("client_secret")


def build_app(state: FakeOidcState) -> FastAPI:
    app = FastAPI()

    @app.get("/.well-known/openid-configuration")
    async def discovery() -> JSONResponse:
        state.discovery_fetches += 1
        return JSONResponse({
            "issuer": state.issuer,
            "authorization_endpoint": f"{state.base_url}/authorize",
            "token_endpoint": state.token_endpoint or f"{state.base_url}/token",
            "jwks_uri": f"{state.base_url}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": state.auth_methods,
            "code_challenge_methods_supported": ["S256"],
        })

    @app.get("/jwks")
    async def jwks() -> JSONResponse:
        state.jwks_fetches += 1
        key = RSAAlgorithm.to_jwk(state.key.public_key(), as_dict=True)
        return JSONResponse({"keys": [{**key, "kid": state.kid, "use": "sig",
                                       "alg": "RS256"}]})

    @app.get("/authorize")
    async def authorize(request: Request) -> Response:
        q = request.query_params
        redirect_uri = q.get("redirect_uri", "")
        if (q.get("client_id") != state.client_id or not redirect_uri
                or q.get("response_type") != "code" or "openid" not in q.get("scope", "").split()
                or q.get("code_challenge_method") != "S256" or not q.get("code_challenge")):
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        if "access_denied" in state.misbehave:
            answer = {"error": "access_denied", "error_description": "The user said no",
                      "state": q.get("state", "")}
        else:
            code = secrets.token_urlsafe(24)
            state.issued.append(code)
            state.codes[code] = {"redirect_uri": redirect_uri, "nonce": q.get("nonce"),
                                 "challenge": q["code_challenge"], "claims": dict(state.user),
                                 "used": False}
            answer = {"code": code, "state": q.get("state", "")}
        return RedirectResponse(f"{redirect_uri}?{urlencode(answer)}", status_code=302)

    @app.post("/token")
    async def token(request: Request) -> JSONResponse:
        form = {k: str(v) for k, v in (await request.form()).items()}
        client_id, secret = _client_of(request, form)
        state.token_requests.append({
            "basic": request.headers.get("authorization", "").lower().startswith("basic "),
            "has_verifier": bool(form.get("code_verifier")),
            "redirect_uri": form.get("redirect_uri")})

        def refuse(why: str, error: str = "invalid_grant", status: int = 400) -> JSONResponse:
            state.refusals.append(why)
            return JSONResponse({"error": error, "error_description": why},
                                status_code=status)

        if client_id != state.client_id or secret != state.client_secret:
            return refuse("client", "invalid_client", 401)
        if form.get("grant_type") != "authorization_code":
            return refuse("grant_type", "unsupported_grant_type")
        grant = state.codes.get(form.get("code", ""))
        if grant is None:
            return refuse("code")
        if grant["used"]:
            return refuse("code used")
        grant["used"] = True
        if form.get("redirect_uri") != grant["redirect_uri"]:
            return refuse("redirect_uri")
        if _s256(form.get("code_verifier", "")) != grant["challenge"]:
            return refuse("pkce")
        if "token_error" in state.misbehave:
            return refuse("down", "server_error", 500)
        access_token = "access-" + secrets.token_urlsafe(24)
        answer: dict[str, Any] = {"access_token": access_token, "token_type": "Bearer",
                                  "expires_in": 3600}
        state.issued.append(access_token)
        if "no_id_token" not in state.misbehave:
            id_token = state.id_token(nonce=grant["nonce"], claims=grant["claims"])
            state.issued.append(id_token)
            answer["id_token"] = id_token
        return JSONResponse(answer)

    return app


class FakeOidcServer:
    """The fake on 127.0.0.1 in a background thread; ``issuer`` is its URL."""

    def __init__(self, port: int = 0) -> None:
        self.state = FakeOidcState()
        self.socket = bind("127.0.0.1", port)
        self.port: int = self.socket.getsockname()[1]
        self.state.base_url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(
            build_app(self.state), log_level="warning", access_log=False, lifespan="off",
            ws="none"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.socket]},
                                       name=f"fake-oidc-{self.port}", daemon=True)

    @property
    def issuer(self) -> str:
        return self.state.issuer

    def start(self) -> FakeOidcServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                self.stop()
                raise RuntimeError("fake OpenID provider did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        if self.thread.is_alive():
            self.thread.join(5)
        self.socket.close()
