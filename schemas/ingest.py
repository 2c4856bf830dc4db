"""Read one partner file and write its canonical rows and its quarantined rows to Parquet.

Streaming and columnar: pyarrow's CSV reader decodes the file in blocks (memory stays flat
however large the file), DuckDB applies the compiled mapping to each block, and two Parquet
writers take the accepted and the rejected rows. A file that cannot be taken in whole (empty,
wrong encoding, a missing column) raises :class:`FeedFormatError` naming the file and what to fix.
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from schemas.canonical import DISTINCT_PER_ROW_FIELDS, QUARANTINE_SCHEMA, arrow_schema
from schemas.errors import FeedFormatError
from schemas.feed import FeedFormat
from schemas.mapping_sql import (
    CompiledMapping,
    compile_mapping,
    quote_identifier,
    quote_literal,
)

BLOCK_BYTES = 8 * 1024 * 1024
BLOCKS_PER_STEP = 2
"""Blocks mapped together: DuckDB scans a step's blocks in parallel; memory stays bounded."""
Progress = Callable[[int, float], None]
"""Called after each block with (rows read so far, seconds elapsed)."""


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
    seconds: float = 0.0


def _python_codec(encoding: str) -> str:
    return codecs.lookup(encoding).name


def read_header(path: Path, fmt: FeedFormat, feed: str) -> list[str]:
    """The file's column names; raises FeedFormatError for an empty or undecodable header."""
    with path.open("rb") as handle:
        first = handle.readline(1024 * 1024)
    if not first.strip():
        raise FeedFormatError(
            f"feed {feed!r}: {path.name} is empty", feed=feed, file=path.name,
            hint="ask the partner to re-send the extract",
        )  # fmt: skip
    codec = _python_codec(fmt.encoding)
    if codec == "utf-8":
        codec = "utf-8-sig"
    try:
        text = first.decode(codec)
    except UnicodeDecodeError as error:
        raise _encoding_error(path, fmt, feed, 1, error) from error
    row = next(csv.reader(io.StringIO(text), delimiter=fmt.delimiter, quotechar=fmt.quote_char))
    return [name.strip() for name in row]


def _encoding_error(
    path: Path, fmt: FeedFormat, feed: str, line: int, error: UnicodeDecodeError
) -> FeedFormatError:
    return FeedFormatError(
        f"feed {feed!r}: {path.name} is not valid {fmt.encoding} at line {line} "
        f"(byte {error.start + 1} of the line: {error.reason})",
        feed=feed, file=path.name, line=line,
        hint="check the encoding the partner exports in and set format.encoding to match",
    )  # fmt: skip


def locate_encoding_error(path: Path, fmt: FeedFormat, feed: str) -> FeedFormatError:
    """Find the first line that does not decode (used only after the fast reader failed)."""
    decoder_name = _python_codec(fmt.encoding)
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            try:
                line.decode(decoder_name)
            except UnicodeDecodeError as error:
                return _encoding_error(path, fmt, feed, number, error)
    return FeedFormatError(
        f"feed {feed!r}: {path.name} could not be decoded as {fmt.encoding}",
        feed=feed, file=path.name,
    )  # fmt: skip


def check_columns(header: list[str], fmt: FeedFormat, feed: str, path: Path) -> list[str]:
    """Raise when a mapped column is missing; return the unknown extra columns."""
    missing = [column for column in fmt.columns if column not in header]
    if missing:
        hint = "the feed's YAML maps these columns; has the partner changed the layout?"
        if len(header) == 1:
            hint = (
                f"the header has a single column: is the delimiter right? "
                f"the feed expects {fmt.delimiter!r}"
            )
        raise FeedFormatError(
            f"feed {feed!r}: {path.name} is missing required column(s) "
            f"{', '.join(repr(c) for c in missing)}",
            feed=feed, file=path.name, hint=hint,
        )  # fmt: skip
    duplicated = sorted({c for c in header if header.count(c) > 1 and c in fmt.columns})
    if duplicated:
        raise FeedFormatError(
            f"feed {feed!r}: {path.name} has column(s) {', '.join(duplicated)} more than once",
            feed=feed, file=path.name,
        )  # fmt: skip
    return [column for column in header if column not in fmt.columns]


