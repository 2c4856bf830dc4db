"""Every page of the web app, walked by one account holding every role: each answers 200 with
one h1, its area marked in the navigation, nothing wider than an 800 px window and no console
error (a blocked inline script or style included); a query the page cannot use answers 4xx with
a message a person can read, never a server error."""

from __future__ import annotations

import datetime
from collections.abc import Iterator

import pytest
from web_support import PASSWORD, Served, demo_context, make_demo, serving, sign_in

from hub.accounts import Role

pytestmark = pytest.mark.slow

EVERYONE = "all-roles"
NAVIGATION = ["/cohort", "/changes", "/feeds", "/dpo/agreements", "/review", "/panel"]
MORE_PAGES = [
    "/dpo/disclosures",
    "/dpo/access",
    "/dpo/audit",
    "/dpo/subject",
    "/review/decisions",
    "/review/records",
    "/panel/performance",
]
DETAIL_LINKS = [  # (page, a link on it to a detail page)
    ("/cohort", "table.people a[href^='/people/']"),
    ("/feeds", "a[href$='/quarantine']"),
    ("/review", "a[href^='/review/pair/']"),
]
BAD_QUERIES = [
    ("/cohort?page=-1", 400, "'page' must be a whole number"),
    ("/cohort?page=many", 400, "'page' must be a whole number"),
    ("/cohort?sort=nonsense", 400, "'sort' must be one of"),
    ("/cohort?order=sideways", 400, "'order' must be one of"),
    ("/cohort?sentence_ends_before=someday", 400, "must be a day written YYYY-MM-DD"),
    ("/cohort/export.csv?sort=nonsense", 400, "'sort' must be one of"),
    ("/review?page=0", 400, "'page' must be a whole number"),
    ("/review?status=nonsense", 400, "'status' must be one of"),
    ("/dpo/access?since=2026-13-45", 400, "must be a day written YYYY-MM-DD"),
    ("/dpo/access?kind=nonsense", 400, "'kind' must be one of"),
    ("/dpo/subject/person", 400, "not a person id or a partner record"),
    ("/review/cluster?record=nope", 400, "is not FEED:RECORD_ID"),
    ("/people/no-such-person", 404, "Nobody with that id"),
    ("/feeds/no-such-feed/quarantine", 404, "no such feed"),
    ("/no/such/page", 404, "There is no page at this address"),
    ("/review/pair/no-such-pair", 404, "no such pair in the last review list"),
]


@pytest.fixture(scope="module")
def everyone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The demo served, with an account holding every role."""
    demo = tmp_path_factory.mktemp("every") / "demo"
    make_demo(demo)
    context = demo_context(demo, "config/hub.yaml", datetime.timedelta(minutes=10))
    context.accounts.add(EVERYONE, frozenset(Role), PASSWORD)
    with serving(context) as url:
        yield Served(url, context, context.audit, demo)


@pytest.fixture
def not_run_yet(everyone: Served) -> Iterator[str]:
    """The demo's hub over a workspace no run has filled yet, served; yields its URL."""
    config = everyone.demo / "config"
    hub = (config / "hub.yaml").read_text(encoding="utf-8")
    (config / "not-run.yaml").write_text(
        hub.replace("workspace: ../workspace", "workspace: ../not-run"), encoding="utf-8"
    )
    context = demo_context(everyone.demo, "config/not-run.yaml", datetime.timedelta(minutes=10))
    context.accounts.add(EVERYONE, frozenset(Role), PASSWORD)
    with serving(context) as url:
        yield url


@pytest.fixture
def signed_in(everyone: Served, page):  # type: ignore[no-untyped-def]
    """The browser, 800 px wide, signed in as the account with every role; console errors
    (CSP violations included) are collected on ``page.problems``."""
    page.set_viewport_size({"width": 800, "height": 900})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    sign_in(page, everyone.url, EVERYONE)
    page.problems = problems
    return page


def _check(page, url: str, path: str) -> None:  # type: ignore[no-untyped-def]
    page.problems.clear()
    answer = page.goto(url + path)
    assert answer.status == 200, path
    assert page.locator("h1").count() == 1, path
    marked = 0 if path == "/panel/performance" else 1  # the report stands alone
    assert page.locator("header nav a[aria-current]").count() == marked, path
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{path} is {overflow} px wider than the window"
    assert page.problems == [], (path, page.problems)


def test_every_page_opens_cleanly_for_the_account_holding_every_role(
    everyone: Served, signed_in
) -> None:  # type: ignore[no-untyped-def]
    page = signed_in
    assert page.url == f"{everyone.url}/cohort"
    shown = [page.get_attribute(f"header nav li:nth-child({n}) a", "href") for n in range(1, 7)]
    assert shown == NAVIGATION
    assert page.locator("header nav a").count() == len(NAVIGATION)
    consultations = len(everyone.entries("web_view"))
    for path in NAVIGATION + MORE_PAGES:
        _check(page, everyone.url, path)
    assert len(everyone.entries("web_view")) > consultations
    for listing, link in DETAIL_LINKS:
        page.goto(everyone.url + listing)
        detail = page.locator(link).first.get_attribute("href")
        _check(page, everyone.url, detail)
        assert page.locator("header nav a[aria-current='true']").count() == 1


def test_a_query_a_page_cannot_use_is_answered_4xx_with_a_reason(
    everyone: Served, signed_in
) -> None:  # type: ignore[no-untyped-def]
    for path, status, reason in BAD_QUERIES:
        answer = signed_in.request.get(everyone.url + path)
        assert answer.status == status, path
        assert reason in answer.text().replace("&#39;", "'"), path
        assert answer.text().count("<h1>") == 1, path
    signed_in.goto(everyone.url + "/panel")
    token = signed_in.locator("input[name=csrf_token]").first.get_attribute("value")
    undecided = {"person_id": "IOM-000001", "reason": "r", "csrf_token": token}
    answer = signed_in.request.post(everyone.url + "/panel/decide", form=undecided)
    assert answer.status == 400
    assert "'decision' must be one of" in answer.text().replace("&#39;", "'")


def test_a_hub_that_has_not_run_yet_says_so_rather_than_failing(not_run_yet: str, page) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, not_run_yet, EVERYONE)
    for path in NAVIGATION + MORE_PAGES + ["/people/abc", "/review/pair/abc"]:
        answer = page.request.get(not_run_yet + path)
        assert answer.status in (200, 400, 404), path
        assert answer.text().count("<h1>") == 1, path
    page.goto(not_run_yet + "/feeds")
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    decision = {"decision": "select", "person_id": "IOM-000001", "reason": "r", "csrf_token": token}
    answer = page.request.post(not_run_yet + "/panel/decide", form=decision)
    assert answer.status == 404
    assert "run `iomhub run`" in answer.text()
    assert "persons.parquet" not in answer.text(), "no server path on a page"
