"""The person view is defined once: the sharing layer reads the columns matching writes."""

from __future__ import annotations

import pyarrow as pa

import sharing_agreements.view as sharing_view
from matching import survivorship
from matching.config import SurvivorshipConfig
from schemas.canonical import arrow_schema
from schemas.duckdb_session import connect


def test_sharing_reads_the_field_list_matching_writes() -> None:
    assert sharing_view.VIEW_FIELDS is survivorship.VIEW_FIELDS
    assert sharing_view.PERSON_ID == survivorship.PERSON_ID
    assert sharing_view.SOURCES == survivorship.SOURCES
    assert sharing_view.source_column is survivorship.source_column
    assert list(sharing_view.FIELD_KINDS) == list(survivorship.VIEW_FIELDS)


def test_person_view_columns_follow_the_field_list() -> None:
    con = connect()
    try:
        con.register("records", arrow_schema().empty_table())
        text = pa.array([], pa.string())
        con.register("assignment", pa.table({"person_id": text, "source": text,
                                             "source_record_id": text}))  # fmt: skip
        sql = survivorship.persons_sql("records", "assignment", SurvivorshipConfig())
        columns = con.sql(sql).columns
    finally:
        con.close()
    expected = [survivorship.PERSON_ID, "record_count", survivorship.SOURCES]
    for name in survivorship.VIEW_FIELDS:
        expected += [name, survivorship.source_column(name)]
    expected += [survivorship.candidates_column(group.name) for group in survivorship.GROUPS]
    assert columns == expected
