"""Clerical review in a real browser: split a link, withdraw, four eyes, and who may not look."""

from __future__ import annotations

import contextlib
import re
from urllib.parse import urlencode

import pyarrow.parquet as pq
import pytest
from web_support import PASSWORD, Served, sign_in

from hub.accounts import Role
from hub.errors import AccountError
from hub.output import Reporter
from hub.run.match_run import match_now
from hub.run.review_decisions import list_decisions, withdraw
from hub.run.review_queue import queue_items

pytestmark = pytest.mark.slow
PURPOSE = "clerical review"
Key = tuple[str, str]


def _people(served: Served) -> dict[Key, str]:
    links = pq.read_table(served.context.workspace.matched.record_links).to_pylist()
    return {(r["source"], r["source_record_id"]): r["person_id"] for r in links}


def _text(key: Key) -> str:
    return f"{key[0]}:{key[1]}"


def _rematch(served: Served) -> dict[Key, str]:
    match_now(served.context.config, Reporter(quiet=True))
    return _people(served)


@pytest.fixture
def reviewed(served: Served):  # type: ignore[no-untyped-def]
    """The served hub; every decision made in the test is withdrawn and people re-matched."""
    with contextlib.suppress(AccountError):
        served.context.accounts.add("sam", frozenset({Role.REVIEWER}), PASSWORD)
    yield served
    for row in list_decisions(served.context.config):
        withdraw(served.context.config, served.context.audit, row.left, row.right,
                 by="web-tests", note="test reset")  # fmt: skip
    _rematch(served)


def _linked_pair(served: Served) -> tuple[Key, Key]:
    by_person: dict[str, list[Key]] = {}
    for key, person in _people(served).items():
        by_person.setdefault(person, []).append(key)
    return next(tuple(sorted(keys))[:2] for keys in by_person.values()  # type: ignore[misc]
                if len(keys) == 2 and "health" not in {k[0] for k in keys})  # fmt: skip


def _sign_in_again(page, served: Served, name: str) -> None:  # type: ignore[no-untyped-def]
    """Sign in afresh after a match run (the test app signs out after 3 s idle)."""
    page.context.clear_cookies()
    sign_in(page, served.url, name, purpose=PURPOSE)


def _decide_with_keys(page, key: str, note: str, *, taken: bool = True) -> None:  # type: ignore[no-untyped-def]
    """Choose by shortcut key, type the note, press Enter (and wait to be sent back)."""
    page.locator("h1").click()
    page.keyboard.press(key)
    assert page.evaluate("document.activeElement.id") == "note"
    page.keyboard.type(note)
    if taken:
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"done="))
    else:
        with page.expect_navigation():
            page.keyboard.press("Enter")


def test_a_reviewer_splits_an_automatic_link_and_the_next_run_keeps_them_apart(
    reviewed: Served, page
) -> None:
    left, right = _linked_pair(reviewed)
    sign_in(page, reviewed.url, "rita", purpose=PURPOSE)
    page.goto(f"{reviewed.url}/review/cluster?{urlencode({'record': _text(left)})}")
    assert page.locator("svg.cluster").count() == 1
    page.locator("a.split-link").first.click()
    assert page.locator("svg.waterfall").count() == 1 and "one person" in page.content()
    _decide_with_keys(page, "d", "different dates of birth on the original forms")
    assert "in force from the next match" in page.inner_text("p.done")
    people = _rematch(reviewed)
    assert people[left] != people[right]
    here = page.url
    _sign_in_again(page, reviewed, "rita")
    page.goto(here)
    assert "different people" in page.inner_text("main")
    entry = reviewed.entries("review_decision")[-1]
    assert entry["objects"]["decision"] == "different" and entry["actor"] == "rita"
    views = [e for e in reviewed.entries("web_view") if e["objects"]["page"] == "/review/records"]
    assert views and views[-1]["objects"]["purpose"] == PURPOSE


def test_a_withdrawn_decision_stops_applying(reviewed: Served, page) -> None:
    left, right = _linked_pair(reviewed)
    sign_in(page, reviewed.url, "rita", purpose=PURPOSE)
    page.goto(f"{reviewed.url}/review/records?"
              f"{urlencode({'left': _text(left), 'right': _text(right)})}")  # fmt: skip
    _decide_with_keys(page, "d", "split for the test")
    people = _rematch(reviewed)
    assert people[left] != people[right]
    _sign_in_again(page, reviewed, "rita")
    page.goto(f"{reviewed.url}/review/decisions")
    row = page.locator("table.decisions tbody tr", has_text=_text(left))
    row.locator("input[name=note]").fill("recorded on the wrong pair")
    row.locator("button").click()
    page.wait_for_url(re.compile(r"done=withdrawn"))
    assert "No decisions yet." in page.inner_text("table.decisions")
    people = _rematch(reviewed)
    assert people[left] == people[right]
    assert reviewed.entries("review_decision_withdrawn")[-1]["actor"] == "rita"


