"""Read a partner's delimited extract in blocks: header checks, decoding, cleaned text columns.

pyarrow's CSV reader decodes the file a block at a time (memory stays flat however large the
file), in a background thread, and each block's text is cleaned there (trimmed, blank as null)
while the caller maps the previous one. A file that cannot be read whole (empty, wrong encoding,
a missing column, not delimited text) raises :class:`FeedFormatError` naming the file and what
to fix, never quoting a value.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from schemas.errors import FeedFormatError
from schemas.feed import FeedFormat

BLOCK_BYTES = 8 * 1024 * 1024
"""Bytes of the file decoded at a time."""
LARGEST_BLOCK_BYTES = 128 * 1024 * 1024
"""Blocks grow up to this size for a row longer than a block; a longer row rejects the file."""

BadRows = list[tuple[int | None, str]]
"""Rows the reader skipped (wrong number of columns): (row number, reason)."""


@dataclass(frozen=True)
class Block:
    """Consecutive data rows of the extract: as read, and cleaned by partner column.

    ``first_row`` is the 1-based number of the block's first row among the rows read.
    """

    first_row: int
    raw: pa.Table
    cleaned: dict[str, pa.ChunkedArray]

    @property
    def row_count(self) -> int:
        """Rows in the block."""
        return self.raw.num_rows

    @property
    def end_row(self) -> int:
        """The number after the block's last row."""
        return self.first_row + self.raw.num_rows

    def slice(self, first_row: int, end_row: int) -> Block:
        """The rows numbered ``first_row`` up to (not including) ``end_row``; zero-copy."""
        offset, length = first_row - self.first_row, end_row - first_row
        return Block(
            first_row,
            self.raw.slice(offset, length),
            {name: column.slice(offset, length) for name, column in self.cleaned.items()},
        )

    @staticmethod
    def concat(blocks: list[Block]) -> Block:
        """Consecutive blocks as one; zero-copy."""
        if len(blocks) == 1:
            return blocks[0]
        return Block(
            blocks[0].first_row,
            pa.concat_tables([block.raw for block in blocks]),
            {
                name: pa.chunked_array(
                    [chunk for block in blocks for chunk in block.cleaned[name].chunks],
                    type=pa.string(),
                )
                for name in blocks[0].cleaned
            },
        )


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
    path: Path, fmt: FeedFormat, header: list[str], bad_rows: BadRows, block_bytes: int
) -> pacsv.CSVStreamingReader:
    codec = _python_codec(fmt.encoding)
    encoding = "utf8" if codec in ("utf-8", "utf-8-sig") else codec
    known = {number for number, _ in bad_rows}  # a re-read meets the same bad rows again

    def on_invalid_row(row: pacsv.InvalidRow) -> str:
        if row.number not in known:
            bad_rows.append(
                (row.number, f"expected {row.expected_columns} columns, found {row.actual_columns}")
            )
        return "skip"

    return pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(
            encoding=encoding, block_size=block_bytes, use_threads=False
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


def _is_row_over_block(error: pa.ArrowInvalid) -> bool:
    """Whether the reader failed on a row longer than its block (a field far over the limit)."""
    return "straddl" in str(error)


def _read_tables(
    path: Path, fmt: FeedFormat, feed: str, header: list[str], bad_rows: BadRows
) -> Iterator[pa.Table]:
    """The file a block at a time; decoding and parsing errors become FeedFormatError.

    A row longer than the block (one field of megabytes) makes the reader start again with
    blocks four times larger, skipping the rows already given, up to ``LARGEST_BLOCK_BYTES``.
    """
    given = 0  # data rows already handed on
    block_bytes = BLOCK_BYTES
    try:
        while True:
            skip = given
            try:
                reader = _open_reader(path, fmt, header, bad_rows, block_bytes)
                while True:
                    try:
                        batch = reader.read_next_batch()
                    except StopIteration:
                        return
                    if skip >= batch.num_rows:
                        skip -= batch.num_rows
                        continue
                    table = pa.Table.from_batches([batch.slice(skip) if skip else batch])
                    skip = 0
                    given += table.num_rows
                    yield table
            except pa.ArrowInvalid as error:
                if not _is_row_over_block(error) or block_bytes >= LARGEST_BLOCK_BYTES:
                    raise
                block_bytes *= 4
    except (pa.ArrowInvalid, UnicodeDecodeError) as error:
        if "UTF8" in str(error) or isinstance(error, UnicodeDecodeError):
            raise locate_encoding_error(path, fmt, feed) from error
        if isinstance(error, pa.ArrowInvalid) and _is_row_over_block(error):
            raise FeedFormatError(
                f"feed {feed!r}: {path.name} has a row longer than "
                f"{LARGEST_BLOCK_BYTES // (1024 * 1024)} MiB after data row {given}; "
                "the file was not read",
                feed=feed, file=path.name, row=given + 1,
                hint="a field that long is a broken export (an unclosed quote, or a "
                "document pasted into a field); ask the partner to re-send the extract",
            ) from error  # fmt: skip
        # The reader's own message may quote a row: never pass it on (no personal data).
        raise FeedFormatError(
            f"feed {feed!r}: {path.name} could not be parsed as delimited text",
            feed=feed, file=path.name,
            hint=f"check the delimiter ({fmt.delimiter!r}) and quoting ({fmt.quote_char!r}) "
            "the feed declares against the file",
        ) from error  # fmt: skip


def clean_text(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Trimmed text with blank values as null (the form every mapped value starts from)."""
    return pa.chunked_array([_clean_array(chunk) for chunk in column.chunks], type=pa.string())


def _clean_array(array: pa.StringArray) -> pa.StringArray:
    # Text with no byte above 0x7F is trimmed by the cheaper ASCII kernel (same whitespace).
    trim = pc.ascii_trim_whitespace if _all_ascii(array) else pc.utf8_trim_whitespace
    trimmed = trim(array)
    if trimmed.offset:  # the bitmap below starts at the first value
        trimmed = pa.concat_arrays([trimmed])
    blank = pc.equal(pc.binary_length(trimmed), 0)
    if trimmed.null_count == 0 and not pc.any(blank).as_py():
        return trimmed
    # Blank values become null by a new validity bitmap over the same offsets and bytes.
    kept = pc.and_kleene(pc.is_valid(trimmed), pc.invert(blank))
    return pa.Array.from_buffers(
        pa.string(), len(trimmed), [kept.buffers()[1], *trimmed.buffers()[1:]]
    )


def _all_ascii(array: pa.StringArray) -> bool:
    data = array.buffers()[2]
    if data is None or data.size == 0:
        return True
    as_bytes = pa.Array.from_buffers(pa.uint8(), data.size, [None, data])
    return bool(pc.max(as_bytes).as_py() < 0x80)


def _blocks(tables: Iterator[pa.Table], columns: list[str]) -> Iterator[Block]:
    first_row = 1
    for table in tables:
        if table.num_rows:
            yield Block(first_row, table, {c: clean_text(table.column(c)) for c in columns})
            first_row += table.num_rows


def read_blocks(
    path: Path, fmt: FeedFormat, feed: str, header: list[str], columns: list[str],
    bad_rows: BadRows,
) -> Iterator[Block]:  # fmt: skip
    """The extract's data rows in blocks, ``columns`` cleaned, read ahead in a background thread.

    Reading starts at once, before the first block is asked for. Rows with the wrong number of
    columns are skipped and listed in ``bad_rows``.
    """
    blocks = _blocks(_read_tables(path, fmt, feed, header, bad_rows), columns)
    reader = ThreadPoolExecutor(max_workers=1)
    return _read_ahead(reader, reader.submit(next, blocks, None), blocks)


def _read_ahead(
    reader: ThreadPoolExecutor, upcoming: Future[Block | None], blocks: Iterator[Block]
) -> Iterator[Block]:
    with reader:
        while (block := upcoming.result()) is not None:
            upcoming = reader.submit(next, blocks, None)
            yield block
