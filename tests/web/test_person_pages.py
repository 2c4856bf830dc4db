"""The person page's provenance and history, the cohort's "known to" facet, and the records
linked since the previous release, the RFG bound, and the data officer's view of held and
rejected extracts, on a demo hub run twice (housing sends a second extract in which some tenants
have a new, settled tenancy; police a file that is no extract at all)."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator

import duckdb
import pytest
from web_support import (
    Served,
    demo_context,
    housing_moves,
    make_demo,
    run_hub,
    serving,
    sign_in,
)

from hub.audit.events import CohortDecision, ReviewDecision
from hub.run.person_history import hub_person_id, person_history
from hub.run.team_view import latest_release
from hub.workspace import Workspace
from matching.registry import PersonRegistry

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def twice(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    demo = tmp_path_factory.mktemp("twice") / "demo"
    make_demo(demo)
    housing_moves(demo)
    (demo / "partners" / "police" / "police_nominals_20261130.csv").write_text("Nonsense\n1\n")
    run_hub(demo, rejects="police_nominals_20261130.csv")
    context = demo_context(demo, "config-folders/hub.yaml", datetime.timedelta(minutes=5))
    with serving(context) as url:
        yield Served(url, context, context.audit, demo)


def test_changes_lists_the_partner_records_linked_since_the_previous_release(
    twice: Served, page
) -> None:
    sign_in(page, twice.url, "olivia")
    page.wait_for_url(re.compile(r"/cohort"))
    page.goto(f"{twice.url}/changes")
    heading = page.locator("h2", has_text="New partner records linked").inner_text()
    linked = int(re.search(r"\((\d+)\)", heading).group(1))
    assert linked > 0
    rows = page.locator("table.linked tbody tr")
    assert {rows.nth(i).locator("td").nth(1).inner_text() for i in range(linked)} == {"housing"}
    shown = {rows.nth(i).locator("a").inner_text() for i in range(linked)}
    looked = twice.entries("web_view")[-1]
    assert looked["objects"]["page"] == "/changes"
    assert shown <= set(looked["objects"]["person_ids"])
    assert "Settled" in page.inner_text("main")  # the accommodation changes beside them


def test_a_person_page_gives_each_values_extract_and_date_who_knows_them_and_their_history(
    twice: Served, page
) -> None:
    sign_in(page, twice.url, "olivia")
    page.wait_for_url(re.compile(r"/cohort"))
    page.goto(f"{twice.url}/changes")
    page.locator("table.linked tbody a").first.click()
    page.wait_for_url(re.compile(r"/people/[0-9a-f]+$"))
    known = page.locator("p.known-to .tag").all_inner_texts()
    assert "housing" in known and "health" not in known
    row = page.locator("table.fields tr", has=page.locator("th", has_text="accommodation status"))
    cells = row.locator("td").all_inner_texts()
    assert cells[0] == "Settled"
    assert "housing" in cells[1] and "housing_tenancies_20261129.csv" in cells[1]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", cells[2])
    history = page.locator("ol.history").inner_text()
    assert "created" in history and "record linked: a housing record joined this person" in history
    assert "TN" not in history  # never a partner's record id


def test_the_cohort_counts_and_filters_by_the_agencies_that_know_a_person(
    twice: Served, page
) -> None:
    sign_in(page, twice.url, "olivia")
    page.wait_for_url(re.compile(r"/cohort"))
    facet = page.locator("fieldset[data-facet=known_to]")
    labels = facet.locator("label").all_inner_texts()
    counts = {label.rsplit(" ", 1)[0].strip(): int(label.rsplit(" ", 1)[1].replace(",", ""))
              for label in labels}  # fmt: skip
    assert set(counts) <= {"police", "probation", "housing"} and "housing" in counts
    facet.locator("input[value=housing]").check()
    page.wait_for_url(re.compile(r"known_to=housing"))
    total = int(re.search(r"([\d,]+) people", page.inner_text("p.meta")).group(1).replace(",", ""))
    assert total == counts["housing"]
    assert twice.entries("web_view")[-1]["objects"]["filters"] == ["known_to=housing"]
    exported = page.request.get(f"{twice.url}/cohort/export.csv?known_to=housing").text()
    assert "known_to" in exported.splitlines()[0] and "['" not in exported


def test_only_the_agencies_an_agreement_lists_are_released_as_known_to(twice: Served) -> None:
    config = twice.context.config
    team = latest_release(config, "iom_team")
    told = duckdb.sql(
        f"SELECT DISTINCT unnest(known_to) FROM read_parquet('{team.folder / 'view.parquet'}')"
    ).fetchall()
    assert {t for (t,) in told} <= {"police", "probation", "housing"}
    performance = latest_release(config, "performance")
    columns = duckdb.sql(f"DESCRIBE SELECT * FROM '{performance.folder / 'view.parquet'}'")
    assert "known_to" not in {c[0] for c in columns.fetchall()}


def test_a_persons_history_shows_decisions_by_their_event_class(twice: Served) -> None:
    config = twice.context.config
    workspace = Workspace(config.workspace)
    team = latest_release(config, "iom_team")
    pseudonym = duckdb.sql(
        f"SELECT person_id FROM read_parquet('{team.folder / 'view.parquet'}') "
        "WHERE list_contains(known_to, 'police') ORDER BY person_id LIMIT 1"
    ).fetchall()[0][0]
    master = config.settings.master_key_bytes()
    person = hub_person_id(workspace, "iom_team", team.release_id, pseudonym, master)
    with PersonRegistry(workspace.matched.registry) as registry:
        snapshot = registry.assignment_snapshot()
    ((source, record),) = duckdb.execute(
        "SELECT source, source_record_id FROM read_parquet(?) WHERE person_id = ? "
        "AND source = 'police' ORDER BY source_record_id LIMIT 1",
        [str(snapshot), person],
    ).fetchall()
    reviewed = ReviewDecision(
        pair_id=None,
        left=f"{source}:{record}",
        right="health:H-0",
        decision="different",
        decided_by="rita",
        reason="dates differ",
    )
    twice.audit.record(reviewed)
    twice.audit.record(CohortDecision(person_id=person, decision="select", strand="fixed",
                                      agency="probation", decided_by="pam", outcome="agreed",
                                      reason="panel of 3 December"))  # fmt: skip
    history = person_history(config, "iom_team", team.release_id, pseudonym,
                             frozenset({"police"}))  # fmt: skip
    assert history is not None
    kinds = [e.kind for e in history.events]
    assert kinds[0] == "created"
    decision = next(e for e in history.events if e.kind == "review_decision")
    assert decision.by == "web-tests"
    assert "a police and a partner's record" in decision.summary or (
        "a partner's and a police record" in decision.summary
    )
    assert "decision: different" in decision.summary and record not in decision.summary
    assert "health" not in decision.summary  # the recipient may not be told health knows them
    spells = [e.summary for e in history.events if e.kind == "cohort_spell_started"]
    assert "entered the cohort, strand fixed: panel of 3 December" in spells  # beside the demo's
    assert person_history(config, "iom_team", team.release_id, "0" * 32) is None


def test_the_cohort_bounds_the_rfg_score_and_the_look_records_every_filter(
    twice: Served, page
) -> None:
    sign_in(page, twice.url, "olivia")
    page.wait_for_url(re.compile(r"/cohort"))
    page.fill("#rfg_at_least", "150")
    page.click("#filters button[type=submit]")
    page.wait_for_url(re.compile(r"rfg_at_least=150"))
    column = [c.replace(",", "") for c in page.locator("table.people tbody td:nth-child(7)")
              .all_inner_texts()]  # fmt: skip
    assert column and all(int(score) >= 150 for score in column)
    assert "rfg_at_least=150" in twice.entries("web_view")[-1]["objects"]["filters"]


def test_the_feeds_page_says_when_each_partner_last_sent_something_new_and_what_was_refused(
    twice: Served, page
) -> None:
    sign_in(page, twice.url, "dan", purpose="feed operations")
    page.wait_for_url(re.compile(r"/feeds"))
    assert "Partner last sent a new extract" in page.inner_text("table.feeds thead")
    refused = page.locator("table.outstanding tbody tr", has_text="police_nominals_20261130.csv")
    cells = refused.locator("td").all_inner_texts()
    assert cells[2] == "rejected" and cells[3] not in ("", "-")
