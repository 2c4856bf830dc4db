"""Read one partner file and write its canonical rows and its quarantined rows to Parquet.

Streaming and columnar: the file is read in blocks (:mod:`schemas.extract_reader`), and one
DuckDB query per file applies the compiled mapping to the stream of blocks, on every core, in
order. Each mapped batch is split: its accepted rows go to the staging Parquet, written in a
thread of its own; its rejected rows are gathered and written to the quarantine Parquet a few
thousand at a time. A file that cannot be taken in whole (empty, wrong encoding, a missing
column) raises :class:`FeedFormatError` naming the file and what to fix. Values too long and
control characters in names and ids are found in Arrow (:mod:`schemas.field_checks`); record
ids repeated with different content are quarantined last (:mod:`schemas.repeated_ids`).
"""

from __future__ import annotations

import functools
import os
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from schemas.canonical import DISTINCT_PER_ROW_FIELDS, QUARANTINE_SCHEMA, arrow_schema
from schemas.duckdb_session import DuckDBSettings, connect
from schemas.errors import FeedFormatError
from schemas.extract_reader import (
    BLOCK_BYTES,
    BadRows,
    Block,
    check_columns,
    read_blocks,
    read_header,
)
from schemas.feed import FeedFormat
from schemas.field_checks import FieldCheck, field_flags
from schemas.mapping_sql import CompiledMapping, compile_mapping
from schemas.repeated_ids import CONFLICT_REASON, quarantine_conflicting_repeats
from schemas.sql import quote_identifier, quote_literal

__all__ = ["BLOCK_BYTES", "IngestResult", "Progress", "ingest_file", "use_jemalloc_pool"]

MAPPED_BATCH_ROWS = 128 * 1024
"""Rows per mapped batch taken from DuckDB, split and written together."""
QUARANTINE_ROWS_AT_ONCE = 32 * 1024
"""Rejected rows gathered before they are written to the quarantine file."""
Progress = Callable[[int, float], None]
"""Called after each mapped batch with (rows read so far, seconds elapsed)."""


@dataclass
class IngestResult:
    """What ingesting one file produced."""

    rows_read: int = 0
    rows_accepted: int = 0
    rows_rejected: int = 0
    warnings: Counter[str] = field(default_factory=Counter)
    """Per 'field: reason', how many accepted rows carry that warning."""
    rejections: Counter[str] = field(default_factory=Counter)
    """Per 'field: reason', how many rows it rejected."""
    unknown_columns: list[str] = field(default_factory=list)
    duplicate_record_ids: int = 0
    """Rows whose record id repeats an earlier row's."""
    conflicting_record_ids: int = 0
    """Record ids repeated with different content (all their rows quarantined)."""
    seconds: float = 0.0


def _staging_writer(path: Path, schema: pa.Schema) -> pq.ParquetWriter:
    """Snappy Parquet; dictionaries only where values repeat, statistics only on repeating
    dates and numbers (min and max of text cost more to work out than they save readers), row
    numbers as deltas (consecutive, they take almost no space); values encoded 64 Ki at a time
    (the default, 1 Ki, spends more on the encoders' own bookkeeping)."""
    repeating = [f for f in schema if f.name not in DISTINCT_PER_ROW_FIELDS]
    with_statistics = [f.name for f in repeating if not pa.types.is_string(f.type)]
    return pq.ParquetWriter(path, schema, compression="snappy",
                            use_dictionary=[f.name for f in repeating],
                            write_statistics=with_statistics,
                            column_encoding={"row_number": "DELTA_BINARY_PACKED"},
                            write_batch_size=64 * 1024)  # fmt: skip


@functools.cache
def use_jemalloc_pool() -> None:
    """Let Arrow allocate from its jemalloc pool (process-wide) unless a pool was chosen.

    Ingest allocates and frees every column of every block; jemalloc reuses the freed pages,
    where the default pool returns more of them to the kernel, which must zero them again.
    ``ARROW_DEFAULT_MEMORY_POOL`` in the environment still decides when set. Done once per
    process.
    """
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        return
    try:
        pa.set_memory_pool(pa.jemalloc_memory_pool())
    except NotImplementedError:  # an Arrow build without jemalloc keeps its default
        return


