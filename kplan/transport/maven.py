"""Fetching one artifact from a Maven repository into a file, hashed on the way: the whole of kplan's Maven client
(`kplan plugins install`). Proxies come from the environment (https_proxy, no_proxy), as for any download.
Every failure is one KplanError line naming the artifact and the repository, never the repository's credentials."""

from __future__ import annotations

import hashlib
import socket
import urllib.error
import urllib.request
from pathlib import Path

from kplan.errors import KplanError
from kplan.secrets import masked_url

CHUNK = 1 << 16
MAX_BYTES = 2 << 30  # a plugin archive past 2 GiB is not a plugin


def fetch(url: str, repository: str, what: str, into: Path, algorithm: str, timeout_s: float) -> str:
    """Download `url` (the artifact `what` in `repository`) into the file `into`; its hex digest by `algorithm`."""
    shown = masked_url(repository)
    digest = hashlib.new(algorithm)
    size = 0
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers={"User-Agent": "kplan"}),
                                    timeout=timeout_s) as response, open(into, "wb") as out:
            while chunk := response.read(CHUNK):
                size += len(chunk)
                if size > MAX_BYTES:
                    raise KplanError(f"{what}: the artifact in {shown} is larger than 2 GiB: not a plugin")
                digest.update(chunk)
                out.write(chunk)
    except urllib.error.HTTPError as e:
        if e.code == 404:
            raise KplanError(f"{what}: no such artifact in the Maven repository {shown} (HTTP 404): check its "
                             "group, artifact, version, packaging and classifier") from None
        raise KplanError(f"{what}: the Maven repository {shown} answered HTTP {e.code} {e.reason}") from None
    except (urllib.error.URLError, socket.timeout, OSError) as e:
        reason = getattr(e, "reason", None) or e
        raise KplanError(f"{what}: cannot reach the Maven repository {shown}: {reason}") from None
    return digest.hexdigest()
