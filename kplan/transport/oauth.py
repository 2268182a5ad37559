"""OAUTHBEARER tokens that kplan fetches itself: OIDC client credentials (for kplan's own Kafka client,
kplan.transport.wire; librdkafka fetches its own with `sasl.oauthbearer.method: oidc`) and AWS MSK IAM tokens from
AWS's signer library (for every client: confluent-kafka through `oauth_cb`, kplan's own from the same source).

A source caches its token and fetches a new one once 80% of the token's lifetime has passed (librdkafka's own
rule), so every connection gets an unexpired token. Every failure is one KplanError line naming the endpoint and
what to check, never the secret: a refused client (wrong id or secret), an endpoint that is not a token endpoint
(a wrong URL, a realm that does not exist), an unreachable one, and a token already expired by this machine's
clock.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Callable

from kplan.errors import KplanError

REFRESH_AT = 0.8  # of a token's lifetime


class TokenSource:
    """A cached token, fetched again once REFRESH_AT of its lifetime has passed. Subclasses fetch."""

    what = "a token"

    def __init__(self, clock: Callable[[], float] = time.time):
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_at = 0.0
        self._refresh_at = 0.0
        self.fetches = 0  # how many tokens were fetched (tests and debugging)

    def token(self) -> tuple[str, float]:
        """The current token and its expiry (seconds since the epoch)."""
        with self._lock:
            now = self._clock()
            if self._token is None or now >= self._refresh_at:
                token, expires_at = self._fetch()
                self.fetches += 1
                if expires_at <= now:
                    raise KplanError(f"{self.what} had already expired when kplan received it (it expired at "
                                     f"{time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime(expires_at))}, this "
                                     "machine's clock says later): check the clocks of this machine and of the "
                                     "token's issuer")
                self._token, self._expires_at = token, expires_at
                self._refresh_at = now + (expires_at - now) * REFRESH_AT
            return self._token, self._expires_at

    def _fetch(self) -> tuple[str, float]:
        raise NotImplementedError

    def oauth_cb(self, _config: str) -> tuple[str, float]:
        """confluent-kafka's `oauth_cb`: (token, expiry in seconds since the epoch). librdkafka calls it again
        before the expiry. An exception here reaches the user as the client's authentication error."""
        return self.token()


class ClientCredentials(TokenSource):
    """OAuth 2 client credentials against an OIDC provider's token endpoint (RFC 6749 4.4), with the client's id and
    secret as HTTP basic authentication, the way librdkafka's OIDC method asks."""

    def __init__(self, token_url: str, client_id: str, client_secret: str, scope: str | None = None,
                 timeout_s: float = 15.0, ca_file: str | None = None, clock: Callable[[], float] = time.time):
        super().__init__(clock)
        self.token_url, self.client_id, self.scope = token_url, client_id, scope
        self._secret, self._timeout, self._ca = client_secret, timeout_s, ca_file
        self.what = f"the token from {token_url}"

    def _fetch(self) -> tuple[str, float]:
        import ssl

        form = {"grant_type": "client_credentials", **({"scope": self.scope} if self.scope else {})}
        basic = base64.b64encode(f"{urllib.parse.quote(self.client_id)}:{urllib.parse.quote(self._secret)}"
                                 .encode()).decode()
        req = urllib.request.Request(self.token_url, data=urllib.parse.urlencode(form).encode(), method="POST",
                                     headers={"Authorization": f"Basic {basic}", "Accept": "application/json",
                                              "Content-Type": "application/x-www-form-urlencoded"})
        context = ssl.create_default_context(cafile=self._ca) if self._ca else None
        where = f"the OIDC token endpoint {self.token_url}"
        try:
            with urllib.request.urlopen(req, timeout=self._timeout, context=context) as r:
                body = r.read()
        except urllib.error.HTTPError as e:
            answer = _json(e.read())
            error = str(answer.get("error", ""))[:80]
            if e.code in (400, 401) and error in ("invalid_client", "unauthorized_client"):
                raise KplanError(f"{where} refused client {self.client_id!r} ({error}): check "
                                 "sasl.oauthbearer.client.id and sasl.oauthbearer.client.secret") from None
            description = str(answer.get("error_description", ""))[:120]
            detail = f", {error}" + (f": {description}" if description else "") if error else ""
            raise KplanError(f"{where} did not issue a token (HTTP {e.code}{detail}): check "
                             "sasl.oauthbearer.token.endpoint.url (the identity provider's token endpoint, with "
                             "the right realm or tenant)") from None
        except (OSError, urllib.error.URLError) as e:
            reason = getattr(e, "reason", e)
            raise KplanError(f"cannot reach {where} within {self._timeout:g}s: {reason}: check "
                             "sasl.oauthbearer.token.endpoint.url") from None
        answer = _json(body)
        token = answer.get("access_token")
        if not isinstance(token, str) or not token:
            raise KplanError(f"{where} answered without an access_token: check sasl.oauthbearer.token.endpoint.url")
        expires_in = answer.get("expires_in")
        exp = _jwt_exp(token)
        if exp is None:
            exp = self._clock() + (float(expires_in) if isinstance(expires_in, (int, float)) else 300.0)
        return token, exp


class MskIam(TokenSource):
    """AWS MSK IAM: a presigned `kafka-cluster:Connect` URL made by AWS's signer library
    (aws-msk-iam-sasl-signer-python) from the default credential chain, a named profile, or an assumed role."""

    def __init__(self, region: str, profile: str | None = None, role_arn: str | None = None,
                 session_name: str | None = None, clock: Callable[[], float] = time.time):
        super().__init__(clock)
        self.region, self.profile, self.role_arn, self.session_name = region, profile, role_arn, session_name
        self.what = f"the AWS MSK IAM token for region {region}"

    def _fetch(self) -> tuple[str, float]:
        try:
            from aws_msk_iam_sasl_signer import MSKAuthTokenProvider
        except ImportError:
            raise KplanError("cluster.client.aws_msk_iam needs AWS's signer library: install kplan with the msk "
                             "extra (pip install 'kplan[msk]', which brings aws-msk-iam-sasl-signer-python)") from None
        try:
            if self.role_arn:
                token, expiry_ms = MSKAuthTokenProvider.generate_auth_token_from_role_arn(
                    self.region, self.role_arn, *( [self.session_name] if self.session_name else []))
            elif self.profile:
                token, expiry_ms = MSKAuthTokenProvider.generate_auth_token_from_profile(self.region, self.profile)
            else:
                token, expiry_ms = MSKAuthTokenProvider.generate_auth_token(self.region)
        except Exception as e:  # noqa: BLE001 - botocore's many errors: one line, its class and message only
            source = (f"role {self.role_arn}" if self.role_arn else f"profile {self.profile}" if self.profile
                      else "the default AWS credential chain")
            # the signer library dereferences missing credentials (AttributeError on None.access_key)
            why = ("no AWS credentials found" if isinstance(e, AttributeError) and "access_key" in str(e)
                   else f"{type(e).__name__}: {str(e)[:200]}")
            raise KplanError(f"cannot sign an AWS MSK IAM token with {source} in region {self.region}: {why}") from None
        return token, expiry_ms / 1000.0


def _json(body: bytes) -> dict:
    try:
        answer = json.loads(body)
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}


def _jwt_exp(token: str) -> float | None:
    """The `exp` claim of a JWT (not verified: only to know when to fetch the next one), or None."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except ValueError:
        return None
    exp = claims.get("exp") if isinstance(claims, dict) else None
    return float(exp) if isinstance(exp, (int, float)) else None