def _quarantine_select(fmt: FeedFormat, feed: str, extract_id: str) -> str:
    """One row per rejected row and problem, with the row's raw values as JSON."""
    bits = "(CASE WHEN p.in_flags THEN m._field_flags ELSE m._mask END)"
    raw_json = (
        "to_json({"
        + ", ".join(f"{quote_literal(c)}: r.{quote_identifier(c)}" for c in fmt.columns)
        + "})"
    )
    return (
        f"SELECT {quote_literal(feed)} AS source, {quote_literal(extract_id)} AS extract_id, "
        f"m.row_number, p.column_name AS column, p.label AS reason, "
        f"{raw_json} AS raw_record FROM rejected m JOIN rejected_raw r "
        f"ON r._row_number = m.row_number "
        f"JOIN problems p ON p.reject AND ({bits} >> p.bit) & 1 = 1 "
        f"ORDER BY m.row_number, p.in_flags, p.bit"
    )


def _single_array(column: pa.ChunkedArray) -> pa.Array:
    return column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()


def _row_numbers(first_row: int, count: int) -> pa.Array:
    return pc.cumulative_sum(pa.nulls(count, pa.int64()).fill_null(1), start=first_row - 1)


class _BlockStream:
    """Blocks offered to DuckDB as one Arrow stream, each held until its mapped rows return.

    DuckDB reads the stream from its own threads and returns the mapped rows in order; the
    held blocks give each mapped batch its raw and cleaned partner columns. A failure while
    reading the file is kept in ``failure`` (DuckDB only reports that the stream failed).
    """

    def __init__(
        self, blocks: Iterator[Block], inputs: dict[str, str], checks: list[FieldCheck]
    ) -> None:
        self._blocks = blocks
        self._inputs = inputs
        self._checks = checks
        self._held: deque[Block] = deque()
        self.failure: BaseException | None = None

    def reader(self) -> pa.RecordBatchReader:
        """The cleaned input columns, by their aliases in the mapping, ``_row_number`` and
        ``_field_flags``."""
        schema = pa.schema(
            [pa.field(alias, pa.string()) for alias in self._inputs.values()]
            + [pa.field("_row_number", pa.int64()), pa.field("_field_flags", pa.int64())]
        )
        return pa.RecordBatchReader.from_batches(schema, self._batches(schema))

    def _batches(self, schema: pa.Schema) -> Iterator[pa.RecordBatch]:
        try:
            for block in self._blocks:
                self._held.append(block)
                cleaned = {name: _single_array(values) for name, values in block.cleaned.items()}
                columns = [cleaned[column] for column in self._inputs]
                numbers = _row_numbers(block.first_row, block.row_count)
                flags = field_flags(cleaned, self._checks, block.row_count)
                yield pa.RecordBatch.from_arrays([*columns, numbers, flags], schema=schema)
        except BaseException as error:
            self.failure = error
            raise

    def take(self, first_row: int, end_row: int) -> Block:
        """The held rows ``first_row`` up to ``end_row``, releasing those before ``end_row``."""
        parts: list[Block] = []
        while first_row < end_row:
            if not self._held or self._held[0].first_row != first_row:
                raise RuntimeError("mapped rows came back out of order")
            block = self._held[0]
            if block.end_row <= end_row:
                parts.append(self._held.popleft())
            else:
                parts.append(block.slice(first_row, end_row))
                self._held[0] = block.slice(end_row, block.end_row)
            first_row = parts[-1].end_row
        return Block.concat(parts)


@functools.cache
def _database() -> duckdb.DuckDBPyConnection:
    """One in-memory DuckDB per process; each ingest works on a cursor of its own."""
    return connect(DuckDBSettings(threads=2))


