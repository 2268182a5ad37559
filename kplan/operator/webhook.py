"""The admission webhook of KafkaStacks and KafkaClusters (`kplan operator --webhook-addr`, docs/kubernetes.md): the
API server sends it every create of one and every update that changes its spec (an AdmissionReview, over HTTPS), and
it answers with what `kplan validate` finds in the spec (a KafkaStack's as a stack file, a KafkaCluster's as a stack
file's `cluster:` section): refused with kplan's own lines, at the spec's field paths, when there is an error;
admitted with kplan's warnings (which kubectl prints) otherwise. Every replica serves it, leader or not: it
reads nothing but the request (and the Secrets the resource names, for its `${VAR}`s) and writes nothing.

It is registered as a *mutating* webhook that never mutates: the API server calls mutating webhooks before it checks
the CRD's structural schema, and validating webhooks only after, so a validating webhook would never see a spec the
schema refuses and the author would get the API server's wording instead of kplan's."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from typing import Any, Callable, Mapping

from kplan.errors import KplanError

PATH = "/validate-kafkastack"
CLUSTER_PATH = "/validate-kafkacluster"
Check = Callable[[Mapping[str, Any]], "tuple[list[str], list[str]]"]


def answer(review: Mapping[str, Any], check: Check) -> dict[str, Any]:
    """The AdmissionReview answering `review` (admission.k8s.io/v1)."""
    request = review.get("request") or {}
    response: dict[str, Any] = {"uid": request.get("uid", ""), "allowed": True}
    if request.get("operation") in ("CREATE", "UPDATE") and isinstance(request.get("object"), dict):
        try:
            errors, warnings = check(request["object"])
        except KplanError as e:  # a Secret it names is not there yet: the operator's status will say so
            errors, warnings = [], [f"kplan could not check the spec: {e}"]
        if errors:
            response.update(allowed=False, status={"code": 422, "reason": "Invalid", "message": "\n".join(errors)})
        if warnings:
            response["warnings"] = [w[:1000] for w in warnings[:20]]
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": response}


def serve(address: tuple[str, int], tls: tuple[str, str], checks: Mapping[str, Check], log: Callable[[str], None]):
    """The webhook's HTTPS server, started (its `address` attribute says where it listens); `checks`: each path's
    check (PATH, CLUSTER_PATH)."""
    from kplan.transport.metrics_server import Server

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            check = checks.get(self.path.split("?", 1)[0])
            if check is None:
                return self._send(404, {"message": "not found"})
            try:
                review = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
            except ValueError:
                return self._send(400, {"message": "not an AdmissionReview"})
            try:
                return self._send(200, answer(review, check))
            except Exception as e:  # noqa: BLE001 - said, and refused: the API server's failurePolicy decides
                log(f"admission webhook: {type(e).__name__}: {e}")
                return self._send(500, {"message": "kplan's check failed; see the operator's log"})

        def _send(self, code: int, doc: Mapping[str, Any]) -> None:
            body = json.dumps(doc).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format, *args) -> None:  # noqa: A002 - quiet: one a request is not news
            pass

    return Server(address, Handler, tls, "--webhook-addr", "--webhook-cert/--webhook-key",
                  "kplan-webhook").start()
