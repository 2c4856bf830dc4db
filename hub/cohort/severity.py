"""Crime severity: the weight of each offence type, from a published index shipped as data.

``crime_severity.yaml`` (beside this module) holds the weights, their source and year, and
whether they are indicative; a scheme may name its own file. A person's severity is the sum of
the weights of their counted offences (:mod:`hub.cohort.inputs`).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from hub.cohort.rules import load_yaml_model

SHIPPED = Path(__file__).resolve().parent / "crime_severity.yaml"


class SeverityTable(BaseModel):
    """Offence type (Home Office description) -> weight, with where the weights come from."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str = Field(min_length=1)
    year: int
    indicative: bool
    default_weight: float = Field(ge=0)
    weights: dict[str, float] = Field(min_length=1)

    def weight(self, offence_type: str | None) -> float:
        """The weight of one offence of ``offence_type``."""
        if offence_type is None:
            return self.default_weight
        return self.weights.get(offence_type, self.default_weight)

    @property
    def citation(self) -> str:
        """``source, year`` and whether indicative, for reports."""
        return f"{self.source}, {self.year}" + (" (indicative)" if self.indicative else "")


def load_severity(path: Path = SHIPPED) -> SeverityTable:
    """Read a severity table; ConfigError naming the file if it is wrong."""
    return load_yaml_model(path, SeverityTable, "severity table")
