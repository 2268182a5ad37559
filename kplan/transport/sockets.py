"""Opening a TCP connection without loading the IDNA codec.

CPython's `getaddrinfo` encodes a `str` host with the "idna" codec, whose first use imports `encodings.idna`,
`stringprep` and `unicodedata` (~5-10 ms of CPU on a plan's critical path, under the interpreter lock). An ASCII
host name encodes to its own bytes, so it is handed over as bytes; anything else still goes through the codec.
"""

from __future__ import annotations

import socket


def create_connection(address: tuple, timeout=socket._GLOBAL_DEFAULT_TIMEOUT, source_address=None):  # type: ignore[attr-defined]
    """`socket.create_connection`, an ASCII host passed as bytes (same signature: http.client calls it)."""
    host, port = address
    if isinstance(host, str) and host.isascii():
        host = host.encode()
    return socket.create_connection((host, port), timeout, source_address)
