"""The cohort rules, one by one, on a hand-built population whose answer is known."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from cohort_population import TODAY, Person, offender, write_population
from helpers import EXAMPLE_CONFIG

from hub.cohort.candidates import CandidateList, select_candidates
from hub.cohort.inputs import gather_inputs
from hub.cohort.rules import CohortRules, load_cohort_rules
from hub.cohort.severity import load_severity
from hub.config import load_config
from hub.run.publish import load_sharing
from hub.workspace import Workspace
from schemas.errors import ConfigError

EXAMPLE_RULES = EXAMPLE_CONFIG.parent / "cohort.yaml"
CHARGED = "Charged"


def _rules(**changes: Any) -> CohortRules:
    document = yaml.safe_load(EXAMPLE_RULES.read_text("utf-8"))
    for dotted, value in changes.items():
        target = document
        *parents, last = dotted.split("__")
        for part in parents:
            target = target[part]
        target[last] = value
    return CohortRules.model_validate(document)


def _select(people: list[Person], rules: CohortRules | None = None) -> CandidateList:
    config = load_config(EXAMPLE_CONFIG)
    workspace = Workspace(config.workspace)
    staging = write_population(workspace.root, people)
    rules = rules or load_cohort_rules(EXAMPLE_RULES)
    severity = load_severity()
    inputs = gather_inputs(config, workspace, rules, severity, load_sharing(config),
                           {"police_offences": staging}, TODAY)  # fmt: skip
    return select_candidates(rules, inputs, severity.citation)


def _strands(listing: CandidateList) -> dict[str, str]:
    return {c.person_id: c.strand for c in listing.candidates}


def _reasons(listing: CandidateList, person_id: str) -> str:
    candidate = next(c for c in listing.candidates if c.person_id == person_id)
    return "; ".join(str(r) for r in candidate.reasons)


def _why(listing: CandidateList, person_id: str) -> str:
    return next(e.why for e in listing.excluded if e.person_id == person_id)


def test_example_rules_express_the_youturn_cohorts() -> None:
    rules = load_cohort_rules(EXAMPLE_RULES)
    assert rules.band_of(75) == "high" and rules.band_of(74) == "medium"
    assert rules.fixed.min_days_left == 92
    assert rules.flex.places_per_area * len(rules.areas) == 20
    assert [r.places for r in rules.free] == [10]
    assert rules.area_of("PL4 6AB") == "Plymouth" and rules.area_of("SW1A 1AA") is None


def test_fixed_takes_neighbourhood_crime_at_high_ogrs_with_the_values_that_met_it(
    example_env: Path,
) -> None:
    listing = _select([
        offender("P001", ogrs=80, offences=[("Theft from the person", 30, CHARGED)]),
        offender("P002", ogrs=60, offences=[("Burglary - residential", 30, CHARGED)]),
        offender("P003", ogrs=60, offences=[("Theft from the person", 30, CHARGED)]),
        offender("P004", ogrs=40, offences=[("Burglary - residential", 30, CHARGED)]),
        offender("P005", ogrs=95, offences=[("Shoplifting", 30, CHARGED)]),
    ])  # fmt: skip
    strands = _strands(listing)
    assert strands.get("P001") == "fixed" and strands.get("P002") == "fixed"
    assert strands.get("P003") != "fixed"  # theft from the person at medium OGRS: not fixed
    assert strands.get("P004") != "fixed" and strands.get("P005") != "fixed"
    reasons = _reasons(listing, "P001")
    assert "OGRS 80 [high] (probation)" in reasons
    assert "Theft from the person" in reasons and "(police_offences)" in reasons
    assert "burglary or robbery at medium OGRS: OGRS 60 [medium]" in _reasons(listing, "P002")
    first = next(c for c in listing.candidates if c.person_id == "P001")
    assert (first.lead_agency, first.offender_manager) == ("probation", "Sam Officer")


def test_fixed_excludes_three_months_or_less_left_and_sentences_it_does_not_take(
    example_env: Path,
) -> None:
    burglary = [("Burglary - residential", 20, CHARGED)]
    no_flex = _rules(flex__places_per_area=0)  # else flex would take them: listed only if not
    listing = _select([
        offender("P011", ogrs=85, ends_in_days=65, offences=burglary),
        offender("P012", ogrs=85, ends_in_days=93, offences=burglary),
        offender("P013", ogrs=85, sentence="Custody", offences=burglary),
        offender("P014", ogrs=85, ends_in_days=-10, offences=burglary),
    ], no_flex)  # fmt: skip
    strands = _strands(listing)
    assert strands.get("P012") == "fixed"
    assert _why(listing, "P011").startswith("2 months left on sentence")
    assert "Custody (probation) is not one the cohort takes" in _why(listing, "P013")
    assert _why(listing, "P014").startswith("sentence ended")
    assert {e.strand for e in listing.excluded} == {"fixed"}


def test_offences_outside_the_window_or_with_an_ignored_outcome_do_not_count(
    example_env: Path,
) -> None:
    listing = _select([
        offender("P021", ogrs=85, offences=[("Burglary - residential", 400, CHARGED)]),
        offender("P022", ogrs=85, offences=[("Burglary - residential", 10, "No further action")]),
        offender("P023", ogrs=85, offences=[("Burglary - residential", 364, CHARGED)]),
    ])  # fmt: skip
    assert _strands(listing) == {"P023": "fixed"}


def test_offences_link_through_the_pnc_when_the_nominal_is_unknown(example_env: Path) -> None:
    person = offender("P031", ogrs=85, offences=[("Robbery - personal", 10, CHARGED)])
    person.link_by_pnc = True
    listing = _select([person])
    assert _strands(listing) == {"P031": "fixed"}
    assert listing.offences_used == 1 and listing.offences_unlinked == 0


def test_a_value_no_agreement_gives_the_iom_team_is_not_read(example_env: Path) -> None:
    # OGRS said to come from housing: the IOM team's agreement gives OGRS from probation only.
    # Health data reaches the IOM team for the drugs and alcohol pathway only.
    burglary = [("Burglary - residential", 10, CHARGED)]
    listing = _select([
        offender("P041", ogrs=90, ogrs_from="housing", offences=burglary,
                 health_service=("Drug and alcohol", "health"),
                 treatment_status=("In treatment", "health"),
                 accommodation_status=("Hostel", "housing")),
        offender("P042", ogrs=90, offences=burglary,
                 health_service=("Community mental health", "health"),
                 treatment_status=("In treatment", "health")),
    ])  # fmt: skip
    strands = _strands(listing)
    assert strands.get("P041") == "flex" and strands.get("P042") == "fixed"
    assert "ogrs_score" in listing.withheld and "housing" in listing.withheld["ogrs_score"]
    substance = next(c for c in listing.candidates if c.person_id == "P041")
    assert substance.substance_treatment == "In treatment"
    assert substance.accommodation_status == "Hostel"
    assert substance.lead_agency == "probation"  # on a sentence: their offender manager leads
    mental_health = next(c for c in listing.candidates if c.person_id == "P042")
    assert mental_health.mental_health_service is None  # outside the agreement's conditions


def test_flex_ranks_the_most_harmful_per_area_with_weightings(example_env: Path) -> None:
    rules = _rules(flex__places_per_area=2)
    theft = ("Theft from the person", 10, CHARGED)  # weight 90
    burglary = ("Burglary - residential", 10, CHARGED)  # weight 400
    listing = _select([
        offender("P051", offences=[burglary], postcode="PL4 6AB"),  # 400
        offender("P052", offences=[theft, theft], postcode="PL4 6AB"),  # 180
        offender("P053", offences=[theft, theft], postcode="PL4 6AB", age=20),  # 180 x1.5 = 270
        offender("P054", offences=[theft], postcode="EX1 1AA"),  # 90, the only one in Devon
        offender("P055", offences=[burglary], postcode="SW1A 1AA"),  # outside every area
        offender("P056", ogrs=60, sex="female", offences=[theft], postcode="EX2 1AA",
                 sentence=None),  # 90 x1.5 (woman, medium OGRS) = 135
    ], rules)  # fmt: skip
    strands = _strands(listing)
    assert {p for p, s in strands.items() if s == "flex"} == {"P051", "P053", "P054", "P056"}
    assert "weighting young adult (18-24) x1.5: age 20 (police)" in _reasons(listing, "P053")
    assert "weighting woman at medium OGRS x1.5" in _reasons(listing, "P056")
    assert "Plymouth: ranked 2 of 3 for 2 places" in _reasons(listing, "P053")
    scores = {c.person_id: c.score for c in listing.candidates}
    assert scores["P053"] == 270 and scores["P056"] == 135
    assert _why(listing, "P055") == "no postcode in the scheme's areas"


def test_free_takes_the_most_harmful_da_perpetrators_not_already_placed(
    example_env: Path,
) -> None:
    rules = _rules(free=[{"name": "DA", "da_flag": True, "places": 2, "min_severity": 1}])
    assault = ("Assault with injury", 10, CHARGED)  # 170, not neighbourhood crime
    listing = _select([
        offender("P061", da=True, offences=[assault, assault]),
        offender("P062", da=True, offences=[assault]),
        offender("P063", da=True, offences=[("Shoplifting", 10, CHARGED)]),
        offender("P064", da=False, offences=[assault, assault, assault]),
        offender("P065", da=True, ogrs=90, offences=[("Burglary - residential", 5, CHARGED)]),
    ], rules)  # fmt: skip
    strands = _strands(listing)
    assert strands.get("P065") == "fixed"  # fixed comes first and takes no free place
    assert {p for p, s in strands.items() if s == "free"} == {"P061", "P062"}
    assert "DA flag Y (police)" in _reasons(listing, "P061")
    assert listing.counts() == {"fixed": 1, "flex": 0, "free": 2}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"flex": {"offence_group": "nope", "places_per_area": 1}}, "offence group(s) nope"),
        ({"ogrs_bands": {"low": {"min": 50, "max": 10}}}, "min 50 is above max 10"),
        ({"precedence": ["fixed", "fixed", "free"]}, "precedence must list"),
    ],
)
def test_wrong_rules_are_refused_naming_the_file_and_setting(
    tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    document = yaml.safe_load(EXAMPLE_RULES.read_text("utf-8")) | change
    path = tmp_path / "cohort.yaml"
    path.write_text(yaml.safe_dump(document))
    with pytest.raises(ConfigError, match="cohort rules") as raised:
        load_cohort_rules(path)
    assert message in str(raised.value) and str(path) in str(raised.value)


def test_severity_table_is_cited_and_covers_every_generated_offence_type() -> None:
    from hub.demo.synthetic.feeds.police import OFFENCES

    table = load_severity()
    assert "ONS Crime Severity Score" in table.source and table.indicative
    assert set(OFFENCES) <= set(table.weights)
    assert table.weight("Robbery - personal") > table.weight("Shoplifting")


def test_every_cohort_setting_is_documented() -> None:
    from hub.cohort.rules import FixedStrand, FlexStrand, FreeRule, Weighting

    text = (Path(__file__).resolve().parent.parent / "docs" / "cohort.md").read_text("utf-8")
    names = [f"`{name}" for name in CohortRules.model_fields]
    names += [f"`fixed.{name}`" for name in FixedStrand.model_fields]
    names += [f"`flex.{name}`" for name in FlexStrand.model_fields]
    names += [f"`{name}`" for name in (*FreeRule.model_fields, *Weighting.model_fields)
              if name != "name"]  # fmt: skip
    assert [name for name in names if name not in text] == []
