"""Standardisation: canonical person records -> the frame the model compares.

One SQL statement, columnar, over every current extract at once. What it does, and why:

- names: lower case, accents and apostrophes removed (``O'Brien`` -> ``obrien``), hyphens and
  other punctuation as word breaks, titles dropped; the first forename token is the forename,
  the rest join the middle names; the surname's tokens are joined (``Smith-Jones`` ->
  ``smithjones``) and also kept apart for partial (double-barrelled) agreement;
- nicknames: each forename carries the set of formal names it may stand for
  (:mod:`matching.nicknames`), so ``Bill`` and ``William`` agree and ``Chris`` agrees with both
  ``Christopher`` and ``Christine`` while those two do not agree with each other;
- swapped names: an order-free name key lets blocking find ``SMITH, John`` written as
  ``Smith John``;
- rarity: how many records carry each forename and surname, and whether the forename is a known
  name, so that a rare spelling one or two letters from a common name reads as a typo of it
  (``Jqmes``, ``Motgan``) while two common names a letter apart (``Tom`` and ``Tim``, ``Hall``
  and ``Hill``) read as different names;
- dates of birth: a ``01/01`` date is treated as "year only" (``dob_full`` null, ``birth_year``
  kept), implausible years (before 1910 or in the future) as missing;
- postcodes and identifiers: only the canonical forms, which ingest sets only for values that
  pass their check (placeholders such as ``NF1 1NF`` are already null), are evidence.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from matching.engine import Engine
from matching.nicknames import nickname_pairs

if TYPE_CHECKING:
    import pyarrow as pa

ESTABLISHED_MIN = 20
ESTABLISHED_SHARE = 5000
"""A name is *known* when it is in the nickname table or carried by at least
max(ESTABLISHED_MIN, records / ESTABLISHED_SHARE) records: an established name, not a typo."""
ADDRESS_PLACEHOLDERS = r"^\s*(no fixed (abode|address)|nfa|unknown|not known|rough sleep\w*)\s*$"
"""Addresses that say there is none."""
TITLES = ("mr", "mrs", "ms", "miss", "mx", "dr", "sir", "rev", "prof")
SUFFIXES = ("jr", "jnr", "junior", "sr", "snr", "senior", "ii", "iii")

FRAME_COLUMNS: tuple[str, ...] = (
    "unique_id", "source", "source_record_id", "extract_id",
    "forename_std", "forename_roots", "forename_known", "forename_freq", "middle_std",
    "surname_std", "surname_parts", "surname_roots", "surname_freq", "surname_known",
    "name_key",
    "dob", "dob_full", "dob_text", "birth_year", "sex_std",
    "postcode_std", "postcode_sector", "postcode_district", "address_key",
    "pnc", "cro", "nhs", "crn", "nomis",
)  # fmt: skip
"""Columns of the standardised frame, in order."""


def _clean(expr: str) -> str:
    """Lower-case letters and single spaces; apostrophes removed, other marks as spaces."""
    no_marks = f"regexp_replace(lower(strip_accents(coalesce({expr}, ''))), '[''`’‘]', '', 'g')"
    return f"trim(regexp_replace({no_marks}, '[^a-z]+', ' ', 'g'))"


def _tokens(expr: str, drop: tuple[str, ...]) -> str:
    dropped = ", ".join(f"'{word}'" for word in drop)
    return (
        f"list_filter(string_split({_clean(expr)}, ' '), "
        f"lambda t: t <> '' AND t NOT IN ({dropped}))"
    )


def nickname_table() -> pa.Table:
    """The nickname table as Arrow: one row per name with the sorted list of its roots."""
    import pyarrow as pa

    roots: dict[str, list[str]] = {}
    for name, root in nickname_pairs():
        roots.setdefault(name, []).append(root)
    names = sorted(roots)
    return pa.table(
        {"name": names, "roots": [sorted(roots[n]) for n in names]},
        schema=pa.schema([("name", pa.string()), ("roots", pa.list_(pa.string()))]),
    )


def standardise_sql(records: str, nicknames: str) -> str:
    """SQL turning the canonical records table ``records`` into the comparison frame.

    ``nicknames`` is a table of (name, roots) as built by :func:`nickname_table`.
    ``unique_id`` numbers records in (source, source_record_id) order, so a run is repeatable.
    """
    forename_tokens = _tokens("forename", TITLES)
    middle_tokens = _tokens("middle_names", TITLES)
    surname_tokens = _tokens("surname", SUFFIXES)
    dob = (
        "CASE WHEN date_of_birth >= DATE '1910-01-01' AND date_of_birth <= current_date "
        "THEN date_of_birth END"
    )
    return f"""
