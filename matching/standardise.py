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
  ``Smith John``; the key is repeated as ``rare_name_key`` only where at most
  ``RARE_NAME_RECORDS`` records carry it, so records with nothing but a rare name in common
  are compared at a bounded cost (a common name alone is no evidence anyway);
- day of birth: ``birth_day`` (month and day) lets blocking find a date a year out;
- rarity: how many records carry each forename and surname, and whether the forename is a known
  name, so that a rare spelling one or two letters from a common name reads as a typo of it
  (``Jqmes``, ``Motgan``) while two common names a letter apart (``Tom`` and ``Tim``, ``Hall``
  and ``Hill``) read as different names; a forename that reads as a typo also carries the
  formal names of the name it is a typo of (``Willam`` agrees with ``Billy``);
- dates of birth: a ``01/01`` date is treated as "year only" (``dob_full`` null, ``birth_year``
  kept) only in a feed whose dates say it writes the year alone so: one where ``01/01`` is at
  least ``YEAR_ONLY_SHARE`` of the dates (about three times the share of real 1 January
  births); elsewhere a 1 January birth keeps its full date as evidence. Implausible years
  (before 1910 or in the future) are missing;
- sex: as recorded (male, female; not known and not specified are missing), and ``sex_any``:
  the recorded sex, else the sex the forename implies across the records that give one (a
  housing record of ``Sophie`` is taken as a woman's: surnames change by marriage);
- postcodes and identifiers: only the canonical forms, which ingest sets only for values that
  pass their check (placeholders such as ``NF1 1NF`` are already null), are evidence.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from matching.engine import Engine
from matching.nicknames import nickname_pairs
from matching.relations import TYPO_RATIO

if TYPE_CHECKING:
    import pyarrow as pa

NAME_SEX_MIN = 5
NAME_SEX_SHARE = 0.9
"""A forename implies a sex when at least NAME_SEX_MIN records with it record one, and at least
NAME_SEX_SHARE of them the same one (used only where a record gives no sex)."""
ESTABLISHED_MIN = 20
ESTABLISHED_SHARE = 5000
"""A name is *known* when it is in the nickname table or carried by at least
max(ESTABLISHED_MIN, records / ESTABLISHED_SHARE) records: an established name, not a typo."""
ADDRESS_PLACEHOLDERS = r"^\s*(no fixed (abode|address)|nfa|unknown|not known|rough sleep\w*)\s*$"
"""Addresses that say there is none."""
YEAR_ONLY_SHARE = 3 / 365
"""A feed writes a year-only date of birth as 01/01 when at least this share of its dates are."""
RARE_NAME_RECORDS = 8
"""A name key carried by at most this many records is rare enough to block on alone."""
TITLES = ("mr", "mrs", "ms", "miss", "mx", "dr", "sir", "rev", "prof")
SUFFIXES = ("jr", "jnr", "junior", "sr", "snr", "senior", "ii", "iii")

FRAME_COLUMNS: tuple[str, ...] = (
    "unique_id", "source", "source_record_id", "extract_id",
    "forename_std", "forename_roots", "forename_known", "forename_freq", "middle_std",
    "surname_std", "surname_parts", "surname_roots", "surname_freq", "surname_known",
    "name_key", "rare_name_key",
    "dob", "dob_full", "dob_text", "birth_year", "birth_day", "sex_std", "sex_any",
    "postcode_std", "postcode_sector", "postcode_district", "address_key",
    "pnc", "cro", "nhs", "crn", "nomis",
)  # fmt: skip
"""Columns of the standardised frame, in order."""
NOT_COMPARED: tuple[str, ...] = (
    "source", "source_record_id", "extract_id", "name_key", "rare_name_key", "birth_day",
    "address_key",
)  # fmt: skip
"""Frame columns no comparison reads: where a record came from, the keys only blocking reads
(the candidate pairs are made from the whole frame, :mod:`matching.blocking`), the address key
the nightly run compares."""
COMPARED_COLUMNS_SQL = ", ".join(c for c in FRAME_COLUMNS if c not in NOT_COMPARED)
"""The frame columns scoring reads: the records it copies for its joins hold only these."""


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


def tokens_sql(records: str) -> str:
    """First step: each canonical record of ``records`` split into cleaned name tokens,
    with its date of birth, sex, postcode, address key (worked out once per distinct address)
    and canonical identifiers."""
    forename_tokens = _tokens("forename", TITLES)
    middle_tokens = _tokens("middle_names", TITLES)
    surname_tokens = _tokens("surname", SUFFIXES)
    dob = (
        "CASE WHEN date_of_birth >= DATE '1910-01-01' AND date_of_birth <= current_date "
        "THEN date_of_birth END"
    )
    return f"""
WITH address_keys AS (
    SELECT address,
        CASE WHEN NOT regexp_matches(lower(address), '{ADDRESS_PLACEHOLDERS}')
             THEN nullif(trim(regexp_replace(lower(split_part(address, ',', 1)),
                  '[^a-z0-9]+', ' ', 'g')), '') END AS address_key
    FROM (SELECT DISTINCT address FROM {records} WHERE address IS NOT NULL)
),
tokens AS (
    SELECT
        source, source_record_id, extract_id,
        {forename_tokens} AS fn_tokens,
        {middle_tokens} AS mid_tokens,
        {surname_tokens} AS sn_tokens,
        {dob} AS dob,
        CASE sex WHEN 'male' THEN 'm' WHEN 'female' THEN 'f' END AS sex_std,
        postcode_canonical AS postcode_std,
        address_key,
        pnc_id_canonical AS pnc, cro_number_canonical AS cro, nhs_number_canonical AS nhs,
        crn_canonical AS crn, nomis_number_canonical AS nomis
    FROM {records} LEFT JOIN address_keys USING (address)
),
named AS (
    SELECT *,
        nullif(fn_tokens[1], '') AS forename_std,
        nullif(array_to_string(sn_tokens, ''), '') AS surname_std
    FROM tokens
)
SELECT * FROM named
"""


def standardise_sql(tokens: str, nicknames: str) -> str:
    """Second step: the comparison frame from the ``tokens`` table of :func:`tokens_sql`.

    ``nicknames`` is a table of (name, roots) as built by :func:`nickname_table`.
    ``unique_id`` numbers records in (source, source_record_id) order, so a run is repeatable.
    """
    return f"""
WITH forename_counts AS (
    SELECT forename_std, count(*) AS fn_count FROM {tokens} GROUP BY forename_std
),
surname_counts AS (
    SELECT surname_std, count(*) AS sn_count FROM {tokens} GROUP BY surname_std
),
established AS (
    SELECT greatest({ESTABLISHED_MIN}, (SELECT count(*) FROM {tokens}) / {ESTABLISHED_SHARE})
        AS threshold
),
forename_kinds AS (
    SELECT c.forename_std, c.fn_count,
        n.name IS NOT NULL OR c.fn_count >= (SELECT threshold FROM established) AS known
    FROM forename_counts c LEFT JOIN {nicknames} n ON n.name = c.forename_std
    WHERE c.forename_std IS NOT NULL
),
forename_sexes AS (
    SELECT forename_std,
        CASE WHEN count(sex_std) >= {NAME_SEX_MIN} AND
                  max(CASE WHEN sex_std = 'f' THEN 1 ELSE 0 END) = 0 THEN 'm'
             WHEN count(sex_std) >= {NAME_SEX_MIN} AND
                  max(CASE WHEN sex_std = 'm' THEN 1 ELSE 0 END) = 0 THEN 'f'
             WHEN count(sex_std) >= {NAME_SEX_MIN} AND
                  avg(CASE WHEN sex_std = 'f' THEN 1.0 ELSE 0.0 END) >= {NAME_SEX_SHARE} THEN 'f'
             WHEN count(sex_std) >= {NAME_SEX_MIN} AND
                  avg(CASE WHEN sex_std = 'm' THEN 1.0 ELSE 0.0 END) >= {NAME_SEX_SHARE} THEN 'm'
        END AS name_sex
    FROM {tokens} WHERE forename_std IS NOT NULL GROUP BY forename_std
),
correction_candidates AS (
    SELECT * FROM (
        SELECT u.forename_std, k.forename_std AS known_name, k.fn_count,
            damerau_levenshtein(u.forename_std, k.forename_std) AS distance
        FROM forename_kinds u JOIN forename_kinds k
          ON left(u.forename_std, 1) = left(k.forename_std, 1)
        WHERE NOT u.known AND k.known AND k.fn_count >= {TYPO_RATIO} * u.fn_count
          AND length(u.forename_std) >= 3
        UNION
        SELECT u.forename_std, k.forename_std, k.fn_count,
            damerau_levenshtein(u.forename_std, k.forename_std)
        FROM forename_kinds u JOIN forename_kinds k
          ON right(u.forename_std, 2) = right(k.forename_std, 2)
        WHERE NOT u.known AND k.known AND k.fn_count >= {TYPO_RATIO} * u.fn_count
          AND length(u.forename_std) >= 3
    ) WHERE distance <= 2
),
corrections AS (
    -- the most common known name; among equally common ones the closest, then the first
    -- alphabetically: never whichever the engine's threads happened to see first
    SELECT forename_std,
        arg_min(known_name, {{'rank': -fn_count, 'distance': distance, 'name': known_name}})
            AS corrected
    FROM correction_candidates GROUP BY forename_std
),
forename_facts AS (
    SELECT f.forename_std, f.fn_count,
        f.known OR f.fn_count >= (SELECT threshold FROM established) AS forename_known,
        list_sort(list_distinct(CASE WHEN c.corrected IS NULL
            THEN coalesce(nick.roots, [f.forename_std])
            ELSE list_concat(coalesce(nick.roots, [f.forename_std]),
                             coalesce(fix_nick.roots, [c.corrected])) END
        )) AS forename_roots,
        x.name_sex
    FROM forename_kinds f
    LEFT JOIN corrections c USING (forename_std)
    LEFT JOIN forename_sexes x USING (forename_std)
    LEFT JOIN {nicknames} AS nick ON nick.name = f.forename_std
    LEFT JOIN {nicknames} AS fix_nick ON fix_nick.name = c.corrected
),
surname_facts AS (
    SELECT s.surname_std, s.sn_count,
        s.sn_count >= (SELECT threshold FROM established) AS surname_known,
        coalesce(nick.roots, [s.surname_std]) AS surname_roots
    FROM surname_counts s LEFT JOIN {nicknames} AS nick ON nick.name = s.surname_std
    WHERE s.surname_std IS NOT NULL
),
numbered AS (
    SELECT source, source_record_id,
        CAST(row_number() OVER (ORDER BY source, source_record_id) AS BIGINT) AS unique_id
    FROM {tokens}
),
keyed AS (
    SELECT source, source_record_id,
        CASE WHEN forename_std IS NOT NULL AND surname_std IS NOT NULL
             THEN least(forename_std, surname_std) || ' ' || greatest(forename_std, surname_std)
        END AS name_key
    FROM {tokens}
),
key_counts AS (
    SELECT name_key, count(*) AS key_count FROM keyed WHERE name_key IS NOT NULL GROUP BY 1
),
year_only_sources AS (
    SELECT source FROM {tokens} WHERE dob IS NOT NULL GROUP BY source
    HAVING avg(CASE WHEN month(dob) = 1 AND day(dob) = 1 THEN 1.0 ELSE 0.0 END)
        >= {YEAR_ONLY_SHARE}
),
dated AS (
    SELECT source, source_record_id,
        month(dob) = 1 AND day(dob) = 1 AND source IN (SELECT source FROM year_only_sources)
            AS year_only
    FROM {tokens} WHERE dob IS NOT NULL
)
SELECT
    numbered.unique_id,
    named.source, named.source_record_id, extract_id,
    named.forename_std,
    forename_roots,
    forename_known,
    fn_count AS forename_freq,
    list_concat(fn_tokens[2:], mid_tokens) AS middle_std,
    named.surname_std,
    list_filter(sn_tokens, lambda t: length(t) >= 2) AS surname_parts,
    surname_roots,
    sn_count AS surname_freq,
    surname_known,
    keyed.name_key,
    CASE WHEN key_count <= {RARE_NAME_RECORDS} THEN keyed.name_key END AS rare_name_key,
    dob,
    CASE WHEN NOT year_only THEN dob END AS dob_full,
    CASE WHEN NOT year_only THEN strftime(dob, '%Y%m%d') END AS dob_text,
    CAST(year(dob) AS BIGINT) AS birth_year,
    CASE WHEN NOT year_only THEN strftime(dob, '%m%d') END AS birth_day,
    sex_std,
    coalesce(sex_std, name_sex) AS sex_any,
    postcode_std,
    CASE WHEN postcode_std IS NOT NULL
         THEN split_part(postcode_std, ' ', 1) || ' ' || left(split_part(postcode_std, ' ', 2), 1)
    END AS postcode_sector,
    split_part(postcode_std, ' ', 1) AS postcode_district,
    address_key,
    pnc, cro, nhs, crn, nomis
FROM {tokens} AS named
JOIN numbered USING (source, source_record_id)
JOIN keyed USING (source, source_record_id)
LEFT JOIN key_counts USING (name_key)
LEFT JOIN dated USING (source, source_record_id)
LEFT JOIN forename_facts USING (forename_std)
LEFT JOIN surname_facts USING (surname_std)
"""


def build_frame(engine: Engine, staging_files: Sequence[Path]) -> int:
    """Load canonical staging files into ``records`` and standardise them into ``frame``.

    A record id repeated within a feed is matched once (its first row). Returns the number of
    records.
    """
    engine.load_parquet("staged", staging_files)
    engine.execute(
        "CREATE OR REPLACE VIEW records AS SELECT * FROM staged QUALIFY row_number() OVER "
        "(PARTITION BY source, source_record_id ORDER BY extract_id, row_number) = 1"
        if duplicate_records(engine)
        else "CREATE OR REPLACE VIEW records AS SELECT * FROM staged"
    )
    engine.register_arrow("nicknames", nickname_table())
    engine.create_table("frame_tokens", tokens_sql("records"))
    engine.create_table("frame", standardise_sql("frame_tokens", "nicknames"))
    engine.execute("DROP TABLE frame_tokens")
    return int(engine.scalar("SELECT count(*) FROM frame"))


def duplicate_records(engine: Engine) -> int:
    """Rows of ``staged`` repeating a (source, source_record_id) already seen; only the first
    of each is matched (a partner's record id is its key)."""
    return int(engine.scalar(
        "SELECT count(*) - count(DISTINCT (source, source_record_id)) FROM staged"
    ))  # fmt: skip
