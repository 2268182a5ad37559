"""The client side of a SCRAM-SHA-256/512 exchange (RFC 5802, as Kafka uses it: no channel binding), pure.

The password never leaves this object except as the proof; the server's final message is checked, so a server
that does not know the credential is refused (`WireError`), not trusted."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from kplan.transport.wire.codec import WireError

HASHES = {"SCRAM-SHA-256": "sha256", "SCRAM-SHA-512": "sha512"}


def _name(user: str) -> str:
    return user.replace("=", "=3D").replace(",", "=2C")


class ScramClient:
    def __init__(self, mechanism: str, user: str, password: str, nonce: str | None = None):
        self._hash = HASHES[mechanism]
        self._password = password.encode()
        self._nonce = nonce or secrets.token_urlsafe(24)
        self._first_bare = f"n={_name(user)},r={self._nonce}"
        self._auth_message = b""
        self._salted = b""

    def first(self) -> bytes:
        return ("n,," + self._first_bare).encode()

    def final(self, server_first: bytes) -> bytes:
        try:
            fields = dict(part.split("=", 1) for part in server_first.decode().split(","))
            nonce, salt, iterations = fields["r"], base64.b64decode(fields["s"]), int(fields["i"])
        except (ValueError, KeyError, UnicodeDecodeError) as e:
            raise WireError("a malformed SCRAM challenge") from e
        if not nonce.startswith(self._nonce) or iterations < 1:
            raise WireError("a SCRAM challenge that does not answer this client")
        without_proof = f"c=biws,r={nonce}"
        self._auth_message = f"{self._first_bare},{server_first.decode()},{without_proof}".encode()
        self._salted = hashlib.pbkdf2_hmac(self._hash, self._password, salt, iterations)
        client_key = hmac.digest(self._salted, b"Client Key", self._hash)
        stored_key = hashlib.new(self._hash, client_key).digest()
        signature = hmac.digest(stored_key, self._auth_message, self._hash)
        proof = bytes(a ^ b for a, b in zip(client_key, signature))
        return f"{without_proof},p={base64.b64encode(proof).decode()}".encode()

    def check(self, server_final: bytes) -> None:
        server_key = hmac.digest(self._salted, b"Server Key", self._hash)
        expected = base64.b64encode(hmac.digest(server_key, self._auth_message, self._hash)).decode()
        if not hmac.compare_digest(server_final.decode(errors="replace"), f"v={expected}"):
            raise WireError("the server did not prove it knows the SCRAM credential")
