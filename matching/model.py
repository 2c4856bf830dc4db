"""The linkage model: comparisons, blocking rules, thresholds, and the versioned model file.

Comparisons are written as Splink comparison levels in DuckDB's SQL (marked as such, so Splink
can translate them for another engine). Levels run from strongest agreement to "all other", and
every level's m and u probabilities are estimated by :mod:`matching.train`.

A model file is one JSON document::

    {"format": "iomhub-match-model/1", "version": "...", "trained_at": "...",
     "matches_per_record": 0.42, "link_weight": 12.0, "review_weight": 4.0,
     "training": {...}, "splink": {<Splink settings with m and u>}}

The prior (Splink's probability that two random records match) is not fixed in the file: it is
``matches_per_record / (records - 1)`` for the records of each run, so a model trained on one
size of data keeps its meaning on another.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from matching.errors import ModelError
from matching.relations import (
    middle_name,
    names_swapped,
    near_spelling,
    nickname,
    rare_variant,
    short_form,
    suffixed,
)

MODEL_FORMAT = "iomhub-match-model/1"
DEFAULT_MODEL_VERSION = "2026.12.2"
DEFAULT_LINK_WEIGHT = 1.0
DEFAULT_REVIEW_WEIGHT = -1.0

_DIALECT = "duckdb"


def _level(sql: str, label: str, **options: Any) -> dict[str, Any]:
    return {"sql_condition": sql, "label_for_charts": label, "base_dialect_str": _DIALECT,
            **options}  # fmt: skip


def _null(*columns: str) -> dict[str, Any]:
    condition = " OR ".join(f"{c}_l IS NULL OR {c}_r IS NULL" for c in columns)
    return _level(condition, "missing on either side", is_null_level=True)


def _exact(column: str, label: str, *, tf: bool = False) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if tf:
        options = {"tf_adjustment_column": column, "tf_adjustment_weight": 1.0}
    return _level(f"{column}_l = {column}_r", label, **options)


SWAPPED_LABEL = "forename and surname swapped"


def _swapped(column: str) -> dict[str, Any]:
    """The swapped-names level, frequency-adjusted like the exact level: training gives it the
    exact level's m and u (see :mod:`matching.train`), so ``HUGHES, Paul`` and ``Paul Hughes``
    weigh what the same common name weighs, not more."""
    return _level(names_swapped(suffixed), SWAPPED_LABEL, tf_adjustment_column=column,
                  tf_adjustment_weight=1.0)  # fmt: skip


def _identifier(column: str, name: str) -> dict[str, Any]:
    return {
        "output_column_name": column,
        "comparison_description": f"{name} (canonical, valid only)",
        "comparison_levels": [_null(column), _exact(column, f"same {name}"),
                              _level("ELSE", f"different {name}")],
    }  # fmt: skip


IDENTIFIER_COMPARISONS: tuple[str, ...] = ("pnc", "cro", "nhs", "crn", "nomis")


FIRST_OF_JANUARY = (
    "dob_full_l IS NULL OR dob_full_r IS NULL OR strftime(dob_full_l, '%m%d') = '0101' "
    "OR strftime(dob_full_r, '%m%d') = '0101'"
)
"""One side gives the year only, or may: a 1 January date that agrees exactly is a date of
birth (the level before), one that does not is read as the year alone."""


def comparisons() -> list[dict[str, Any]]:
    """The model's comparisons, strongest level first within each."""
    c = suffixed
    forename = {
        "output_column_name": "forename",
        "comparison_description": "first forename, standardised, with nicknames",
        "comparison_levels": [
            _null("forename_std"),
            _exact("forename_std", "same forename", tf=True),
            _level(nickname(c), "nickname or short form of the same name"),
            _swapped("forename_std"),
            _level(rare_variant(c, "forename"), "a rare misspelling of the other forename"),
            _level(near_spelling(c, "forename"), "forename spelt slightly differently"),
            _level(short_form(c), "one forename starts with the other"),
            _level(middle_name(c), "forename is the other's middle name"),
            _level("(length(forename_std_l) = 1 OR length(forename_std_r) = 1) AND "
                   "left(forename_std_l, 1) = left(forename_std_r, 1)", "initial agrees"),
            _level("ELSE", "different forename"),
        ],
    }  # fmt: skip
    surname = {
        "output_column_name": "surname",
        "comparison_description": "surname, standardised (hyphens, apostrophes, case)",
        "comparison_levels": [
            _null("surname_std"),
            _exact("surname_std", "same surname", tf=True),
            _swapped("surname_std"),
            _level(rare_variant(c, "surname"), "a rare misspelling of the other surname"),
            _level(near_spelling(c, "surname"), "surname spelt slightly differently"),
            _level("list_has_any(surname_parts_l, surname_parts_r)",
                   "one part of a double-barrelled surname agrees"),
            _level("sex_any_l = 'f' AND sex_any_r = 'f'",
                   "different surname, both women (a name changed by marriage?)"),
            _level("ELSE", "different surname"),
        ],
    }  # fmt: skip
    both_full = "dob_full_l IS NOT NULL AND dob_full_r IS NOT NULL"
    date_of_birth = {
        "output_column_name": "date_of_birth",
        "comparison_description": "date of birth; 1 January read as year only",
        "comparison_levels": [
            _null("dob"),
            _exact("dob_full", "same date of birth", tf=True),
            _level(f"({FIRST_OF_JANUARY}) AND birth_year_l = birth_year_r",
                   "same year of birth (one side gives the year only)"),
            _level(f"{both_full} AND birth_year_l = birth_year_r AND "
                   "month(dob_full_l) = day(dob_full_r) AND day(dob_full_l) = month(dob_full_r)",
                   "day and month swapped"),
            _level(f"{both_full} AND abs(date_diff('day', dob_full_l, dob_full_r)) <= 1",
                   "one day apart"),
            _level(f"{both_full} AND damerau_levenshtein(dob_text_l, dob_text_r) <= 1",
                   "one digit different or two digits transposed"),
            _level(f"{both_full} AND month(dob_full_l) = month(dob_full_r) AND "
                   "day(dob_full_l) = day(dob_full_r) AND abs(birth_year_l - birth_year_r) = 1",
                   "one year apart"),
            _level(f"{both_full} AND ((birth_year_l = birth_year_r AND "
                   "(month(dob_full_l) = month(dob_full_r) OR day(dob_full_l) = day(dob_full_r)))"
                   " OR (abs(birth_year_l - birth_year_r) = 1 AND "
                   "month(dob_full_l) = day(dob_full_r) AND day(dob_full_l) = month(dob_full_r)))",
                   "same year and month or day; or swapped and a year apart"),
            _level("ELSE", "different date of birth"),
        ],
    }  # fmt: skip
    postcode = {
        "output_column_name": "postcode",
        "comparison_description": "postcode (canonical; no-fixed-abode placeholders are missing)",
        "comparison_levels": [
            _null("postcode_std"),
            _exact("postcode_std", "same postcode", tf=True),
            _exact("postcode_sector", "same postcode sector"),
            _exact("postcode_district", "same postcode district"),
            _level("ELSE", "different postcode area"),
        ],
    }  # fmt: skip
    sex = {
        "output_column_name": "sex",
        "comparison_description": "recorded sex (not known and not specified are missing)",
        "comparison_levels": [_null("sex_std"), _exact("sex_std", "same sex"),
                              _level("ELSE", "different sex")],
    }  # fmt: skip
    return [
        forename, surname, date_of_birth, postcode, sex,
        _identifier("pnc", "PNC ID"), _identifier("cro", "CRO number"),
        _identifier("nhs", "NHS number"), _identifier("crn", "probation case number"),
        _identifier("nomis", "prison number"),
    ]  # fmt: skip