def _health_pair_apart(served: Served) -> tuple[Key, Key]:
    people = _people(served)
    for item in queue_items(served.context.config):
        health = "health" in item.agencies and item.cross_agency
        if health and item.reason == "uncertain" and people[item.left] != people[item.right]:
            return item.left, item.right
    pytest.skip("no health pair waits in this demo")


def test_four_eyes_holds_a_cross_agency_health_merge_until_a_second_reviewer_agrees(
    reviewed: Served, browser
) -> None:
    left, right = _health_pair_apart(reviewed)
    pair_page = (f"{reviewed.url}/review/records?"
                 f"{urlencode({'left': _text(left), 'right': _text(right)})}")  # fmt: skip
    first = browser.new_context().new_page()
    sign_in(first, reviewed.url, "rita", purpose=PURPOSE)
    first.goto(pair_page)
    _decide_with_keys(first, "s", "same NHS trust referral and address")
    assert "waits for a second reviewer" in first.inner_text("p.done")
    first.goto(f"{reviewed.url}/review")
    assert _text(left) in first.inner_text("table.held")
    people = _rematch(reviewed)
    assert people[left] != people[right]
    _sign_in_again(first, reviewed, "rita")
    first.goto(pair_page)
    _decide_with_keys(first, "s", "asking again", taken=False)
    assert first.locator("h1").inner_text() == "Not done"  # the same reviewer cannot second

    second = browser.new_context().new_page()
    sign_in(second, reviewed.url, "sam", purpose=PURPOSE)
    second.goto(f"{reviewed.url}/review")
    second.locator("table.held a").first.click()
    _decide_with_keys(second, "s", "agree: same person")
    assert "in force from the next match" in second.inner_text("p.done")
    people = _rematch(reviewed)
    assert people[left] == people[right]
    seconded = reviewed.entries("review_decision_seconded")[-1]
    assert (seconded["actor"], seconded["objects"]["first_by"]) == ("sam", "rita")


def test_blind_mode_hides_scores_until_the_reviewer_decides(reviewed: Served, page) -> None:
    left, right = _linked_pair(reviewed)
    sign_in(page, reviewed.url, "rita", purpose=PURPOSE)
    page.goto(f"{reviewed.url}/review")
    page.click("#blind-toggle")
    assert "Blind mode: on" in page.inner_text("#blind-toggle")
    page.goto(f"{reviewed.url}/review/records?"
              f"{urlencode({'left': _text(left), 'right': _text(right)})}")  # fmt: skip
    assert (
        page.locator("#scores-hidden").count() == 1 and page.locator("svg.waterfall").count() == 0
    )
    here = page.url
    page.goto(f"{reviewed.url}/review/cluster?{urlencode({'record': _text(left)})}")
    assert page.locator("svg.cluster line").count() >= 1
    assert page.locator("svg.cluster text.edge-weight").count() == 0
    page.goto(here)
    _decide_with_keys(page, "u", "cannot tell from these records")
    assert page.locator("svg.waterfall").count() == 1
    page.goto(f"{reviewed.url}/review")
    page.click("#blind-toggle")


def test_the_labels_download_is_audited(reviewed: Served, page) -> None:
    sign_in(page, reviewed.url, "rita", purpose=PURPOSE)
    page.goto(f"{reviewed.url}/review")
    with page.expect_download() as download:
        page.click("#labels-download")
    text = download.value.path().read_text()
    assert text.startswith("source_dataset_l,unique_id_l,source_dataset_r,unique_id_r,")
    assert reviewed.entries("web_view")[-1]["objects"]["export"] == "labels"


def test_a_user_without_the_reviewer_role_is_refused_and_logged(served: Served, page) -> None:
    sign_in(page, served.url, "olivia")
    for path in ("/review", "/review/decisions", "/review/records"):
        assert page.goto(f"{served.url}{path}").status == 403
    refused = served.entries("access_refused")[-1]
    assert refused["actor"] == "olivia" and refused["objects"]["role_needed"] == "reviewer"