def _open_reader(
    path: Path, fmt: FeedFormat, header: list[str], bad_rows: list[tuple[int | None, str]]
) -> pacsv.CSVStreamingReader:
    codec = _python_codec(fmt.encoding)
    encoding = "utf8" if codec in ("utf-8", "utf-8-sig") else codec

    def on_invalid_row(row: pacsv.InvalidRow) -> str:
        bad_rows.append(
            (row.number, f"expected {row.expected_columns} columns, found {row.actual_columns}")
        )
        return "skip"

    return pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(
            encoding=encoding, block_size=BLOCK_BYTES, use_threads=False
        ),
        parse_options=pacsv.ParseOptions(
            delimiter=fmt.delimiter, quote_char=fmt.quote_char, invalid_row_handler=on_invalid_row
        ),
        convert_options=pacsv.ConvertOptions(
            column_types={name: pa.string() for name in header},
            include_columns=fmt.columns,
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )


def _read_steps(
    path: Path,
    fmt: FeedFormat,
    feed: str,
    header: list[str],
    bad_rows: list[tuple[int | None, str]],
) -> Iterator[pa.Table]:
    """The file in steps of a few blocks; decoding and parsing errors become FeedFormatError."""
    try:
        reader = _open_reader(path, fmt, header, bad_rows)
        blocks: list[pa.RecordBatch] = []
        while True:
            try:
                blocks.append(reader.read_next_batch())
            except StopIteration:
                if blocks:
                    yield pa.Table.from_batches(blocks)
                return
            if len(blocks) == BLOCKS_PER_STEP:
                yield pa.Table.from_batches(blocks)
                blocks = []
    except (pa.ArrowInvalid, UnicodeDecodeError) as error:
        if "UTF8" in str(error) or isinstance(error, UnicodeDecodeError):
            raise locate_encoding_error(path, fmt, feed) from error
        # The reader's own message may quote a row: never pass it on (no personal data).
        raise FeedFormatError(
            f"feed {feed!r}: {path.name} could not be parsed as delimited text",
            feed=feed, file=path.name,
            hint=f"check the delimiter ({fmt.delimiter!r}) and quoting ({fmt.quote_char!r}) "
            "the feed declares against the file",
        ) from error  # fmt: skip


@dataclass
class _Step:
    """A step of raw rows and its cleaned columns (trimmed, blank as null), by partner column."""

    raw: pa.Table
    cleaned: dict[str, pa.ChunkedArray]


def _cleaned(steps: Iterator[pa.Table], columns: list[str]) -> Iterator[_Step]:
    for step in steps:
        yield _Step(step, {column: clean_text(step.column(column)) for column in columns})


def _prefetched(steps: Iterator[_Step]) -> Iterator[_Step]:
    """Read and clean the next step in a background thread while the current one is mapped."""
    with ThreadPoolExecutor(max_workers=1) as reader:
        upcoming = reader.submit(next, steps, None)
        while (step := upcoming.result()) is not None:
            upcoming = reader.submit(next, steps, None)
            yield step


def _staging_writer(path: Path, schema: pa.Schema) -> pq.ParquetWriter:
    """Snappy Parquet; dictionaries and statistics only where values repeat."""
    repeating = [name for name in schema.names if name not in DISTINCT_PER_ROW_FIELDS]
    return pq.ParquetWriter(path, schema, compression="snappy", use_dictionary=repeating,
                            write_statistics=repeating)  # fmt: skip


def _write_outputs(
    staging: pq.ParquetWriter,
    quarantine: pq.ParquetWriter,
    outputs: tuple[pa.Table, pa.Table | None],
) -> None:
    accepted, rejected = outputs
    staging.write_table(accepted)
    if rejected is not None:
        quarantine.write_table(rejected)


@functools.cache
def use_jemalloc_pool() -> None:
    """Let Arrow allocate from its jemalloc pool (process-wide) unless a pool was chosen.

    Ingest allocates and frees every column of every step; jemalloc reuses the freed pages,
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
    raw_json = (
        "to_json({"
        + ", ".join(f"{quote_literal(c)}: r.{quote_identifier(c)}" for c in fmt.columns)
        + "})"
    )
    quarantine_select = (
        f"SELECT {quote_literal(feed)} AS source, {quote_literal(extract_id)} AS extract_id, "
        f"m.row_number, p.column_name AS column, p.label AS reason, "
        f"{raw_json} AS raw_record FROM rejected m JOIN rejected_raw r "
        f"ON r._row_number = m.row_number "
        f"JOIN problems p ON p.reject AND (m._mask >> p.bit) & 1 = 1 ORDER BY m.row_number, p.bit"
    )
    bad_rows: list[tuple[int | None, str]] = []
    schema = arrow_schema()
    con = duckdb.connect(config={"threads": 2})
    con.execute("CREATE TEMP TABLE problems (bit INTEGER, column_name VARCHAR, label VARCHAR, "
                "reject BOOLEAN)")  # fmt: skip
    con.executemany("INSERT INTO problems VALUES (?, ?, ?, ?)",
                    [(p.bit, p.column, p.label, p.reject) for p in compiled.problems])  # fmt: skip
    try:
        with (
            _staging_writer(staging_path, schema) as staging,
            pq.ParquetWriter(quarantine_path, QUARANTINE_SCHEMA, compression="zstd") as quarantine,
        ):
            wanted = list(dict.fromkeys([*compiled.inputs, *compiled.passthrough.values()]))
            steps = _prefetched(_cleaned(_read_steps(path, fmt, feed, header, bad_rows), wanted))
            with ThreadPoolExecutor(max_workers=1) as writer:
                pending: Future[None] | None = None
                for step in steps:
                    outputs = _map_step(con, step, (feed, extract_id), result, compiled,
                                        quarantine_select, schema)  # fmt: skip
                    if pending:
                        pending.result()
                    pending = writer.submit(_write_outputs, staging, quarantine, outputs)
                    if progress:
                        progress(result.rows_read, time.perf_counter() - started)
                if pending:
                    pending.result()
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
        result.duplicate_record_ids = _count_duplicates(con, staging_path)
    finally:
        con.close()
    result.seconds = time.perf_counter() - started
    return result


def clean_text(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Trimmed text with blank values as null (the form every mapped value starts from)."""
    trimmed = pc.utf8_trim_whitespace(column)
    return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)


