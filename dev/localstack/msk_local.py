"""The broker's MSK listener: OAUTHBEARER over SASL_PLAINTEXT whose tokens are checked by a small validator compiled
here with javac (dev/conf/msk/MskIamLocalValidator.java), standing in for AWS MSK's IAM check, so that kplan's
`cluster.client.aws_msk_iam` token path runs against a real broker.

AWS is not reachable from here. The MSK signer library (aws-msk-iam-sasl-signer-python) makes its token offline: a
base64url presigned URL for `kafka-cluster:Connect`, signed with SigV4. The validator is given one region and one
static fake key pair (MSK_REGION, MSK_ACCESS_KEY_ID, MSK_SECRET_ACCESS_KEY, as JAAS options in dev/conf/
broker.properties) and accepts a token only when it recomputes the same signature: another secret key, another
region, an expired or future date, or any signed field changed is refused (tests/integration/test_msk_signature.py).
The principal is the access key id, a super user. Not checked, as AWS would: IAM policies, and session tokens
(X-Amz-Security-Token, refused here).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Callable

from .buildcache import cached
from .common import DEV, HOST, LocalStackError

MSK_PORT = int(os.environ.get("KPLAN_STACK_MSK_PORT", "19098"))
MSK_BOOTSTRAP = f"{HOST}:{MSK_PORT}"
MSK_ACCESS_KEY_ID = "AKIAKPLANLOCALTEST"  # fake: the tests' static credentials, a super user on the MSK listener
MSK_SECRET_ACCESS_KEY = "kplan-dev-fake-aws-secret-key"
MSK_REGION = "eu-west-1"
VALIDATOR = "dev.kplan.stack.MskIamLocalValidator"
_SOURCE = DEV / "conf" / "msk" / "MskIamLocalValidator.java"


def ensure_validator(dist: Path) -> Path:
    """The validator's jar, compiled once per machine for each source and kafka-clients jar (kept in the build
    cache like the Kafka dists: every stack directory of a CI run, the version matrix's and the extra clusters', used
    to compile it again, ~3 CPU-s each). A jar, not a directory of classes: a JVM records no class archive
    (cds.py) for a classpath holding a directory."""
    clients = sorted(p.name for p in (dist / "lib").glob("kafka-clients-*.jar"))
    source = _SOURCE.read_text()
    digest = hashlib.sha256("\n".join([source, *clients]).encode()).hexdigest()[:12]

    def compile_into(out: Path) -> None:
        javac = shutil.which("javac")
        if not javac:
            raise LocalStackError("javac is not installed (the JDK's, e.g. openjdk-17-jdk-headless): the broker's MSK "
                                  "listener needs it to compile its token validator")
        classes = out / "classes"
        proc = subprocess.run([javac, "-nowarn", "-cp", str(dist / "lib" / "*"), "-d", str(classes), str(_SOURCE)],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise LocalStackError(f"compiling {_SOURCE.name} failed:\n{(proc.stdout + proc.stderr).strip()[-1500:]}")
        with zipfile.ZipFile(out / "validator.jar", "w") as jar:
            for path in sorted(classes.rglob("*.class")):
                jar.write(path, path.relative_to(classes).as_posix())

    return cached(f"msk-validator-jar-{digest}", "validator.jar", compile_into) / "validator.jar"


def broker_placeholders() -> dict[str, Callable[[], str]]:
    return {"@MSK_PORT@": lambda: str(MSK_PORT), "@MSK_VALIDATOR@": lambda: VALIDATOR,
            "@MSK_PRINCIPAL@": lambda: MSK_ACCESS_KEY_ID, "@MSK_SECRET@": lambda: MSK_SECRET_ACCESS_KEY,
            "@MSK_REGION@": lambda: MSK_REGION}


def client_properties(region: str = MSK_REGION) -> dict:
    """A stack's cluster.client for the MSK listener (plaintext here; MSK itself is SASL_SSL)."""
    return {"security.protocol": "SASL_PLAINTEXT", "aws_msk_iam": {"region": region}}


def fake_aws_env() -> dict[str, str]:
    """Environment variables with the fake static credentials the signer library's default chain reads."""
    return {"AWS_ACCESS_KEY_ID": MSK_ACCESS_KEY_ID, "AWS_SECRET_ACCESS_KEY": MSK_SECRET_ACCESS_KEY,
            "AWS_DEFAULT_REGION": MSK_REGION, "AWS_EC2_METADATA_DISABLED": "true"}
