"""The DPO's console in a real browser: subject access by name and date of birth, the releases
that included the person, the audited response pack; verify now (CSRF-checked); other roles
refused and logged."""

from __future__ import annotations

import contextlib
import io
import re
import zipfile

import pytest
from web_support import PASSWORD, Served, sign_in

from hub.accounts import Role
from hub.errors import AccountError
from hub.run.releases import list_releases
from schemas.duckdb_session import DuckDBSettings, connect
from schemas.sql import quote_literal

pytestmark = pytest.mark.slow
PURPOSE = "data protection audit"
DPO_PAGES = ("/dpo/agreements", "/dpo/disclosures", "/dpo/access", "/dpo/audit", "/dpo/subject")


@pytest.fixture
def dpo(served: Served) -> str:
    """A DPO account on the served hub."""
    with contextlib.suppress(AccountError):  # added by an earlier test
        served.context.accounts.add("dora", frozenset({Role.DPO}), PASSWORD)
    return "dora"


def _someone_released(served: Served) -> tuple[str, str, str]:
    """The release id, surname and date of birth of a person in the IOM team's latest release
    (the demo's first one is empty: its panel has not yet selected anyone)."""
    release = [r for r in list_releases(served.context.config) if r.recipient == "iom_team"][-1]
    con = connect(DuckDBSettings(threads=1))
    try:
        ((surname, born),) = con.sql(
            f"SELECT surname, date_of_birth FROM read_parquet("
            f"{quote_literal(release.folder / 'view.parquet')}) WHERE surname IS NOT NULL "
            "AND date_of_birth IS NOT NULL ORDER BY person_id LIMIT 1"
        ).fetchall()
    finally:
        con.close()
    return release.release_id, str(surname), born.isoformat()


def _search(page, served: Served, dpo: str, surname: str, born: str) -> None:  # type: ignore[no-untyped-def]
    """Sign in as the DPO and search by surname and date of birth."""
    sign_in(page, served.url, dpo, purpose=PURPOSE)
    page.goto(f"{served.url}/dpo/subject")
    page.fill("#surname", surname)
    page.fill("#date_of_birth", born)
    page.click("form[aria-labelledby=by-name] button[type=submit]")


def test_the_dpo_finds_a_person_by_name_and_dob_and_sees_the_releases_that_included_them(
    served: Served, page, dpo: str
) -> None:
    release_id, surname, born = _someone_released(served)
    _search(page, served, dpo, surname.lower(), born)
    assert surname.lower() in page.inner_text("table.candidates").lower()
    search = served.entries("web_view")[-1]
    assert search["actor"] == dpo and search["objects"]["page"] == "/dpo/subject"
    assert search["objects"]["name_search"] is True and search["objects"]["records"]
    assert surname.lower() not in str(search).lower() and born not in str(search)
    page.click("table.candidates a")
    page.wait_for_url(re.compile(r"/dpo/subject/person\?ref="))
    sent = page.inner_text("table.sent")
    assert release_id in sent and "iom_team" in sent and "IOM-ISA-01 v2.1" in sent
    assert surname.lower() in sent.lower()  # the value as sent, read back from the release
    view = served.entries("web_view")[-1]
    assert view["objects"]["page"] == "/dpo/subject/person" and view["objects"]["person_ids"]
    assert view["objects"]["purpose"] == PURPOSE


def test_the_response_pack_is_exported_and_written_to_the_audit_log(
    served: Served, page, dpo: str
) -> None:
    _, surname, born = _someone_released(served)
    _search(page, served, dpo, surname, born)
    page.click("table.candidates a")
    page.fill("#request_reference", "SAR-2026-042")
    with page.expect_download() as download:
        page.click("form[action='/dpo/subject/pack'] button")
    content = open(download.value.path(), "rb").read()  # noqa: SIM115
    with zipfile.ZipFile(io.BytesIO(content)) as pack:
        assert "response.html" in pack.namelist()
        assert surname.lower() in pack.read("records.csv").decode("utf-8-sig").lower()
    (entry,) = served.entries("subject_access_pack")
    assert entry["actor"] == dpo and entry["reason"] == "SAR-2026-042"
    assert entry["operation"] == "disclosure" and entry["objects"]["records"]
    assert served.audit.verify().ok


def test_verify_now_needs_the_forms_token(served: Served, page, dpo: str) -> None:
    sign_in(page, served.url, dpo, purpose=PURPOSE)
    page.goto(f"{served.url}/dpo/audit")
    refused = page.request.post(f"{served.url}/dpo/audit/verify", form={"csrf_token": "forged"})
    assert refused.status == 403
    assert page.request.post(f"{served.url}/dpo/audit/verify").status == 403
    page.click("form[action='/dpo/audit/verify'] button")
    verdict = page.inner_text("section.verdict")
    assert "Verified" in verdict and "entries checked" in verdict


def test_the_register_disclosures_and_access_log_show_to_the_dpo(
    served: Served, page, dpo: str
) -> None:
    sign_in(page, served.url, dpo, purpose=PURPOSE)
    page.goto(f"{served.url}/dpo/agreements")
    register = page.inner_text("table.register")
    assert "IOM-ISA-01" in register and "DPIA-2025-013" in register and "expired" in register
    page.goto(f"{served.url}/dpo/disclosures")
    assert "iom_team" in page.inner_text("table.disclosures")
    page.goto(f"{served.url}/dpo/access?kind=refused")
    assert page.locator("select[name=kind] option[selected]").inner_text() == "page refused"


@pytest.mark.parametrize("name", ["rita", "olivia"])
def test_a_reviewer_or_officer_cannot_open_dpo_pages(served: Served, page, name: str) -> None:
    sign_in(page, served.url, name, purpose="IOM panel")
    before = len(served.entries("access_refused"))
    for path in DPO_PAGES:
        assert page.goto(f"{served.url}{path}").status == 403
    assert page.request.post(f"{served.url}/dpo/subject/pack", form={"ref": "x"}).status == 403
    refused = served.entries("access_refused")[before:]
    assert [e["objects"]["page"] for e in refused] == [*DPO_PAGES, "/dpo/subject/pack"]
    assert {e["actor"] for e in refused} == {name}