WITH tokens AS (
    SELECT
        source, source_record_id, extract_id,
        {forename_tokens} AS fn_tokens,
        {middle_tokens} AS mid_tokens,
        {surname_tokens} AS sn_tokens,
        {dob} AS dob,
        CASE sex WHEN 'male' THEN 'm' WHEN 'female' THEN 'f' END AS sex_std,
        postcode_canonical AS postcode_std,
        CASE WHEN NOT regexp_matches(lower(coalesce(address, '')), '{ADDRESS_PLACEHOLDERS}')
             THEN nullif(trim(regexp_replace(lower(split_part(coalesce(address, ''), ',', 1)),
                  '[^a-z0-9]+', ' ', 'g')), '') END AS address_key,
        pnc_id_canonical AS pnc, cro_number_canonical AS cro, nhs_number_canonical AS nhs,
        crn_canonical AS crn, nomis_number_canonical AS nomis
    FROM {records}
),
named AS (
    SELECT *,
        nullif(fn_tokens[1], '') AS forename_std,
        nullif(array_to_string(sn_tokens, ''), '') AS surname_std
    FROM tokens
),
counted AS (
    SELECT named.*, nick.roots AS nick_roots, nick.name IS NOT NULL AS in_table,
        sn_nick.roots AS surname_nick_roots,
        count(*) OVER (PARTITION BY forename_std) AS fn_count,
        count(*) OVER (PARTITION BY surname_std) AS sn_count,
        greatest({ESTABLISHED_MIN}, count(*) OVER () / {ESTABLISHED_SHARE}) AS established
    FROM named
    LEFT JOIN {nicknames} AS nick ON nick.name = named.forename_std
    LEFT JOIN {nicknames} AS sn_nick ON sn_nick.name = named.surname_std
)
SELECT
    CAST(row_number() OVER (ORDER BY source, source_record_id) AS BIGINT) AS unique_id,
    source, source_record_id, extract_id,
    forename_std,
    CASE WHEN forename_std IS NOT NULL THEN coalesce(nick_roots, [forename_std]) END
        AS forename_roots,
    in_table OR fn_count >= established AS forename_known,
    CASE WHEN forename_std IS NOT NULL THEN fn_count END AS forename_freq,
    list_concat(fn_tokens[2:], mid_tokens) AS middle_std,
    surname_std,
    list_filter(sn_tokens, lambda t: length(t) >= 2) AS surname_parts,
    CASE WHEN surname_std IS NOT NULL THEN coalesce(surname_nick_roots, [surname_std]) END
        AS surname_roots,
    CASE WHEN surname_std IS NOT NULL THEN sn_count END AS surname_freq,
    sn_count >= established AS surname_known,
    CASE WHEN forename_std IS NOT NULL AND surname_std IS NOT NULL
         THEN least(forename_std, surname_std) || ' ' || greatest(forename_std, surname_std)
    END AS name_key,
    dob,
    CASE WHEN NOT (month(dob) = 1 AND day(dob) = 1) THEN dob END AS dob_full,
    CASE WHEN NOT (month(dob) = 1 AND day(dob) = 1) THEN strftime(dob, '%Y%m%d') END
        AS dob_text,
    year(dob) AS birth_year,
    sex_std,
    postcode_std,
    CASE WHEN postcode_std IS NOT NULL
         THEN split_part(postcode_std, ' ', 1) || ' ' || left(split_part(postcode_std, ' ', 2), 1)
    END AS postcode_sector,
    split_part(postcode_std, ' ', 1) AS postcode_district,
    address_key,
    pnc, cro, nhs, crn, nomis
FROM counted
"""


def build_frame(engine: Engine, staging_files: Sequence[Path]) -> int:
    """Load canonical staging files into ``records`` and standardise them into ``frame``.

    Returns the number of records.
    """
    engine.load_parquet("records", staging_files)
    engine.register_arrow("nicknames", nickname_table())
    engine.create_table("frame", engine.translate(standardise_sql("records", "nicknames")))
    return int(engine.scalar("SELECT count(*) FROM frame"))