BLOCKING_RULES: tuple[str, ...] = (
    "l.pnc = r.pnc",
    "l.nhs = r.nhs",
    "l.cro = r.cro",
    "l.crn = r.crn",
    "l.nomis = r.nomis",
    "l.dob = r.dob AND l.surname_std = r.surname_std",
    "l.dob = r.dob AND l.forename_roots[1] = r.forename_roots[1]",
    "l.dob = r.dob AND l.postcode_std = r.postcode_std",
    "l.name_key = r.name_key AND l.birth_year = r.birth_year",
    "l.surname_std = r.surname_std AND l.postcode_std = r.postcode_std",
    "l.forename_roots[1] = r.forename_roots[1] AND l.postcode_std = r.postcode_std",
    "l.name_key = r.name_key AND l.birth_day = r.birth_day",
    "l.dob = r.dob AND l.forename_std = r.surname_std",
    "l.dob = r.dob AND l.surname_std = r.forename_std",
    "l.rare_name_key = r.rare_name_key",
    "l.name_key = r.name_key AND l.postcode_district = r.postcode_district",
    "l.postcode_std = r.postcode_std AND l.birth_day = r.birth_day",
    "l.dob = r.dob AND left(l.forename_std, 1) = left(r.surname_std, 1) "
    "AND left(l.surname_std, 1) = left(r.forename_std, 1)",
)
"""Rules generating the candidate pairs (a pair is scored once, by the first rule that finds it).

Chosen with Splink's blocking analysis on the project's synthetic partners (see
``docs/matching.md``): identifiers first; then date of birth with surname, forename or postcode;
the order-free name with year of birth (swapped names, day/month errors); and name with
postcode for records without a usable date of birth; then the pairs real extracts add: the
same name with a date a year or a digit out in the year (same month and day), names swapped
with a typo in one of them (same date of birth), and records without a date of birth: a rare
name alone, or any name within one postcode district; last, records whose names differ in
both parts: at one postcode with the same day and month of birth (the year a slip out), and
names swapped with typos in both (same date of birth, the swapped initials agree).
"""


