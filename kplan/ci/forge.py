"""The HTTP edge of `kplan ci`: GitHub's and GitLab's REST APIs for pull request comments, merge request notes
and issues. Everything that can go wrong becomes one `ForgeError` line naming what to fix; the token is scrubbed
from every message, sent only to the API's own origin (a pagination link elsewhere is refused), never logged.
"""

from __future__ import annotations

import time
from typing import Iterator
from urllib.parse import parse_qsl, quote, urlsplit

import requests

from kplan import __version__
from kplan.ci.comment import GITHUB_BODY_LIMIT, GITLAB_BODY_LIMIT, Note
from kplan.ci.context import GITHUB, Context
from kplan.errors import KplanError
from kplan.secrets import Scrubber

PER_PAGE = 100
MAX_PAGES = 200  # 20,000 comments: a bound on a server whose "next" link never ends
TIMEOUT_S = 30.0
RETRIES = 3  # attempts for a 5xx answer or a dropped connection


class ForgeError(KplanError):
    """One line: what the API answered and what to fix."""


class Forge:
    """The calls `kplan ci` needs, on one platform."""

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.github = github = ctx.platform == GITHUB
        self.name = "GitHub" if github else "GitLab"
        self.limit = GITHUB_BODY_LIMIT if github else GITLAB_BODY_LIMIT  # the longest comment or issue it takes
        self.scrub = Scrubber([ctx.token])
        self.session = requests.Session()
        if github:
            self.session.headers.update({"Authorization": f"Bearer {ctx.token}",
                                         "Accept": "application/vnd.github+json",
                                         "X-GitHub-Api-Version": "2022-11-28"})
        else:
            self.session.headers.update({"PRIVATE-TOKEN": ctx.token})
        self.session.headers["User-Agent"] = f"kplan/{__version__}"
        base = f"/repos/{ctx.project}" if github else "/projects/" + quote(ctx.project, safe="")
        # the pull request's comments (GitHub) or the merge request's notes (GitLab)
        self._thread = f"{base}/issues/{ctx.number}/comments" if github else \
            f"{base}/merge_requests/{ctx.number}/notes"
        self._issues = f"{base}/issues"
        self._text = "body" if github else "description"  # the key of an issue's text
        self._edit = "PATCH" if github else "PUT"  # the method that changes a comment or an issue
        origin = urlsplit(ctx.api_url)
        self._origin = (origin.scheme, origin.netloc)

    # --- pull request comments / merge request notes --------------------------------------------------------

    def comments(self) -> Iterator[Note]:
        """Every comment on the pull request (GitHub) or note on the merge request (GitLab), oldest first."""
        params = {"per_page": PER_PAGE, **({} if self.github else {"sort": "asc", "order_by": "created_at"})}
        for item in self._pages(self._thread, params):
            body = item.get("body")
            if isinstance(item.get("id"), int) and isinstance(body, str) and not item.get("system"):
                yield Note(item["id"], body)

    def create_comment(self, body: str) -> dict:
        return self._call("POST", self._thread, {"body": body})

    def update_comment(self, comment_id: int, body: str) -> dict:
        path = f"{self._issues}/comments/{comment_id}" if self.github else f"{self._thread}/{comment_id}"
        return self._call(self._edit, path, {"body": body})

    # --- issues (the drift report) ---------------------------------------------------------------------------

    def open_issues(self, label: str | None) -> Iterator[Note]:
        """The open issues (not pull requests), oldest first; id is the issue number (GitLab: iid)."""
        github = self.github
        params: dict = {"state": "open" if github else "opened", "per_page": PER_PAGE,
                        **({"sort": "created", "direction": "asc"} if github else {"sort": "asc",
                                                                                    "order_by": "created_at"})}
        if label:
            params["labels"] = label
        number = "number" if github else "iid"
        for item in self._pages(self._issues, params):
            if "pull_request" not in item and isinstance(item.get(number), int):
                yield Note(item[number], item.get(self._text) or "")

    def create_issue(self, title: str, body: str, label: str | None) -> dict:
        data: dict = {"title": title, self._text: body}
        if label:
            data["labels"] = [label] if self.github else label
        return self._call("POST", self._issues, data)

    def update_issue(self, number: int, title: str, body: str) -> dict:
        return self._call(self._edit, f"{self._issues}/{number}", {"title": title, self._text: body})

    def close_issue(self, number: int, comment: str) -> None:
        self._call("POST", f"{self._issues}/{number}/{'comments' if self.github else 'notes'}", {"body": comment})
        self._call(self._edit, f"{self._issues}/{number}",
                   {"state": "closed", "state_reason": "completed"} if self.github else {"state_event": "close"})

    # --- HTTP -------------------------------------------------------------------------------------------------

    def _pages(self, path: str, params: dict) -> Iterator[dict]:
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

    def _call(self, method: str, path: str, data: dict) -> dict:
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
                    f"{'--api-url / GITHUB_API_URL' if self.github else '--api-url / CI_API_V4_URL'}"
                    " and the network")) from None
            if resp.status_code >= 500 and attempt < RETRIES:
                time.sleep(attempt)
                continue
            if resp.status_code >= 300:
                raise ForgeError(self.scrub(self._refusal(resp, method, path)))
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
            if self.github:
                return (f"{said}: the token in {var} may not do this; give the job `permissions: pull-requests: "
                        "write` (and `issues: write` for the drift issue)")
            return f"{said}: the token in {var} may not do this; it needs the api scope and at least the Reporter role"
        if code == 404:
            what = "pull request" if self.github else "merge request"
            number = f" and {what} {self.ctx.number}" if self.ctx.number is not None else ""
            return (f"{said} (not found): check the {'repository' if self.github else 'project'} "
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