def _map_step(
    con: duckdb.DuckDBPyConnection,
    step: _Step,
    provenance: tuple[str, str],
    result: IngestResult,
    compiled: CompiledMapping,
    quarantine_select: str,
    schema: pa.Schema,
) -> tuple[pa.Table, pa.Table | None]:
    """Map one step: parse in one DuckDB pass, split accepted and rejected rows."""
    start = result.rows_read + 1
    count = step.raw.num_rows
    row_numbers = pc.cumulative_sum(pa.nulls(count, pa.int64()).fill_null(1), start=start - 1)
    con.register(
        "batch",
        pa.table(
            {alias: step.cleaned[column] for column, alias in compiled.inputs.items()}
            | {"_row_number": row_numbers}
        ),
    )
    computed = con.sql(compiled.select).to_arrow_table()
    con.unregister("batch")
    if not computed.column("row_number").equals(pa.chunked_array([row_numbers])):
        raise FeedFormatError(f"feed {provenance[0]!r}: internal error: rows out of order")
    constants = dict(zip(("source", "extract_id"), provenance, strict=True))
    mapped = pa.table(
        {
            f.name: computed.column(f.name)
            if f.name in computed.column_names
            else step.cleaned[compiled.passthrough[f.name]]
            if f.name in compiled.passthrough
            else pa.nulls(count, f.type).fill_null(constants[f.name])
            if f.name in constants
            else pa.nulls(count, f.type)
            for f in schema
        }
    )
    mask = computed.column("_mask")
    reject_bits = pa.scalar(compiled.reject_mask, pa.int64())
    is_rejected = pc.not_equal(pc.bit_wise_and(mask, reject_bits), 0)
    any_rejected = bool(pc.any(is_rejected).as_py())
    accepted = (_without_rows(mapped, is_rejected) if any_rejected else mapped).cast(schema)
    rejected_rows = None
    if any_rejected:
        rejected = computed.filter(is_rejected).select(["row_number", "_mask"])
        offsets = pc.subtract(rejected.column("row_number"), pa.scalar(start, pa.int64()))
        raw = step.raw.append_column("_row_number", row_numbers)
        con.register("rejected", rejected)
        con.register("rejected_raw", raw.take(offsets))
        rejected_rows = con.sql(quarantine_select).to_arrow_table().cast(QUARANTINE_SCHEMA)
        con.unregister("rejected")
        con.unregister("rejected_raw")
    result.rows_read += count
    result.rows_accepted += accepted.num_rows
    result.rows_rejected += count - accepted.num_rows
    _count_problems(result, compiled, mask)
    return accepted, rejected_rows


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


def _count_problems(result: IngestResult, compiled: CompiledMapping, mask: pa.ChunkedArray) -> None:
    for item in pc.value_counts(mask).to_pylist():
        if not item["values"]:
            continue
        problems = compiled.decode(int(item["values"]))
        any_reject = any(p.reject for p in problems)
        for problem in problems:
            if problem.reject:
                result.rejections[problem.label] += item["counts"]
            elif not any_reject:
                result.warnings[problem.label] += item["counts"]


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


def _count_duplicates(con: duckdb.DuckDBPyConnection, staging_path: Path) -> int:
    row = con.execute(
        "SELECT count(*) - count(DISTINCT source_record_id) FROM read_parquet(?)",
        [str(staging_path)],
    ).fetchone()
    return int(row[0]) if row else 0
