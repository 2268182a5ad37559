"""The HTTP edge of `kplan ci`: GitHub's, Gitea's (Forgejo's) and GitLab's REST APIs for pull request comments,
merge request notes and issues. Everything that can go wrong becomes one `ForgeError` line naming what to fix; the
token is scrubbed from every message, sent only to the API's own origin (a pagination link elsewhere is refused),
never logged.

Gitea's API is GitHub's shape (`/repos/OWNER/NAME/...`) but for what a GitHub client trips on: its comment list
has no pages (everything at once, no Link header), its issue list counts pull requests unless asked `type=issues`
(each issue has `"pull_request": null`), pages by `limit` (at most 50), and a new issue's labels are ids.
"""

from __future__ import annotations

import time
from typing import Iterator
from urllib.parse import parse_qsl, quote, urlsplit

import requests

from kplan import __version__
from kplan.ci.comment import GITHUB_BODY_LIMIT, GITLAB_BODY_LIMIT, Note
from kplan.ci.context import GITEA, GITHUB, GITLAB, Context
from kplan.errors import KplanError
from kplan.secrets import Scrubber

PER_PAGE = 100
GITEA_PAGE = 50  # Gitea's default [api] MAX_RESPONSE_ITEMS: a larger `limit` is cut to it
MAX_PAGES = 200  # 20,000 comments: a bound on a server whose "next" link never ends
TIMEOUT_S = 30.0
RETRIES = 3  # attempts for a 5xx answer or a dropped connection
NAMES = {GITHUB: "GitHub", GITEA: "Gitea", GITLAB: "GitLab"}


