"""A scheme's cohort rules, as configuration: the ``cohort.yaml`` a data officer writes.

The three strands of the 2021 Home Office IOM strategy, each a list of rules over the person
view and the offences feed: *fixed* (neighbourhood crime at high OGRS, burglary and robbery also
at medium; on a community order or licence with more than a set time left), *flex* (the most
harmful suspects by crime severity, per area, with weightings for age, sex and OGRS) and *free*
(other local priorities, such as high-harm domestic abuse perpetrators). Another scheme changes
the file, not the code. Errors name the file and the setting.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from hub.config import describe_validation_error, read_yaml
from schemas.errors import ConfigError

M = TypeVar("M", bound=BaseModel)
Strand = Literal["fixed", "flex", "free"]
STRANDS: tuple[Strand, ...] = ("fixed", "flex", "free")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Band(_Strict):
    """An inclusive range of whole numbers (an OGRS band, an age range)."""

    min: int = Field(ge=0)
    max: int = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Band:
        if self.min > self.max:
            raise ValueError(f"min {self.min} is above max {self.max}")
        return self

    def holds(self, value: int) -> bool:
        """Whether ``value`` is in the band."""
        return self.min <= value <= self.max

    def __str__(self) -> str:
        return f"{self.min}-{self.max}"


class Area(_Strict):
    """A part of the scheme's patch, by postcode districts (outward codes)."""

    name: str = Field(min_length=1)
    postcode_districts: list[str] = Field(min_length=1)


class FixedRule(_Strict):
    """An offence group at some OGRS bands."""

    name: str = Field(min_length=1)
    offence_group: str
    ogrs_bands: list[str] = Field(min_length=1)


class FixedStrand(_Strict):
    """Fixed: neighbourhood-crime offenders under probation supervision, by OGRS."""

    rules: list[FixedRule] = Field(min_length=1)
    sentence_types: list[str] = Field(
        min_length=1, description="Sentences the cohort takes (community orders and licences)."
    )
    min_days_left: int = Field(
        92, ge=0, description="Fewer days left on the sentence than this excludes (3 months)."
    )


class Weighting(_Strict):
    """A multiplier on a flex score for people who meet every condition given."""

    name: str = Field(min_length=1)
    weight: float = Field(gt=0)
    age: Band | None = None
    sex: Literal["male", "female"] | None = None
    ogrs_bands: list[str] | None = None

    @model_validator(mode="after")
    def _has_a_condition(self) -> Weighting:
        if self.age is None and self.sex is None and self.ogrs_bands is None:
            raise ValueError(f"weighting {self.name!r} names no condition (age, sex, ogrs_bands)")
        return self


class FlexStrand(_Strict):
    """Flex: the most harmful suspects of an offence group by crime severity, per area."""

    offence_group: str
    places_per_area: int = Field(ge=0, description="How many people each area puts forward.")
    min_severity: float = Field(0, ge=0, description="A lower weighted severity is not ranked.")
    weightings: list[Weighting] = Field(default_factory=list)


class FreeRule(_Strict):
    """Free: a local priority, ranked by crime severity."""

    name: str = Field(min_length=1)
    places: int = Field(ge=0)
    da_flag: bool | None = Field(None, description="Only people with (or without) the DA flag.")
    offence_group: str | None = Field(None, description="Severity counted on this group only.")
    min_severity: float = Field(0, ge=0)


class Panel(_Strict):
    """The panel's decision-makers by agency (their operator names, ``IOMHUB_ACTOR``)."""

    police: list[str] = Field(min_length=1)
    probation: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_agency_each(self) -> Panel:
        both = sorted(set(self.police) & set(self.probation))
        if both:
            raise ValueError(f"{', '.join(both)} listed for both police and probation")
        return self

    def agency_of(self, actor: str) -> Literal["police", "probation"] | None:
        """The agency ``actor`` decides for, if a decision-maker."""
        if actor in self.police:
            return "police"
        if actor in self.probation:
            return "probation"
        return None


