"""The HTML plan page in a real headless browser: Debian's Chromium driven by Selenium through Debian's
chromedriver (no browser download). The browser's network is blocked (a dead proxy, every host unresolvable), so a
page that fetched anything would show it in the performance entries and the console. Skipped, saying why, only
when chromium or chromedriver is not installed (`make tools` installs them: apt-get install chromium
chromium-driver)."""

from __future__ import annotations

import shutil
import time

import pytest
from html_plans import big_plan

from kplan.render import render

pytestmark = [pytest.mark.tools, pytest.mark.browser]

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM or not DRIVER:
        pytest.skip("chromium or chromedriver is not installed: apt-get install chromium chromium-driver "
                    "(`make tools` does)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
                "--host-resolver-rules=MAP * ~NOTFOUND", "--window-size=1400,1000"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(DRIVER), options=opts)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def big_page(tmp_path_factory):
    path = tmp_path_factory.mktemp("html") / "plan.html"
    path.write_text(render(big_plan(10_000), "html"), encoding="utf-8")
    return path


def _open(browser, path) -> float:
    browser.get_log("browser")  # drop what an earlier page said
    t = time.perf_counter()
    browser.get(path.as_uri())
    _until(browser, lambda: browser.execute_script("return document.body.dataset.ready") == "1")
    return time.perf_counter() - t


def _until(browser, cond, timeout: float = 20.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = cond()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("the page did not get there in time")


def _css(browser, selector):
    from selenium.webdriver.common.by import By

    return browser.find_elements(By.CSS_SELECTOR, selector)


def _click(browser, element) -> None:
    """A user's click: scrolled to the middle of the window first (the sticky search bar covers the top)."""
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    element.click()


def _visible_groups(browser) -> list[str]:
    return browser.execute_script(
        "return [...document.querySelectorAll('details.group')].filter(g => !g.hidden)"
        ".map(g => g.dataset.kind + ' ' + g.dataset.action)")


def test_renders_a_10000_change_plan_in_groups_a_chunk_at_a_time(browser, big_page):
    load_s = _open(browser, big_page)
    groups = _css(browser, "details.group")
    assert [(g.get_attribute("data-kind"), g.get_attribute("data-action")) for g in groups] == [
        ("connector", "update"), ("connector", "create"), ("topic", "delete"), ("topic", "update"),
        ("topic", "create")]
    assert sum(int(g.get_attribute("data-count")) for g in groups) == 10_000
    assert _css(browser, "#shown")[0].text == "10000 of 10000 changes match"
    assert _css(browser, "li.row") == []  # nothing rendered until a group is opened
    create = groups[-1]
    _click(browser, create.find_element("css selector", "summary"))
    _until(browser, lambda: len(_css(browser, "li.row")) == 200)
    assert create.find_element("css selector", "summary").text == "topic · create (5000)"
    _click(browser, create.find_element("css selector", "button.more"))
    _until(browser, lambda: len(_css(browser, "li.row")) == 400)
    # a diff opens on click, built then
    row = _css(browser, "li.row")[0]
    _click(browser, row.find_element("css selector", "summary"))
    diff = _until(browser, lambda: row.find_elements("css selector", "pre.diff"))
    assert row.get_attribute("data-address") == "topic.pg.public.t0"
    assert diff[0].text == "# not on the cluster\n+ partitions = 1\n+ replication_factor = 3"
    # the picture of the flows: the CDC source, its connector and topics
    nodes = browser.execute_script("return [...document.querySelectorAll('#flow-svg g.n')].map(g => "
                                   "[g.dataset.node, g.getBoundingClientRect().width > 0])")
    assert ["source:pg", True] in nodes and ["topic:pg.public.t0", True] in nodes
    assert load_s < 15, load_s  # measured ~1 s here


def test_search_finds_a_topic_and_hides_the_rest(browser, big_page):
    _open(browser, big_page)
    box = _css(browser, "#search")[0]
    box.send_keys("shop.upd-01234")
    _until(browser, lambda: _css(browser, "#shown")[0].text == "1 of 10000 changes match")
    assert _visible_groups(browser) == ["topic update"]
    rows = [r for r in _css(browser, "li.row") if r.is_displayed()]
    assert [r.get_attribute("data-address") for r in rows] == ["topic.shop.upd-01234"]
    # a filter by action narrows further: nothing left once `update` is unticked
    _click(browser, _css(browser, "input[name=action][value=update]")[0])
    _until(browser, lambda: _css(browser, "#shown")[0].text == "0 of 10000 changes match")
    assert _visible_groups(browser) == []
    _click(browser, _css(browser, "input[name=action][value=update]")[0])
    box.clear()
    box.send_keys("pg.public")
    _until(browser, lambda: _css(browser, "#shown")[0].text == "3 of 10000 changes match")
    assert _visible_groups(browser) == ["topic create"]


def test_works_offline_and_its_policy_blocks_anything_else(browser, big_page):
    _open(browser, big_page)
    fetched = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert fetched == []
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []
    # the policy is enforced: a script that tries to load an image and an inline script gets both refused
    browser.execute_script("var i=new Image(); i.src='https://example.com/x.png'; document.body.appendChild(i);"
                           "var s=document.createElement('script'); s.textContent='window.injected=1';"
                           "document.body.appendChild(s);")
    refused = _until(browser, lambda: [e["message"] for e in browser.get_log("browser")
                                       if "Content Security Policy" in e["message"]], timeout=5)
    assert any("example.com" in m for m in refused), refused
    assert browser.execute_script("return window.injected") is None


def test_no_secret_canary_in_the_rendered_page(browser, tmp_path, monkeypatch):
    """The page of a plan whose connector holds secrets (declared, live, and copied under another key), every
    diff opened: the browser's DOM has the changed keys, not the values."""
    from click.testing import CliRunner
    from test_html_report import ENV_CANARY, LIVE_CANARY, _case

    from kplan.cli import cli

    _case(tmp_path, monkeypatch)
    out = CliRunner().invoke(cli, ["plan", "stack.yaml", "--live-state", "live.json", "--report", "p.html"])
    assert out.exit_code == 0, out.output
    _open(browser, tmp_path / "p.html")
    for s in _css(browser, "li.row summary"):
        _click(browser, s)
    text = _until(browser, lambda: browser.execute_script(
        "return document.querySelectorAll('pre.diff').length ? document.documentElement.outerHTML : ''"))
    assert 'config["connection.password"] = (sensitive)' in text
    assert ENV_CANARY not in text and LIVE_CANARY not in text