@dataclass(frozen=True)
class _Mapping:
    """What splitting a mapped batch needs besides the batch."""

    compiled: CompiledMapping
    schema: pa.Schema
    constants: dict[str, str]
    record_hashes: list[pa.Array] = field(default_factory=list)
    """Hashes of the accepted rows' record ids, to count repeated ids."""


class _Quarantine:
    """Rejected rows gathered over batches, turned into quarantine rows a few thousand at a time.

    Each rejected row becomes one quarantine row per problem that rejects it, with the row's
    raw values as JSON, in row order.
    """

    def __init__(
        self, con: duckdb.DuckDBPyConnection, select: str, writer: pq.ParquetWriter
    ) -> None:
        self._con, self._select, self._writer = con, select, writer
        self._rejected: list[pa.Table] = []
        self._raw: list[pa.Table] = []
        self._rows = 0

    def add(self, rejected: pa.Table, raw: pa.Table) -> None:
        """Rejected rows (``row_number``, ``_mask``) and their raw values (``_row_number``)."""
        self._rejected.append(rejected)
        self._raw.append(raw)
        self._rows += rejected.num_rows
        if self._rows >= QUARANTINE_ROWS_AT_ONCE:
            self.flush()

    def flush(self) -> None:
        """Write the gathered rows."""
        if not self._rows:
            return
        self._con.register("rejected", pa.concat_tables(self._rejected))
        self._con.register("rejected_raw", pa.concat_tables(self._raw))
        rows = self._con.sql(self._select).to_arrow_table().cast(QUARANTINE_SCHEMA)
        self._con.unregister("rejected")
        self._con.unregister("rejected_raw")
        self._writer.write_table(rows)
        self._rejected, self._raw, self._rows = [], [], 0


def ingest_file(
    path: Path,
    fmt: FeedFormat,
    *,
    feed: str,
    extract_id: str,
    staging_path: Path,
    quarantine_path: Path,
    progress: Progress | None = None,
) -> IngestResult:
    """Parse, map and validate one extract; write accepted rows and quarantined rows.

    Both outputs are always written (possibly empty). The caller moves them into place.
    """
    started = time.perf_counter()
    use_jemalloc_pool()
    header = read_header(path, fmt, feed)
    result = IngestResult(unknown_columns=check_columns(header, fmt, feed, path))
    compiled = compile_mapping(fmt)
    bad_rows: BadRows = []
    wanted = list(dict.fromkeys([*compiled.inputs, *compiled.passthrough.values()]))
    blocks = read_blocks(path, fmt, feed, header, wanted, bad_rows)
    stream = _BlockStream(blocks, compiled.inputs, compiled.checks)
    con = _database().cursor()
    quarantine_con = con.cursor()  # the mapping query streams on ``con``
    quarantine_con.execute("CREATE TEMP TABLE problems (bit INTEGER, column_name VARCHAR, "
                           "label VARCHAR, reject BOOLEAN, in_flags BOOLEAN)")  # fmt: skip
    quarantine_con.executemany("INSERT INTO problems VALUES (?, ?, ?, ?, ?)",
                               [(p.bit, p.column, p.label, p.reject, p.in_flags)
                                for p in compiled.problems])  # fmt: skip
    constants = {"source": feed, "extract_id": extract_id}
    mapping = _Mapping(compiled, arrow_schema(fmt.record), constants)
    try:
        with (
            _staging_writer(staging_path, mapping.schema) as staging,
            pq.ParquetWriter(quarantine_path, QUARANTINE_SCHEMA, compression="zstd") as quarantine,
            ThreadPoolExecutor(max_workers=1) as writer,
        ):
            rejected = _Quarantine(quarantine_con, _quarantine_select(fmt, feed, extract_id),
                                   quarantine)  # fmt: skip
            pending: Future[None] | None = None
            for batch in _mapped_batches(con, compiled.select, stream):
                accepted = _split(batch, stream, mapping, rejected, result)
                if pending:
                    pending.result()
                pending = writer.submit(staging.write_table, accepted)
                if progress:
                    progress(result.rows_read, time.perf_counter() - started)
            if pending:
                pending.result()
            rejected.flush()
            if bad_rows:
                quarantine.write_table(_malformed_rows(bad_rows, feed, extract_id))
                result.rows_rejected += len(bad_rows)
                result.rows_read += len(bad_rows)
                result.rejections["row: wrong number of columns"] += len(bad_rows)
        if result.rows_read == 0 and not fmt.allow_header_only:
            raise FeedFormatError(
                f"feed {feed!r}: {path.name} has a header but no data rows",
                feed=feed, file=path.name,
                hint="a full extract with no rows usually means a failed export; set "
                "format.allow_header_only: true if an empty extract is genuine",
            )  # fmt: skip
        result.duplicate_record_ids = _count_duplicates(
            quarantine_con, staging_path, mapping.record_hashes
        )
        if result.duplicate_record_ids:
            _quarantine_conflicts(quarantine_con, fmt, staging_path, quarantine_path, result)
    finally:
        quarantine_con.close()
        con.close()
    result.seconds = time.perf_counter() - started
    return result


