"""The OpenID Connect provider as the sign-in sees it: its discovery document, its token
endpoint, its signing keys, and the checks an ID token must pass.

Discovery and the key set are cached for an hour; a token signed with a key we do not know
makes one fresh fetch of the key set (the provider may have rotated its keys). Nothing here
logs or keeps the authorization code, the tokens or the client secret, and the errors
carry only a reason in a few words, never the provider's answer.
"""

from __future__ import annotations

import hmac
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from jwt.algorithms import RSAAlgorithm
from pydantic import SecretStr

TIMEOUT = httpx.Timeout(10.0)
CACHE_SECONDS = 3600.0
LEEWAY_SECONDS = 60  # clock difference allowed between us and the provider
ALGORITHMS = ["RS256"]  # what Entra ID signs with; "none" and HMAC are never accepted


class ProviderUnavailable(Exception):
    """The provider could not be reached, or answered with an error or nonsense (502)."""


class TokenRejected(Exception):
    """The ID token failed a check: signature, issuer, audience, time or nonce."""


@dataclass(frozen=True, slots=True)
class Endpoints:
    authorization: str
    token: str
    jwks_uri: str
    # How the client secret is sent to the token endpoint.
    secret_in_body: bool


class Provider:
    """One configured provider (issuer, client id and secret) with its caches."""

    def __init__(self, issuer: str, client_id: str, client_secret: SecretStr) -> None:
        self.issuer = issuer
        self.client_id = client_id
        self._secret = client_secret
        self._endpoints: tuple[float, Endpoints] | None = None
        self._keys: tuple[float, dict[str | None, RSAPublicKey]] | None = None

    def matches(self, issuer: str, client_id: str, client_secret: SecretStr) -> bool:
        return (self.issuer, self.client_id, self._secret.get_secret_value()) == (
            issuer, client_id, client_secret.get_secret_value())

    # -- discovery -------------------------------------------------------------------------

    def endpoints(self) -> Endpoints:
        cached = self._endpoints
        if cached is not None and time.monotonic() - cached[0] < CACHE_SECONDS:
            return cached[1]
        doc = _get_json(self.issuer.rstrip("/") + "/.well-known/openid-configuration",
                        what="discovery")
        # The document must be the configured issuer's (OpenID Connect Discovery 1.0, 4.3).
        if doc.get("issuer") != self.issuer:
            raise ProviderUnavailable("discovery: another issuer")
        urls = [doc.get(name) for name in ("authorization_endpoint", "token_endpoint",
                                           "jwks_uri")]
        # An https issuer's endpoints are https too (http only for a provider under test).
        schemes = ("https://",) if self.issuer.startswith("https://") else ("http://",
                                                                            "https://")
        if not all(isinstance(url, str) and url.startswith(schemes) for url in urls):
            raise ProviderUnavailable("discovery: endpoints missing")
        methods = doc.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
        endpoints = Endpoints(authorization=urls[0], token=urls[1], jwks_uri=urls[2],
                              secret_in_body="client_secret_post" in methods)
        self._endpoints = (time.monotonic(), endpoints)
        return endpoints

    # -- the token endpoint ----------------------------------------------------------------

    def exchange(self, *, code: str, redirect_uri: str, verifier: str) -> str:
        """The ID token for an authorization code (with the PKCE verifier)."""
        endpoints = self.endpoints()
        form = {"grant_type": "authorization_code", "code": code,
                "redirect_uri": redirect_uri, "code_verifier": verifier,
                "client_id": self.client_id}
        auth: httpx.BasicAuth | None = None
        if endpoints.secret_in_body:
            form["client_secret"] = self._secret.get_secret_value()
        else:  # RFC 6749 2.3.1: form-encoded before they are joined
            auth = httpx.BasicAuth(quote_plus(self.client_id),
                                   quote_plus(self._secret.get_secret_value()))
        try:
            with httpx.Client(timeout=TIMEOUT) as client:
                response = client.post(endpoints.token, data=form, auth=auth,
                                       headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise ProviderUnavailable(f"token: {type(exc).__name__}") from None
        if response.status_code != 200:
            raise ProviderUnavailable(f"token: HTTP {response.status_code} "
                                      f"{_error_code(response)}".rstrip())
        body = _json(response, what="token")
        id_token = body.get("id_token")
        if not isinstance(id_token, str) or not id_token:
            raise ProviderUnavailable("token: no id_token")
        return id_token

    # -- the ID token ----------------------------------------------------------------------

    def verify(self, id_token: str, *, nonce: str) -> dict[str, Any]:
        """The ID token's claims if it is signed by the provider, for us, current, and
        carries the nonce of this sign-in; otherwise TokenRejected."""
        try:
            header = jwt.get_unverified_header(id_token)
        except jwt.InvalidTokenError:
            raise TokenRejected("not a JWT") from None
        if header.get("alg") not in ALGORITHMS:
            raise TokenRejected(f"algorithm {str(header.get('alg'))[:10]}")
        kid = header.get("kid")
        key = self._key(kid if isinstance(kid, str) else None)
        try:
            claims = jwt.decode(
                id_token, key, algorithms=ALGORITHMS, audience=self.client_id,
                issuer=self.issuer, leeway=LEEWAY_SECONDS,
                options={"require": ["iss", "aud", "sub", "exp", "iat"]})
        except jwt.InvalidTokenError as exc:
            raise TokenRejected(type(exc).__name__) from None
        # OpenID Connect Core 3.1.3.7: with more than one audience, we must be the party
        # the token was issued to.
        azp = claims.get("azp")
        if (isinstance(claims["aud"], list) and len(claims["aud"]) > 1 or azp is not None) and (
                azp != self.client_id):
            raise TokenRejected("azp")
        if not isinstance(claims.get("nonce"), str) or not hmac.compare_digest(
                claims["nonce"].encode(), nonce.encode()):
            raise TokenRejected("nonce")
        if not isinstance(claims["sub"], str) or not 0 < len(claims["sub"]) <= 255:
            raise TokenRejected("sub")
        return claims

    def _key(self, kid: str | None) -> RSAPublicKey:
        for refresh in (False, True):
            keys = self._key_set(refresh=refresh)
            if kid in keys:
                return keys[kid]
            if kid is None and len(keys) == 1:  # a provider with one key may leave out kid
                return next(iter(keys.values()))
        raise TokenRejected("unknown key")

    def _key_set(self, *, refresh: bool) -> dict[str | None, RSAPublicKey]:
        cached = self._keys
        if (not refresh and cached is not None
                and time.monotonic() - cached[0] < CACHE_SECONDS):
            return cached[1]
        doc = _get_json(self.endpoints().jwks_uri, what="jwks")
        keys: dict[str | None, RSAPublicKey] = {}
        for jwk in doc.get("keys") or []:
            if not isinstance(jwk, dict) or jwk.get("kty") != "RSA" or jwk.get(
                    "use", "sig") != "sig":
                continue
            try:
                key = RSAAlgorithm.from_jwk(json.dumps(jwk))
            except (jwt.InvalidKeyError, ValueError, TypeError):
                continue
            if isinstance(key, RSAPublicKey):
                kid = jwk.get("kid")
                keys[kid if isinstance(kid, str) else None] = key
        self._keys = (time.monotonic(), keys)
        return keys


def _get_json(url: str, *, what: str) -> dict[str, Any]:
    try:
        with httpx.Client(timeout=TIMEOUT) as client:
            response = client.get(url, headers={"Accept": "application/json"})
    except httpx.HTTPError as exc:
        raise ProviderUnavailable(f"{what}: {type(exc).__name__}") from None
    if response.status_code != 200:
        raise ProviderUnavailable(f"{what}: HTTP {response.status_code}")
    return _json(response, what=what)


def _json(response: httpx.Response, *, what: str) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        raise ProviderUnavailable(f"{what}: not JSON") from None
    if not isinstance(body, dict):
        raise ProviderUnavailable(f"{what}: not a JSON object")
    return body


def _error_code(response: httpx.Response) -> str:
    """The OAuth error code of a refusal (e.g. invalid_grant), for the log: short and
    made of safe characters only, never the rest of the answer."""
    try:
        code = response.json().get("error")
    except (ValueError, AttributeError):
        return ""
    if isinstance(code, str) and code.replace("_", "").isalnum():
        return code[:40]
    return ""
