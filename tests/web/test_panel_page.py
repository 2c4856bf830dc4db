"""The IOM panel's page in a real browser: a police and a probation decision-maker select a
candidate, who then shows as a member; other accounts are refused; the performance report."""

from __future__ import annotations

import re

import httpx
import pytest
from web_support import Served, sign_in

pytestmark = pytest.mark.slow


def _panel(browser, served: Served, name: str):  # type: ignore[no-untyped-def]
    page = browser.new_context().new_page()
    sign_in(page, served.url, name)
    page.wait_for_url(re.compile(r"/panel$"))
    return page


def test_a_police_and_a_probation_decision_maker_select_a_candidate(
    served: Served, browser
) -> None:
    police = _panel(browser, served, "pam")
    assert "You decide for police" in police.inner_text("p.meta")
    row = police.locator("section[aria-labelledby=strand-free] tbody tr").first
    person_id = row.locator("td").first.inner_text()
    assert row.locator("ul.reasons li").count() >= 1
    before = len(served.entries("web_view"))
    row.locator("input[name=reason]").fill("high-harm DA, agreed at panel")
    row.locator("button[type=submit]").click()
    police.wait_for_url(re.compile(r"done=pending"))
    assert "takes effect when a decision-maker of the other agency" in police.inner_text("main")
    row = police.locator("tr", has_text=person_id).first
    assert "waits for probation" in row.inner_text()
    assert person_id not in police.inner_text("section[aria-labelledby=members-heading]")

    probation = _panel(browser, served, "bea")
    row = probation.locator("section[aria-labelledby=strand-free] tr", has_text=person_id)
    assert "Police (pam) has decided to select" in row.inner_text()
    row.locator("input[name=reason]").fill("agreed: DA perpetrator programme")
    row.locator("button[type=submit]").click()
    probation.wait_for_url(re.compile(r"done=agreed"))
    members = probation.inner_text("section[aria-labelledby=members-heading]")
    assert person_id in members and "pam & bea" in members
    assert person_id not in probation.inner_text("section[aria-labelledby=strand-free]")

    decisions = [e for e in served.entries("cohort_decision")
                 if e["objects"]["person_id"] == person_id]  # fmt: skip
    assert [(d["objects"]["agency"], d["objects"]["outcome"]) for d in decisions] == [
        ("police", "pending"), ("probation", "agreed"),
    ]  # fmt: skip
    looks = [e for e in served.entries("web_view")[before:] if e["objects"]["page"] == "/panel"]
    assert {e["actor"] for e in looks} == {"pam", "bea"}
    assert all(person_id in e["objects"]["person_ids"] for e in looks)


def test_a_decision_needs_a_reason_and_the_site_s_token(served: Served, page) -> None:
    sign_in(page, served.url, "pam")
    page.wait_for_url(re.compile(r"/panel$"))
    row = page.locator("section[aria-labelledby=strand-flex] tbody tr").first
    person_id = row.locator("td").first.inner_text()
    token = row.locator("input[name=csrf_token]").get_attribute("value")
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    form = {"person_id": person_id, "decision": "select", "strand": "flex"}
    forged = httpx.post(f"{served.url}/panel/decide", data={**form, "reason": "x"},
                        cookies=cookies, follow_redirects=False)  # fmt: skip
    assert forged.status_code == 403
    blank = httpx.post(f"{served.url}/panel/decide",
                       data={**form, "reason": " ", "csrf_token": token},
                       cookies=cookies, follow_redirects=False)  # fmt: skip
    assert blank.status_code == 400 and "a decision needs a reason" in blank.text


def test_an_account_without_a_panel_role_is_refused(served: Served, page) -> None:
    sign_in(page, served.url, "olivia")
    page.wait_for_url(re.compile(r"/cohort"))
    assert page.goto(f"{served.url}/panel").status == 403
    assert "panel_police" in page.inner_text("main")
    refused = served.entries("access_refused")[-1]
    assert refused["actor"] == "olivia" and refused["objects"]["page"] == "/panel"
    assert page.goto(f"{served.url}/panel/performance").status == 403
    assert "Panel" not in page.inner_text("header")


def test_the_performance_report_opens_from_the_panel_page(served: Served, page) -> None:
    sign_in(page, served.url, "bea")
    page.wait_for_url(re.compile(r"/panel$"))
    page.click("text=Performance report")
    page.wait_for_url(re.compile(r"/panel/performance$"))
    assert page.inner_text("h1") == "IOM cohort performance"
    assert page.locator("svg").count() >= 4
    assert served.entries("web_view")[-1]["objects"]["page"] == "/panel/performance"