def _mapped_batches(
    con: duckdb.DuckDBPyConnection, select: str, stream: _BlockStream
) -> Iterator[pa.Table]:
    """The mapping applied to the stream, in batches; a failure reading the file is raised as
    itself (DuckDB would report only that the stream failed)."""
    try:
        con.register("batch", stream.reader())
        for batch in con.sql(select).to_arrow_reader(MAPPED_BATCH_ROWS):
            if batch.num_rows:
                yield pa.Table.from_batches([batch])
    except (duckdb.Error, pa.ArrowException, OSError):  # Arrow reports DuckDB's as OSError
        if stream.failure is not None:
            raise stream.failure from None
        raise


def _split(
    computed: pa.Table,
    stream: _BlockStream,
    mapping: _Mapping,
    quarantine: _Quarantine,
    result: IngestResult,
) -> pa.Table:
    """Split one mapped batch: its accepted canonical rows are returned, its rejected rows go
    to the quarantine."""
    compiled, schema = mapping.compiled, mapping.schema
    first_row = computed.column("row_number")[0].as_py()
    count = computed.num_rows
    block = stream.take(first_row, first_row + count)
    row_numbers = _row_numbers(first_row, count)
    if not computed.column("row_number").equals(pa.chunked_array([row_numbers])):
        raise RuntimeError("mapped rows came back out of order")
    mask = computed.column("_mask")
    flags = computed.column("_field_flags")
    flagged = bool(pc.max(flags).as_py())  # a value too long or a control character: rare
    is_rejected = pc.not_equal(
        pc.bit_wise_and(mask, pa.scalar(compiled.reject_mask, pa.int64())), 0
    )
    if flagged:
        is_rejected = pc.or_(is_rejected, pc.not_equal(flags, 0))
    values = pa.table(
        {name: computed.column(name) for name in schema.names if name in computed.column_names}
        | {name: block.cleaned[column] for name, column in compiled.passthrough.items()}
        | {"_record_hash": computed.column("_record_hash")}
    )
    if pc.any(is_rejected).as_py():
        values = _without_rows(values, is_rejected)
        rejected = computed.filter(is_rejected).select(["row_number", "_mask", "_field_flags"])
        offsets = pc.subtract(rejected.column("row_number"), pa.scalar(first_row, pa.int64()))
        raw = block.raw.append_column("_row_number", row_numbers).take(offsets)
        quarantine.add(rejected, raw)
    kept = values.num_rows
    # A copy: a column of DuckDB's result would keep the whole result batch in memory.
    mapping.record_hashes.append(values.column("_record_hash").combine_chunks())
    accepted = pa.table(
        {
            f.name: values.column(f.name)
            if f.name in values.column_names
            else pa.nulls(kept, f.type).fill_null(mapping.constants[f.name])
            if f.name in mapping.constants
            else pa.nulls(kept, f.type)
            for f in schema
        }
    ).cast(schema)
    result.rows_read += count
    result.rows_accepted += kept
    result.rows_rejected += count - kept
    _count_problems(result, compiled, mask, flags if flagged else None)
    return accepted