class ForgeError(KplanError):
    """One line: what the API answered and what to fix."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class Forge:
    """The calls `kplan ci` needs, on one platform."""

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.platform = ctx.platform
        self.gitea = ctx.platform == GITEA
        self.hub = hub = ctx.platform in (GITHUB, GITEA)  # GitHub's API shape: /repos/OWNER/NAME
        self.name = NAMES[ctx.platform]
        # the longest comment or issue it takes (Gitea sets none of its own: kplan keeps GitHub's)
        self.limit = GITHUB_BODY_LIMIT if hub else GITLAB_BODY_LIMIT
        self.scrub = Scrubber([ctx.token])
        self.session = requests.Session()
        if ctx.platform == GITHUB:
            self.session.headers.update({"Authorization": f"Bearer {ctx.token}",
                                         "Accept": "application/vnd.github+json",
                                         "X-GitHub-Api-Version": "2022-11-28"})
        elif self.gitea:
            self.session.headers.update({"Authorization": f"token {ctx.token}", "Accept": "application/json"})
        else:
            self.session.headers.update({"PRIVATE-TOKEN": ctx.token})
        self.session.headers["User-Agent"] = f"kplan/{__version__}"
        self.base = base = f"/repos/{ctx.project}" if hub else "/projects/" + quote(ctx.project, safe="")
        # the pull request's comments (GitHub, Gitea) or the merge request's notes (GitLab)
        self._thread = f"{base}/issues/{ctx.number}/comments" if hub else \
            f"{base}/merge_requests/{ctx.number}/notes"
        self._issues = f"{base}/issues"
        self._text = "body" if hub else "description"  # the key of an issue's text
        self._edit = "PATCH" if hub else "PUT"  # the method that changes a comment or an issue
        origin = urlsplit(ctx.api_url)
        self._origin = (origin.scheme, origin.netloc)

    def page_params(self) -> dict:
        """The largest page the platform serves (Gitea: `limit`, the others: `per_page`)."""
        return {"limit": GITEA_PAGE} if self.gitea else {"per_page": PER_PAGE}

    # --- pull request comments / merge request notes --------------------------------------------------------

    def comments(self) -> Iterator[Note]:
        """Every comment on the pull request (GitHub) or note on the merge request (GitLab), oldest first."""
        # (Gitea lists every comment at once whatever is asked)
        params = {**self.page_params(), **({} if self.hub else {"sort": "asc", "order_by": "created_at"})}
        for item in self.pages(self._thread, params):
            body = item.get("body")
            if isinstance(item.get("id"), int) and isinstance(body, str) and not item.get("system"):
                yield Note(item["id"], body)

    def create_comment(self, body: str) -> dict:
        return self.call("POST", self._thread, {"body": body})

    def update_comment(self, comment_id: int, body: str) -> dict:
        path = f"{self._issues}/comments/{comment_id}" if self.hub else f"{self._thread}/{comment_id}"
        return self.call(self._edit, path, {"body": body})

    # --- issues (the drift report) ---------------------------------------------------------------------------

    def open_issues(self, label: str | None) -> Iterator[Note]:
        """The open issues (not pull requests), oldest first; id is the issue number (GitLab: iid)."""
        params: dict = {"state": "opened" if self.platform == GITLAB else "open", **self.page_params(),
                        **{GITHUB: {"sort": "created", "direction": "asc"}, GITEA: {"type": "issues"},
                           GITLAB: {"sort": "asc", "order_by": "created_at"}}[self.platform]}
        if label:
            params["labels"] = label
        number = "number" if self.hub else "iid"
        found = (Note(item[number], item.get(self._text) or "") for item in self.pages(self._issues, params)
                 if not item.get("pull_request") and isinstance(item.get(number), int))
        # Gitea lists the newest first, whatever is asked
        yield from sorted(found, key=lambda n: n.id) if self.gitea else found

    def create_issue(self, title: str, body: str, label: str | None) -> dict:
        data: dict = {"title": title, self._text: body}
        if label:
            data["labels"] = [self._label_id(label)] if self.gitea else [label] if self.hub else label
        return self.call("POST", self._issues, data)

    def _label_id(self, name: str) -> int:
        """Gitea takes a new issue's labels by id: the repository's label of this name (it must exist)."""
        for item in self.pages(f"{self.base}/labels", self.page_params()):
            if item.get("name") == name and isinstance(item.get("id"), int):
                return item["id"]
        raise ForgeError(f"Gitea: the repository {self.ctx.project} has no label {name!r}: create it (Issues → "
                         "Labels) or drop --label")

    def update_issue(self, number: int, title: str, body: str) -> dict:
        return self.call(self._edit, f"{self._issues}/{number}", {"title": title, self._text: body})

    def close_issue(self, number: int, comment: str) -> None:
        self.call("POST", f"{self._issues}/{number}/{'comments' if self.hub else 'notes'}", {"body": comment})
        closed = {GITHUB: {"state": "closed", "state_reason": "completed"}, GITEA: {"state": "closed"},
                  GITLAB: {"state_event": "close"}}[self.platform]
        self.call(self._edit, f"{self._issues}/{number}", closed)

    # --- HTTP -------------------------------------------------------------------------------------------------

    def get(self, path: str, params: dict | None = None):
        """One GET of `path` under the API: its JSON."""
        resp = self._send("GET", self.ctx.api_url + path, path, params=params)
        return self._json(resp, "GET", path)

    def pages(self, path: str, params: dict) -> Iterator[dict]:
        """Every item of a list, following the next-page link (or GitLab's X-Next-Page) while there is one."""
        url: str | None = self.ctx.api_url + path
        query: dict | None = params
        for _ in range(MAX_PAGES):
            if url is None:
                return
            resp = self._send("GET", url, path, params=query)
            items = self._json(resp, "GET", path)
            if not isinstance(items, list):
                raise ForgeError(f"{self.name} answered GET {path} with something other than a list")
            yield from (i for i in items if isinstance(i, dict))
            url, query = self._next(resp, path), None
        raise ForgeError(f"{self.name} kept answering GET {path} with a next page after {MAX_PAGES} pages")

    def _next(self, resp: requests.Response, path: str) -> str | None:
        """The next page's URL: the Link header's rel=next (both platforms), else GitLab's X-Next-Page."""
        link = resp.links.get("next", {}).get("url")
        if link:
            parts = urlsplit(link)
            if (parts.scheme, parts.netloc) != self._origin:
                raise ForgeError(f"{self.name} sent a next-page link for GET {path} to another host "
                                 f"({parts.netloc}); not following it with the token")
            return link
        page = resp.headers.get("X-Next-Page", "").strip()
        if page.isdigit():
            query = {**dict(parse_qsl(urlsplit(resp.url).query)), "page": page}
            return requests.Request("GET", self.ctx.api_url + path, params=query).prepare().url
        return None

    def call(self, method: str, path: str, data: dict) -> dict:
        resp = self._send(method, self.ctx.api_url + path, path, json=data)
        out = self._json(resp, method, path)
        return out if isinstance(out, dict) else {}

    def _send(self, method: str, url: str, path: str, **kw) -> requests.Response:
        for attempt in range(1, RETRIES + 1):
            try:
                resp = self.session.request(method, url, timeout=TIMEOUT_S, allow_redirects=False, **kw)
            except requests.RequestException as e:
                if attempt < RETRIES:
                    time.sleep(attempt)
                    continue
                raise ForgeError(self.scrub(
                    f"cannot reach the {self.name} API at {self.ctx.api_url} ({type(e).__name__}): check "
                    f"{'--api-url / GITHUB_API_URL' if self.hub else '--api-url / CI_API_V4_URL'}"
                    " and the network")) from None
            if resp.status_code >= 500 and attempt < RETRIES:
                time.sleep(attempt)
                continue
            if resp.status_code >= 300:
                raise ForgeError(self.scrub(self._refusal(resp, method, path)), resp.status_code)
            return resp
        raise AssertionError("unreachable")  # pragma: no cover

    def _json(self, resp: requests.Response, method: str, path: str):
        try:
            return resp.json()
        except ValueError:
            raise ForgeError(f"{self.name} answered {method} {path} with something other than JSON") from None

    def _refusal(self, resp: requests.Response, method: str, path: str) -> str:
        code = resp.status_code
        said = f"{self.name} answered {code} to {method} {path}"
        var = self.ctx.token_var
        if code == 401:
            return f"{said}: the token in {var} is missing, expired or wrong"
        if code == 403 and resp.headers.get("X-RateLimit-Remaining") == "0":
            return f"{said}: the API rate limit is used up; try again later"
        if code == 403:
            if self.gitea:
                return (f"{said}: the token in {var} may not do this; give the job `permissions: pull-requests: "
                        "write` (and `issues: write` for the drift issue), or a token of the scopes "
                        "read:repository and write:issue")
            if self.hub:
                return (f"{said}: the token in {var} may not do this; give the job `permissions: pull-requests: "
                        "write` (and `issues: write` for the drift issue)")
            return f"{said}: the token in {var} may not do this; it needs the api scope and at least the Reporter role"
        if code == 404:
            what = "pull request" if self.hub else "merge request"
            number = f" and {what} {self.ctx.number}" if self.ctx.number is not None else ""
            return (f"{said} (not found): check the {'repository' if self.hub else 'project'} "
                    f"{self.ctx.project}{number}; a token that cannot see a private one gets 404 too")
        if 300 <= code < 400:
            return f"{said} (a redirect): give the API's own URL with --api-url"
        return f"{said}: {_message(resp)}"


def _message(resp: requests.Response) -> str:
    """The API's own explanation, on one line and short."""
    try:
        data = resp.json()
    except ValueError:
        data = None
    text = ""
    if isinstance(data, dict):
        text = str(data.get("message") or data.get("error") or "")
        if isinstance(data.get("errors"), list) and data["errors"]:
            text += f" {data['errors'][:3]}"
    text = " ".join((text or resp.reason or "no reason given").split())
    return text[:300]
