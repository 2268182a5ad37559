"""A local stand-in for GitHub's, Gitea's and GitLab's REST APIs (stdlib http.server in a thread) that checks every
request.

It keeps pull request comments, merge request notes and issues in memory, pages its lists (GitHub by a Link
header, GitLab by X-Next-Page, both a few items per page so pagination is exercised), and records each request
and every way one broke the API's rules (method, path, auth header, JSON body) in `problems`; a test asserts that
list is empty. `fail_with` makes it answer every request with one status (401, 403, ...).

Its Gitea answers as Gitea 1.26 does where it differs from GitHub (docs/ci.md; seen on a real Gitea): the comment
list ignores paging (all at once, no Link header), the issue list pages by `limit` and counts pull requests unless
`type=issues` (each issue's `pull_request` is null), a new issue's labels are ids, `Authorization: token ...`.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

GITHUB_REPO = "acme/kafka-stacks"
GITLAB_PROJECT = "42"
GITEA_LABELS = [{"id": 7, "name": "kplan-drift"}, {"id": 8, "name": "bug"}]


@dataclass
class Seen:
    method: str
    path: str
    query: dict
    headers: dict
    body: object


@dataclass
class ForgeState:
    platform: str
    token: str
    page_size: int = 2
    comments: dict[int, list[dict]] = field(default_factory=dict)  # PR / MR / issue number -> comments
    issues: list[dict] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    # a pull request's facts (GitHub and Gitea): number -> the pull request, branch -> its commit, (head, base) ->
    # commits of base the head lacks, number -> its reviews, user -> permission (GitHub; Gitea answers 403)
    pulls: dict[int, dict] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)
    behind: dict[tuple[str, str], int] = field(default_factory=dict)
    reviews: dict[int, list[dict]] = field(default_factory=dict)
    permissions: dict[str, str] = field(default_factory=dict)
    files: dict[int, list[str]] = field(default_factory=dict)  # number -> the files the pull request changes
    contents: dict[tuple[str, str], str] = field(default_factory=dict)  # (ref, path) -> a file's text
    teams: dict[str, list[str]] = field(default_factory=dict)  # "org/team" -> its members' logins
    fail_with: int | None = None
    fail_times: int | None = None  # answer fail_with this many times only (None: always)
    next_id: int = 1000

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def writes(self) -> list[Seen]:
        return [s for s in self.seen if s.method != "GET"]


class _Handler(BaseHTTPRequestHandler):
    state: ForgeState
    base: str

    def log_message(self, *args):  # quiet
        pass

    def do_GET(self):
        self._serve("GET")

    def do_POST(self):
        self._serve("POST")

    def do_PATCH(self):
        self._serve("PATCH")

    def do_PUT(self):
        self._serve("PUT")

    def _serve(self, method: str):
        st = self.state
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                st.problems.append(f"{method} {parts.path}: body is not JSON")
        st.seen.append(Seen(method, parts.path, query, dict(self.headers), body))
        self._check_headers(method, parts.path, raw)
        if st.fail_with and (st.fail_times is None or st.fail_times > 0):
            if st.fail_times is not None:
                st.fail_times -= 1
            return self._send(st.fail_with, {"message": "Bad credentials" if st.fail_with == 401 else "Unavailable"})
        route = _gitlab if st.platform == "gitlab" else _github
        try:
            status, payload, headers = route(st, method, parts.path, query, body, self.base)
        except _Reject as e:
            st.problems.append(f"{method} {parts.path}: {e}")
            return self._send(400, {"message": str(e)})
        self._send(status, payload, headers)

    def _check_headers(self, method: str, path: str, raw: bytes):
        st, h = self.state, self.headers
        if st.platform == "gitea":
            if h.get("Authorization") != f"token {st.token}":
                st.problems.append(f"{method} {path}: Authorization header is not 'token <token>'")
        elif st.platform == "github":
            if h.get("Authorization") != f"Bearer {st.token}":
                st.problems.append(f"{method} {path}: Authorization header is not 'Bearer <token>'")
            if h.get("Accept") != "application/vnd.github+json":
                st.problems.append(f"{method} {path}: Accept is {h.get('Accept')!r}")
            if h.get("X-GitHub-Api-Version") != "2022-11-28":
                st.problems.append(f"{method} {path}: no X-GitHub-Api-Version")
            if not (h.get("User-Agent") or "").startswith("kplan/"):
                st.problems.append(f"{method} {path}: User-Agent is {h.get('User-Agent')!r}")
        elif h.get("PRIVATE-TOKEN") != st.token:
            st.problems.append(f"{method} {path}: PRIVATE-TOKEN header is not the token")
        if method != "GET" and not (h.get("Content-Type") or "").startswith("application/json"):
            st.problems.append(f"{method} {path}: Content-Type is {h.get('Content-Type')!r}")
        if method == "GET" and raw:
            st.problems.append(f"GET {path} has a body")

    def _send(self, status: int, payload, headers: dict | None = None):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)


class _Reject(Exception):
    pass


def _fields(body, required: set[str], allowed: set[str]) -> dict:
    if not isinstance(body, dict):
        raise _Reject("JSON object body expected")
    extra = set(body) - allowed
    if extra:
        raise _Reject(f"unexpected fields {sorted(extra)}")
    missing = required - set(body)
    if missing:
        raise _Reject(f"missing fields {sorted(missing)}")
    return body


def _page(st: ForgeState, items: list, query: dict, base: str, path: str, style: str):
    if st.platform == "gitea":
        if "per_page" in query or query.get("limit") != "50":  # Gitea pages by `limit`, at most 50
            raise _Reject(f"Gitea pages by limit=50, not {query}")
    elif query.get("per_page") != "100":
        raise _Reject(f"per_page={query.get('per_page')!r}, expected 100")
    page = int(query.get("page", "1"))
    size = st.page_size
    chunk = items[(page - 1) * size: page * size]
    more = page * size < len(items)
    headers = {}
    if more:
        q = "&".join(f"{k}={v}" for k, v in {**query, "page": str(page + 1)}.items())
        if style == "link":
            headers["Link"] = f'<{base}{path}?{q}>; rel="next", <{base}{path}?page=1>; rel="first"'
        else:
            headers["X-Next-Page"] = str(page + 1)
    elif style == "gitlab":
        headers["X-Next-Page"] = ""
    return 200, chunk, headers


GITHUB_BODY_LIMIT = 65_536  # GitHub answers 422 "Body is too long (maximum is 65536 characters)"


def _github(st: ForgeState, method, path, query, body, base):
    """GitHub's routes, or Gitea's (the same paths under /api/v1, answered as Gitea does)."""
    gitea = st.platform == "gitea"
    if isinstance(body, dict) and len(str(body.get("body", ""))) > GITHUB_BODY_LIMIT and not gitea:
        raise _Reject(f"body of {len(body['body'])} characters, over GitHub's {GITHUB_BODY_LIMIT}")
    repo = ("/api/v1" if gitea else "") + f"/repos/{GITHUB_REPO}"
    if method == "GET" and not path.startswith(repo + "/"):
        return _teams(st, path.removeprefix("/api/v1"), query, base, path, gitea)
    if not path.startswith(repo + "/"):
        raise _Reject(f"not the repository {GITHUB_REPO}")
    rest = path[len(repo):]
    if m := re.fullmatch(r"/issues/(\d+)/comments", rest):
        n = int(m.group(1))
        thread = st.comments.setdefault(n, [])
        if method == "GET":
            if gitea:  # every comment, whatever page is asked, and no Link header
                return 200, thread, {}
            return _page(st, thread, query, base, path, "link")
        if method == "POST":
            b = _fields(body, {"body"}, {"body"})
            c = {"id": st.new_id(), "body": b["body"], "html_url": f"https://gh.example/{n}#c"}
            thread.append(c)
            return 201, c, {}
    if (m := re.fullmatch(r"/issues/comments/(\d+)", rest)) and method == "PATCH":
        b = _fields(body, {"body"}, {"body"})
        for thread in st.comments.values():
            for c in thread:
                if c["id"] == int(m.group(1)):
                    c["body"] = b["body"]
                    return 200, c, {}
        return 404, {"message": "Not Found"}, {}
    if rest == "/issues":
        if method == "GET":
            if query.get("state") != "open":
                raise _Reject("issues listed without state=open")
            items = [i for i in st.issues if i["state"] == "open"
                     and ("labels" not in query or query["labels"] in i.get("labels", []))]
            if gitea:  # pull requests too unless type=issues; the newest first
                items = [{**i, "pull_request": i.get("pull_request")} for i in reversed(items)
                         if query.get("type") != "issues" or not i.get("pull_request")]
            return _page(st, items, query, base, path, "link")
        if method == "POST":
            b = _fields(body, {"title", "body"}, {"title", "body", "labels"})
            labels = b.get("labels", [])
            if gitea:
                if not all(isinstance(x, int) for x in labels):
                    raise _Reject(f"Gitea takes label ids, not {labels}")
                labels = [x["name"] for x in GITEA_LABELS if x["id"] in labels]
            n = len(st.issues) + 1
            issue = {"number": n, "title": b["title"], "body": b["body"], "state": "open",
                     "labels": labels, "html_url": f"https://gh.example/issues/{n}"}
            st.issues.append(issue)
            return 201, issue, {}
    if rest == "/labels" and method == "GET" and gitea:
        return _page(st, GITEA_LABELS, query, base, path, "link")
    if (m := re.fullmatch(r"/issues/(\d+)", rest)) and method == "PATCH":
        b = _fields(body, set(), {"title", "body", "state"} if gitea else {"title", "body", "state", "state_reason"})
        issue = next((i for i in st.issues if i["number"] == int(m.group(1))), None)
        if issue is None:
            return 404, {"message": "Not Found"}, {}
        issue.update(b)
        return 200, issue, {}
    if method == "GET":
        return _pull_facts(st, rest, query, base, path, gitea)
    raise _Reject("no such route")


def _teams(st: ForgeState, rest: str, query, base, path, gitea: bool):
    """A team's members: GitHub by the organisation and the team's slug; Gitea by its id, found by searching."""
    if gitea and (m := re.fullmatch(r"/orgs/([\w.-]+)/teams/search", rest)):
        found = [t for t in st.teams if t.split("/")[0] == m.group(1) and query.get("q", "") in t.split("/")[1]]
        return 200, {"ok": True, "data": [{"id": list(st.teams).index(t) + 1, "name": t.split("/")[1]}
                                          for t in found]}, {}
    if gitea and (m := re.fullmatch(r"/teams/(\d+)/members", rest)):
        team = list(st.teams)[int(m.group(1)) - 1]
        return _page(st, [{"login": u} for u in st.teams[team]], query, base, path, "link")
    if not gitea and (m := re.fullmatch(r"/orgs/([\w.-]+)/teams/([\w.-]+)/members", rest)):
        team = f"{m.group(1)}/{m.group(2)}"
        if team not in st.teams:
            return 404, {"message": "Not Found"}, {}
        return _page(st, [{"login": u} for u in st.teams[team]], query, base, path, "link")
    raise _Reject(f"not the repository {GITHUB_REPO}")


def _pull_facts(st: ForgeState, rest: str, query, base, path, gitea: bool):
    """What `kplan ci apply` reads of a pull request: it, its base branch, the comparison, reviews, permission."""
    if rest == "/pulls":
        if query.get("state") != "open" or query.get("base_branch" if gitea else "base") is None:
            raise _Reject(f"pull requests listed without state=open and their base branch: {query}")
        return _page(st, [p for p in st.pulls.values() if p["state"] == "open"], query, base, path, "link")
    if m := re.fullmatch(r"/pulls/(\d+)", rest):
        pr = st.pulls.get(int(m.group(1)))
        return (200, pr, {}) if pr else (404, {"message": "Not Found"}, {})
    if m := re.fullmatch(r"/pulls/(\d+)/reviews", rest):
        return _page(st, st.reviews.get(int(m.group(1)), []), query, base, path, "link")
    if (m := re.fullmatch(r"/branches/([\w.-]+)", rest)) and m.group(1) in st.branches:
        return 200, {"name": m.group(1), "commit": {("id" if gitea else "sha"): st.branches[m.group(1)]}}, {}
    if m := re.fullmatch(r"/compare/(\w+)\.\.\.(\w+)", rest):
        return 200, {"total_commits": st.behind.get((m.group(1), m.group(2)), 0), "commits": []}, {}
    if m := re.fullmatch(r"/pulls/(\d+)/files", rest):
        return _page(st, [{"filename": f} for f in st.files.get(int(m.group(1)), [])], query, base, path, "link")
    if m := re.fullmatch(r"/contents/(.+)", rest):
        text = st.contents.get((query.get("ref", ""), m.group(1)))
        if text is None:
            return 404, {"message": "Not Found"}, {}
        return 200, {"path": m.group(1), "encoding": "base64", "content": base64.b64encode(text.encode()).decode()}, {}
    if m := re.fullmatch(r"/collaborators/([\w.-]+)/permission", rest):
        if gitea:  # only a repository admin's token may ask about another user
            return 403, {"message": "Only admins can query all permissions, repo admins can query all repo "
                                    "permissions, collaborators can query only their own"}, {}
        if m.group(1) not in st.permissions:
            return 404, {"message": "Not Found"}, {}
        return 200, {"permission": st.permissions[m.group(1)], "role_name": st.permissions[m.group(1)]}, {}
    raise _Reject("no such route")


def _gitlab(st: ForgeState, method, path, query, body, base):
    project = f"/api/v4/projects/{GITLAB_PROJECT}"
    if not path.startswith(project + "/"):
        raise _Reject(f"not the project {GITLAB_PROJECT}")
    rest = path[len(project):]
    if m := re.fullmatch(r"/(merge_requests|issues)/(\d+)/notes", rest):
        n = int(m.group(2)) + (0 if m.group(1) == "merge_requests" else 100_000)
        thread = st.comments.setdefault(n, [])
        if method == "GET":
            if query.get("sort") != "asc":
                raise _Reject("notes listed without sort=asc")
            return _page(st, thread, query, base, path, "gitlab")
        if method == "POST":
            b = _fields(body, {"body"}, {"body"})
            c = {"id": st.new_id(), "body": b["body"], "system": False}
            thread.append(c)
            return 201, c, {}
    if (m := re.fullmatch(r"/merge_requests/(\d+)/notes/(\d+)", rest)) and method == "PUT":
        b = _fields(body, {"body"}, {"body"})
        for c in st.comments.get(int(m.group(1)), []):
            if c["id"] == int(m.group(2)):
                c["body"] = b["body"]
                return 200, c, {}
        return 404, {"message": "404 Not found"}, {}
    if rest == "/issues":
        if method == "GET":
            if query.get("state") != "opened":
                raise _Reject("issues listed without state=opened")
            items = [i for i in st.issues if i["state"] == "opened"]
            return _page(st, items, query, base, path, "gitlab")
        if method == "POST":
            b = _fields(body, {"title", "description"}, {"title", "description", "labels"})
            n = len(st.issues) + 1
            issue = {"iid": n, "title": b["title"], "description": b["description"], "state": "opened",
                     "web_url": f"https://gl.example/issues/{n}"}
            st.issues.append(issue)
            return 201, issue, {}
    if (m := re.fullmatch(r"/issues/(\d+)", rest)) and method == "PUT":
        b = _fields(body, set(), {"title", "description", "state_event"})
        issue = next((i for i in st.issues if i["iid"] == int(m.group(1))), None)
        if issue is None:
            return 404, {"message": "404 Not found"}, {}
        if b.pop("state_event", None) == "close":
            issue["state"] = "closed"
        issue.update(b)
        return 200, issue, {}
    raise _Reject("no such route")


class ForgeServer:
    """`with ForgeServer("github", token) as srv:` (or "gitea", "gitlab") — `srv.url` is the API base URL,
    `srv.state` what it holds."""

    def __init__(self, platform: str, token: str, page_size: int = 2):
        self.state = ForgeState(platform, token, page_size)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), type("H", (_Handler,), {}))
        host, port = self._httpd.server_address[:2]
        root = f"http://{host}:{port}"
        self.url = {"github": root, "gitea": root + "/api/v1", "gitlab": root + "/api/v4"}[platform]
        self._httpd.RequestHandlerClass.state = self.state  # type: ignore[attr-defined]
        self._httpd.RequestHandlerClass.base = root  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def __enter__(self) -> "ForgeServer":
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)