class PerformanceSettings(_Strict):
    """How the scheme's performance is measured (``iomhub cohort performance``)."""

    proven_outcomes: list[str] = Field(
        default_factory=lambda: ["Charged", "Cautioned"],
        description="Offence outcomes taken as proven (the hub holds no court conviction dates).",
    )
    follow_up_months: int = Field(12, gt=0, description="Reoffending follow-up from entry.")
    waiting_months: int = Field(
        6, ge=0, description="Waiting period after the follow-up for offences to be proven."
    )
    suppress_below: int = Field(
        5, ge=1, description="Counts from 1 up to this (exclusive) are suppressed in outputs."
    )
    recipient: str = Field(
        "performance", description="The recipient whose pseudonyms the performance CSV uses."
    )


class CohortRules(_Strict):
    """The whole ``cohort.yaml``."""

    scheme: str = Field(min_length=1, description="The scheme the rules are for.")
    acting_for: str = Field(
        min_length=1,
        description="The recipient whose agreements decide which values the rules may read.",
    )
    nominal_feed: str = Field(
        "police", description="The person feed whose record ids the offences' nominal_id names."
    )
    offence_window_days: int = Field(
        365, gt=0, description="Offences older than this (by offence date) are not counted."
    )
    ignore_outcomes: list[str] = Field(
        default_factory=list, description="Offence outcomes not counted (e.g. No further action)."
    )
    offence_groups: dict[str, list[str]] = Field(min_length=1)
    ogrs_bands: dict[str, Band] = Field(min_length=1)
    areas: list[Area] = Field(min_length=1)
    precedence: list[Strand] = Field(
        default_factory=lambda: list(STRANDS),
        description="A person meeting rules of two strands is put in the first listed.",
    )
    panel: Panel | None = Field(
        None, description="Who decides: one police and one probation decision-maker each time."
    )
    fixed: FixedStrand
    flex: FlexStrand
    free: list[FreeRule] = Field(default_factory=list)
    performance: PerformanceSettings = Field(default_factory=PerformanceSettings)

    @model_validator(mode="after")
    def _names_resolve(self) -> CohortRules:
        groups = set(self.offence_groups)
        used = [r.offence_group for r in self.fixed.rules] + [self.flex.offence_group]
        used += [r.offence_group for r in self.free if r.offence_group]
        unknown = sorted(set(used) - groups)
        if unknown:
            raise ValueError(f"offence group(s) {', '.join(unknown)} not in offence_groups")
        bands = [b for r in self.fixed.rules for b in r.ogrs_bands]
        bands += [b for w in self.flex.weightings for b in w.ogrs_bands or []]
        unknown = sorted(set(bands) - set(self.ogrs_bands))
        if unknown:
            raise ValueError(f"OGRS band(s) {', '.join(unknown)} not in ogrs_bands")
        if sorted(self.precedence) != sorted(STRANDS):
            raise ValueError(f"precedence must list each of {', '.join(STRANDS)} once")
        districts = [d for area in self.areas for d in area.postcode_districts]
        twice = sorted({d for d in districts if districts.count(d) > 1})
        if twice:
            raise ValueError(f"postcode district(s) {', '.join(twice)} in more than one area")
        return self

    def band_of(self, ogrs: int) -> str | None:
        """The name of the OGRS band ``ogrs`` falls in."""
        return next((name for name, band in self.ogrs_bands.items() if band.holds(ogrs)), None)

    def area_of(self, postcode: str | None) -> str | None:
        """The area a canonical postcode's district belongs to."""
        if not postcode:
            return None
        district = postcode.split(" ")[0]
        return next((a.name for a in self.areas if district in a.postcode_districts), None)

    def window_start(self, today: datetime.date) -> datetime.date:
        """The first offence date counted."""
        return today - datetime.timedelta(days=self.offence_window_days)


def load_yaml_model(
    path: Path, model: type[M], what: str, environment: Mapping[str, str] | None = None
) -> M:
    """Read ``path`` and validate it as ``model``; ConfigError naming the file and setting."""
    document = read_yaml(path, environment or {})
    try:
        return model.model_validate(document)
    except ValidationError as error:
        raise ConfigError(
            describe_validation_error(error, model, where=f"{path}: {what}"), file=str(path)
        ) from error


def load_cohort_rules(path: Path, environment: Mapping[str, str] | None = None) -> CohortRules:
    """Read and validate ``cohort.yaml``."""
    return load_yaml_model(path, CohortRules, "cohort rules", environment)
