"""Compiling and running tests/integration/streams_app/UpperApp.java, a real Kafka Streams application.

Compiled once (javac, Java 17) against kafka-streams from Maven Central (fetched into ~/.m2 by `mvn
dependency:get` when missing) and the local stack's own Kafka jars (its dist's lib/: kafka-clients, compression
libraries, an SLF4J binding); the classes are cached in the stack directory by the source's digest."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import threading
import time
from pathlib import Path

import localstack
from localstack.common import JIT  # C1 only, as the stack's JVMs: a JVM of seconds

START = time.monotonic()
SOURCE = Path(__file__).parent / "streams_app" / "UpperApp.java"
STREAMS = ("org.apache.kafka", "kafka-streams")


def streams_jar() -> Path:
    version = localstack.pom_versions()["kafka"]
    group, artifact = STREAMS
    jar = (Path.home() / ".m2/repository" / group.replace(".", "/") / artifact / version
           / f"{artifact}-{version}.jar")
    if not jar.exists():
        subprocess.run(["mvn", "-q", "dependency:get", f"-Dartifact={group}:{artifact}:{version}"], check=True,
                       timeout=600)
    return jar


# the jars of the stack's dist a Kafka Streams client needs (the whole lib/, the broker's and Connect's, starts slower)
CLIENT_JARS = ("kafka-clients-", "zstd-jni-", "lz4-java-", "snappy-java-", "slf4j-api-", "log4j-")


def classpath() -> str:
    lib = localstack.dist_dir() / "lib"
    jars = sorted(str(j) for j in lib.glob("*.jar") if j.name.startswith(CLIENT_JARS))
    return ":".join([*jars, str(streams_jar())])


def compiled() -> Path:
    """The directory holding UpperApp.class, compiled on first use."""
    digest = hashlib.sha256(SOURCE.read_bytes()).hexdigest()[:16]
    out = localstack.stack_dir() / "streams-app" / digest
    if not (out / "UpperApp.class").exists():
        tmp = out.with_name(digest + ".tmp")
        tmp.mkdir(parents=True, exist_ok=True)
        subprocess.run(["javac", "-d", str(tmp), "-cp", classpath(), str(SOURCE)], check=True, timeout=300)
        tmp.rename(out)
    return out


class App:
    """One running instance: its output lines collected as they come."""

    def __init__(self, properties: Path) -> None:
        self.lines: list[str] = []
        self.proc = subprocess.Popen(["java", "-Xmx256m", *JIT, "-cp", f"{compiled()}:{classpath()}", "UpperApp",
                                      str(properties)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip())

    def saw(self, text: str) -> bool:
        return any(text in line for line in self.lines)

    @property
    def output(self) -> str:
        return "\n".join(self.lines[-60:])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def wait(predicate, timeout: float, what: str, app: App):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            print(f"[{time.monotonic() - START:6.1f}s] {what}", file=sys.stderr)
            return found
        time.sleep(0.3)
    print(app.output, file=sys.stderr)
    raise AssertionError(f"timed out waiting for {what}; the application said:\n{app.output}")
