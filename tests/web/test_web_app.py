"""The web app in a real browser: sign in, the cohort, a person, refusals, CSRF, expiry."""

from __future__ import annotations

import re
import time

import httpx
import pytest
from web_support import PASSWORD, Served, sign_in

pytestmark = pytest.mark.slow


def test_health_answers_without_sign_in_and_pages_send_you_to_sign_in(served: Served) -> None:
    assert httpx.get(f"{served.url}/health").json() == {"status": "ok"}
    response = httpx.get(f"{served.url}/cohort", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


def test_every_page_carries_a_strict_content_security_policy(served: Served) -> None:
    headers = httpx.get(f"{served.url}/login").headers
    assert "default-src 'none'" in headers["content-security-policy"]
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    cookie = headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie


def test_an_officer_filters_the_cohort_opens_a_person_and_each_look_is_audited(
    served: Served, page
) -> None:
    sign_in(page, served.url, "olivia")
    page.wait_for_url(re.compile(r"/cohort"))
    total = int(re.search(r"([\d,]+) people", page.inner_text("p.meta")).group(1).replace(",", ""))
    assert total > 10  # the IOM team's view holds the cohort the demo's panel selected
    page.locator("fieldset[data-facet=offence_type] input[type=checkbox]").first.check()
    page.wait_for_url(re.compile(r"offence_type="))
    filtered = int(re.search(r"([\d,]+) people", page.inner_text("p.meta")).group(1)
                   .replace(",", ""))  # fmt: skip
    assert 0 < filtered < total

    before = len(served.entries("web_view"))
    page.locator("table.people tbody a").first.click()
    page.wait_for_url(re.compile(r"/people/[0-9a-f]+$"))
    person_id = page.url.rsplit("/", 1)[1]
    assert "Values and where they came from" in page.content()
    assert "nhs_number" not in page.content()  # the IOM team's agreements do not allow it

    entries = served.entries("web_view")
    assert len(entries) == before + 1
    looked = entries[-1]
    assert looked["actor"] == "olivia"
    assert looked["operation"] == "consultation"
    assert looked["objects"]["page"] == "/people"
    assert looked["objects"]["person_ids"] == [person_id]
    assert looked["objects"]["purpose"] == "IOM panel"
    assert served.audit.verify().ok


def test_a_name_search_is_audited_without_the_name(served: Served, page) -> None:
    sign_in(page, served.url, "olivia")
    page.wait_for_url(re.compile(r"/cohort"))
    surname = page.locator("table.people tbody tr td").first.inner_text()
    page.fill("#q", surname)
    page.click("#filters button[type=submit]")
    page.wait_for_url(re.compile(r"q="))
    assert surname in page.inner_text("table.people")
    entry = served.entries("web_view")[-1]
    assert entry["objects"].get("name_search") is True
    assert surname not in str(entry)


def test_a_person_without_the_role_is_refused_and_the_attempt_logged(served: Served, page) -> None:
    sign_in(page, served.url, "dan", purpose="feed operations")
    response = page.goto(f"{served.url}/cohort")
    assert response.status == 403
    assert "iom_officer" in page.inner_text("main")
    refused = served.entries("access_refused")[-1]
    assert refused["actor"] == "dan" and refused["objects"]["page"] == "/cohort"
    assert page.goto(f"{served.url}/feeds").status == 200


def test_a_post_without_the_csrf_token_is_refused(served: Served, page) -> None:
    sign_in(page, served.url, "olivia")
    page.wait_for_url(re.compile(r"/cohort"))
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    response = httpx.post(f"{served.url}/purpose", data={"purpose": "case management"},
                          cookies=cookies, follow_redirects=False)  # fmt: skip
    assert response.status_code == 403
    signed_out = httpx.post(f"{served.url}/logout", cookies=cookies, follow_redirects=False)
    assert signed_out.status_code == 403  # still signed in: the forged sign-out did nothing
    assert page.goto(f"{served.url}/cohort").status == 200


def test_a_sign_in_without_the_form_token_is_refused(served: Served) -> None:
    response = httpx.post(f"{served.url}/login",
                          data={"username": "olivia", "password": PASSWORD})  # fmt: skip
    assert response.status_code == 403


def test_an_idle_session_expires_and_sign_out_ends_it(served: Served, page) -> None:
    sign_in(page, served.url, "olivia")
    page.wait_for_url(re.compile(r"/cohort"))
    time.sleep(3.5)  # the served app signs out after 3 s idle
    page.goto(f"{served.url}/cohort")
    assert "/login" in page.url

    sign_in(page, served.url, "olivia")
    page.wait_for_url(re.compile(r"/cohort"))
    page.click("header button[type=submit]")  # sign out
    page.wait_for_url(re.compile(r"/login"))
    page.goto(f"{served.url}/cohort")
    assert "/login" in page.url


def test_a_wrong_password_is_refused_without_saying_whether_the_name_exists(
    served: Served, page
) -> None:
    for name in ("olivia", "nobody-by-this-name"):
        page.goto(f"{served.url}/login")
        page.fill("#username", name)
        page.fill("#password", "not the password at all")
        page.click("button[type=submit]")
        assert "wrong name or password" in page.inner_text("[role=alert]")
