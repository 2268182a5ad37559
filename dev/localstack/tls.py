"""The secured side's TLS material, generated with openssl and keytool on first use into `<stack dir>/tls/`.

One throwaway CA signs a server certificate for 127.0.0.1 / localhost (used by the broker's SASL_SSL listener and
the secured Connect worker's HTTPS listener) and a client certificate (for later mutual-TLS tests). Java reads
PKCS12 stores, clients read PEM files:

    ca.pem, ca.key             the CA (clients verify the servers with ca.pem)
    server.pem, server.key     the server certificate (SANs IP:127.0.0.1, DNS:localhost) and its key
    server.p12                 keystore: the server key with its chain (password TLS_PASSWORD)
    truststore.p12             truststore: the CA (password TLS_PASSWORD)
    client.pem, client.key     a client certificate (CN=kplan-client) and its key

The leaves' keys are EC (P-256), the CA's RSA: a TLS handshake makes the server sign with its key, and the stack's
JVMs (C1 only, without the C2 intrinsics that make BigInteger fast) took ~45 ms of the broker's CPU for each new
SASL_SSL client with an RSA-2048 key and ~21 ms with this one (docs/development.md, the CI section).

Generated as a set in a scratch directory and renamed into place, so a crash never leaves half a set; regenerated
only when a file is missing. The material is dev-only, like its password.
"""

from __future__ import annotations

import hashlib
import secrets
import shutil
import subprocess
from pathlib import Path

from .common import LocalStackError, file_lock, say, stack_dir

TLS_PASSWORD = "kplan-dev-tls"  # the keystore's and the truststore's password (dev-only material)
DAYS = 3650
FILES = ("ca.pem", "ca.key", "server.pem", "server.key", "server.p12", "truststore.p12", "client.pem", "client.key")

_CA_EXT = """basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
"""
_LEAF_EXT = """basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer
"""
_SERVER_EXT = _LEAF_EXT + "extendedKeyUsage = serverAuth, clientAuth\nsubjectAltName = IP:127.0.0.1, DNS:localhost\n"
_CLIENT_EXT = _LEAF_EXT + "extendedKeyUsage = clientAuth\n"


def tls_dir() -> Path:
    return stack_dir() / "tls"


def ca_file() -> Path:
    """The CA certificate (PEM) that verifies the broker's SASL_SSL listener and the secured Connect worker."""
    return tls_dir() / "ca.pem"


def tls_complete() -> bool:
    return all((tls_dir() / f).is_file() for f in FILES)


def tls_id() -> str:
    """A short fingerprint of the server keystore: rendered into the configs that load it, so a regenerated set
    shows up as a changed config and the processes holding the old one are restarted."""
    return hashlib.sha256((tls_dir() / "server.p12").read_bytes()).hexdigest()[:16]


def ensure_tls() -> Path:
    """The TLS directory, its material generated first when any file is missing (concurrent launchers take
    turns)."""
    tls = tls_dir()
    if tls_complete():
        return tls
    tls.parent.mkdir(parents=True, exist_ok=True)
    with file_lock(tls.parent / ".tls.lock"):
        if tls_complete():
            return tls
        say(f"generating the secured side's TLS material (a dev CA, server and client certificates) in {tls}")
        fresh = tls.parent / "tls.new"
        shutil.rmtree(fresh, ignore_errors=True)
        fresh.mkdir(mode=0o700)
        _generate(fresh)
        old = tls.parent / "tls.old"
        shutil.rmtree(old, ignore_errors=True)
        if tls.exists():
            tls.rename(old)
        fresh.rename(tls)
        shutil.rmtree(old, ignore_errors=True)
    return tls


def _generate(d: Path) -> None:
    for name, text in (("ca.ext", _CA_EXT), ("server.ext", _SERVER_EXT), ("client.ext", _CLIENT_EXT)):
        (d / name).write_text(text)
    _openssl("req", "-x509", "-new", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", str(DAYS),
             "-subj", "/O=kplan dev/CN=kplan dev CA", "-keyout", "ca.key", "-out", "ca.pem",
             "-extensions", "v3_ca", "-config", _req_config(d, "ca.ext"), cwd=d)
    for leaf, cn in (("server", "localhost"), ("client", "kplan-client")):
        _openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-sha256",
                 "-subj", f"/O=kplan dev/CN={cn}",
                 "-keyout", f"{leaf}.key", "-out", f"{leaf}.csr", cwd=d)
        _openssl("x509", "-req", "-in", f"{leaf}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                 "-set_serial", f"0x{secrets.token_hex(16)}", "-days", str(DAYS), "-sha256",
                 "-extfile", f"{leaf}.ext", "-out", f"{leaf}.pem", cwd=d)
    # the Java keystore: the server key with its chain (server, CA)
    (d / "chain.pem").write_text((d / "server.pem").read_text() + (d / "ca.pem").read_text())
    _openssl("pkcs12", "-export", "-in", "chain.pem", "-inkey", "server.key", "-name", "server",
             "-out", "server.p12", "-passout", f"pass:{TLS_PASSWORD}", cwd=d)
    # keytool, not openssl, for the truststore: Java trusts a PKCS12 certificate entry only with the trust
    # attribute keytool writes
    keytool = shutil.which("keytool")
    if not keytool:
        raise LocalStackError("keytool is not installed (it comes with the JDK, e.g. openjdk-17-jdk-headless)")
    _run([keytool, "-importcert", "-noprompt", "-alias", "kplan-dev-ca", "-file", "ca.pem", "-keystore",
          "truststore.p12", "-storetype", "PKCS12", "-storepass", TLS_PASSWORD], cwd=d)
    for scratch in ("ca.ext", "server.ext", "client.ext", "server.csr", "client.csr", "chain.pem", "openssl.cnf"):
        (d / scratch).unlink(missing_ok=True)
    for key in ("ca.key", "server.key", "client.key"):
        (d / key).chmod(0o600)


def _req_config(d: Path, ext: str) -> str:
    """A minimal openssl config for `req -x509`: its extensions section is the CA's."""
    (d / "openssl.cnf").write_text("[req]\ndistinguished_name = dn\n[dn]\n[v3_ca]\n" + (d / ext).read_text())
    return "openssl.cnf"


def _openssl(*args: str, cwd: Path) -> None:
    openssl = shutil.which("openssl")
    if not openssl:
        raise LocalStackError("openssl is not installed: install it, e.g. `apt-get install openssl`")
    _run([openssl, *args], cwd=cwd)


def _run(cmd: list[str], cwd: Path) -> None:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        raise LocalStackError(f"`{' '.join(cmd[:2])} ...` failed while generating the TLS material:\n"
                              f"{(proc.stdout + proc.stderr).strip()[-1500:]}")