def _without_rows(table: pa.Table, drop: pa.ChunkedArray) -> pa.Table:
    """The table without the marked rows, as zero-copy slices (rejections are rare)."""
    dropped = pc.indices_nonzero(drop).to_pylist()
    slices, begin = [], 0
    for index in dropped:
        if index > begin:
            slices.append(table.slice(begin, index - begin))
        begin = index + 1
    if begin < table.num_rows:
        slices.append(table.slice(begin))
    return pa.concat_tables(slices) if slices else table.slice(0, 0)


def _count_problems(
    result: IngestResult, compiled: CompiledMapping, mask: pa.ChunkedArray,
    flags: pa.ChunkedArray | None,
) -> None:  # fmt: skip
    """Count each problem once per row it marks; warnings only on rows kept."""
    counted: list[tuple[int, int, int]] = []
    if flags is not None:  # rows with a field flag are few: counted one by one
        flagged = pc.not_equal(flags, 0)
        pairs = zip(
            mask.filter(flagged).to_pylist(), flags.filter(flagged).to_pylist(), strict=True
        )
        counted += [(m, f, count) for (m, f), count in Counter(pairs).items()]
        mask = mask.filter(pc.invert(flagged))
    counted += [(item["values"], 0, item["counts"]) for item in pc.value_counts(mask).to_pylist()]
    for row_mask, row_flags, count in counted:
        if not row_mask and not row_flags:
            continue
        problems = compiled.decode(int(row_mask), int(row_flags))
        any_reject = any(p.reject for p in problems)
        for problem in problems:
            if problem.reject:
                result.rejections[problem.label] += count
            elif not any_reject:
                result.warnings[problem.label] += count


def _malformed_rows(rows: list[tuple[int | None, str]], feed: str, extract_id: str) -> pa.Table:
    return pa.table(
        {
            "source": [feed] * len(rows),
            "extract_id": [extract_id] * len(rows),
            "row_number": [number or 0 for number, _ in rows],
            "column": [None] * len(rows),
            "reason": [f"row: {reason}" for _, reason in rows],
            "raw_record": [None] * len(rows),
        },
        schema=QUARANTINE_SCHEMA,
    )


def _quarantine_conflicts(
    con: duckdb.DuckDBPyConnection, fmt: FeedFormat, staging_path: Path, quarantine_path: Path,
    result: IngestResult,
) -> None:  # fmt: skip
    """Every row of an id repeated with different content moves to the quarantine."""
    repeats = quarantine_conflicting_repeats(
        con, staging_path, quarantine_path,
        record_id_column=fmt.mappings["source_record_id"].column, open_staging=_staging_writer,
        schema=arrow_schema(fmt.record),
    )  # fmt: skip
    result.conflicting_record_ids = repeats.conflicting_ids
    result.rows_accepted -= repeats.rows_quarantined
    result.rows_rejected += repeats.rows_quarantined
    if repeats.rows_quarantined:
        result.rejections[CONFLICT_REASON] += repeats.rows_quarantined


def _count_duplicates(
    con: duckdb.DuckDBPyConnection, staging_path: Path, record_hashes: list[pa.Array]
) -> int:
    """Accepted rows whose record id repeats an earlier row's.

    Distinct hashes mean distinct ids, which is the usual answer and quick to reach; only when
    two hashes are equal are the ids themselves counted, from the staging file.
    """
    hashes = pa.table({"h": pa.chunked_array(record_hashes, pa.uint64())})
    con.register("record_hashes", hashes)
    ((repeated_hashes,),) = con.execute(
        "SELECT count(*) - count(DISTINCT h) FROM record_hashes"
    ).fetchall()
    con.unregister("record_hashes")
    if repeated_hashes == 0:
        return 0
    ((repeated_ids,),) = con.execute(
        "SELECT count(*) - count(DISTINCT source_record_id) FROM read_parquet(?)",
        [str(staging_path)],
    ).fetchall()
    return int(repeated_ids)