def settings(probability_two_random_records_match: float = 1e-5) -> dict[str, Any]:
    """Splink settings for the model, untrained."""
    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": "unique_id",
        "probability_two_random_records_match": probability_two_random_records_match,
        "comparisons": comparisons(),
        "blocking_rules_to_generate_predictions": [
            {"blocking_rule": rule, "sql_dialect": _DIALECT} for rule in BLOCKING_RULES
        ],
        "retain_matching_columns": True,
        "retain_intermediate_calculation_columns": False,
        "additional_columns_to_retain": [],
        "em_convergence": 0.001,
        "max_iterations": 25,
    }


@dataclass(frozen=True)
class MatchModel:
    """A trained model: Splink settings with m/u, plus the hub's thresholds and metadata."""

    version: str
    splink: dict[str, Any]
    matches_per_record: float
    link_weight: float = DEFAULT_LINK_WEIGHT
    review_weight: float = DEFAULT_REVIEW_WEIGHT
    trained_at: str | None = None
    training: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    @property
    def blocking_rules(self) -> list[str]:
        """The SQL of the blocking rules that make the candidate pairs, in order."""
        rules = self.splink["blocking_rules_to_generate_predictions"]
        return [rule["blocking_rule"] if isinstance(rule, dict) else str(rule) for rule in rules]

    def splink_settings(self, records: int) -> dict[str, Any]:
        """Splink settings for a run over ``records`` records (the prior scaled to them)."""
        result = copy.deepcopy(self.splink)
        result["probability_two_random_records_match"] = prior_for(self.matches_per_record, records)
        result["linker_uid"] = None
        return result

    def as_document(self) -> dict[str, Any]:
        """The JSON document of the model file."""
        return {
            "format": MODEL_FORMAT, "version": self.version, "trained_at": self.trained_at,
            "matches_per_record": self.matches_per_record, "link_weight": self.link_weight,
            "review_weight": self.review_weight, "training": self.training,
            "splink": self.splink,
        }  # fmt: skip

    def save(self, path: Path) -> Path:
        """Write the model file (compact, sorted keys) and return its path."""
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(self.as_document(), indent=1, sort_keys=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(text + "\n", encoding="utf-8")
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: Path) -> MatchModel:
        """Read a model file; ModelError when it is missing or not a model."""
        try:
            document = json.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError as error:
            raise ModelError(
                f"model file not found: {path}",
                hint="run 'iomhub match train' or unset matching.model",
            ) from error
        except (OSError, ValueError) as error:
            raise ModelError(f"model file {path} cannot be read: {error}") from error
        return cls.from_document(document, path=Path(path))

    @classmethod
    def from_document(cls, document: dict[str, Any], *, path: Path | None = None) -> MatchModel:
        """Build a model from its JSON document."""
        if not isinstance(document, dict) or document.get("format") != MODEL_FORMAT:
            raise ModelError(f"{path or 'model'}: not a hub model file (format {MODEL_FORMAT})")
        try:
            return cls(
                version=str(document["version"]), splink=document["splink"],
                matches_per_record=float(document["matches_per_record"]),
                link_weight=float(document.get("link_weight", DEFAULT_LINK_WEIGHT)),
                review_weight=float(document.get("review_weight", DEFAULT_REVIEW_WEIGHT)),
                trained_at=document.get("trained_at"), training=document.get("training", {}),
                path=path,
            )  # fmt: skip
        except (KeyError, TypeError, ValueError) as error:
            raise ModelError(f"{path or 'model'}: incomplete model file ({error})") from error


def prior_for(matches_per_record: float, records: int) -> float:
    """Probability that two random records match, for ``records`` records."""
    if records < 2:
        return 0.5
    return min(0.5, max(matches_per_record, 1e-6) / (records - 1))


def default_model_path() -> Path:
    """The model shipped with the hub."""
    return Path(
        str(resources.files("matching") / "models" / f"default-{DEFAULT_MODEL_VERSION}.json")
    )
