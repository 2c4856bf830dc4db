"""The data officer's pages in a real browser: feeds, quarantine (audited), run now."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from helpers import EXAMPLE_CONFIG
from web_support import PASSWORD, Served, serving, sign_in

from hub.accounts import AccountStore, Role
from hub.config import load_config
from hub.demo.synthetic import generate_partners
from hub.web.context import WebContext

pytestmark = pytest.mark.slow


def test_the_feeds_page_shows_each_feed_and_its_quarantine_is_an_audited_look(
    served: Served, page
) -> None:
    sign_in(page, served.url, "dan", purpose="feed operations")
    page.goto(f"{served.url}/feeds")
    table = page.inner_text("table.feeds")
    for feed in ("police", "probation", "health", "housing"):
        assert feed in table
    link = page.locator("table.feeds a[href$='/quarantine']").first
    feed = link.get_attribute("href").split("/")[2]
    link.click()
    page.wait_for_url(re.compile(r"/quarantine$"))
    assert "By reason" in page.content()
    rows = page.locator("table.sample tbody tr").count()
    assert rows >= 1
    entry = served.entries("web_view")[-1]
    assert entry["actor"] == "dan" and entry["objects"]["page"] == f"/feeds/{feed}/quarantine"
    assert len(entry["objects"]["records"]) == rows
    assert entry["objects"]["purpose"] == "feed operations"


def test_an_officer_without_the_role_cannot_see_the_feeds(served: Served, page) -> None:
    sign_in(page, served.url, "olivia")
    assert page.goto(f"{served.url}/feeds").status == 403
    assert page.goto(f"{served.url}/feeds/police/quarantine").status == 403


def test_run_now_runs_the_hub_and_the_run_is_listed_with_its_stages(
    example_env: Path, tmp_path: Path, browser
) -> None:
    generate_partners(example_env, tmp_path / "truth.parquet", 120, seed=5)
    config = load_config(EXAMPLE_CONFIG)
    context = WebContext.open(config)
    AccountStore(context.workspace.accounts_path).add(
        "dan", frozenset({Role.DATA_OFFICER}), PASSWORD
    )
    with serving(context) as url:
        page = browser.new_page()
        sign_in(page, url, "dan", purpose="feed operations")
        page.goto(f"{url}/feeds")
        assert "No run yet." in page.inner_text("table.runs")
        page.click("form[action='/feeds/run'] button")
        page.wait_for_url(re.compile(r"started=1"))
        deadline = time.monotonic() + 120
        while context.runner.running:
            assert time.monotonic() < deadline, "the run did not end"
            time.sleep(0.2)
        assert context.runner.error is None
        page.goto(f"{url}/feeds")
        runs = page.inner_text("table.runs")
        assert "run (web)" in runs and "ok" in runs
        assert "ingest" in runs and "publish" in runs  # stage timings
        page.close()
