"""Streaming writers: delimited text in a partner's encoding, and the Parquet truth file."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

BOM = "\ufeff"
TRUTH_SCHEMA = pa.schema(
    [("source", pa.string()), ("source_record_id", pa.string()), ("person_id", pa.string())]
)


def _field(values: pa.Array, delimiter: str) -> pa.Array:
    """Text of one column, quoted only where a value holds the delimiter, a quote or a newline."""
    text = values if pa.types.is_string(values.type) else pc.cast(values, pa.string())
    needs = pc.match_substring_regex(text, f'[{re.escape(delimiter)}"\r\n]')
    quoted = pc.binary_join_element_wise('"', pc.replace_substring(text, '"', '""'), '"', "")
    return pc.if_else(pc.fill_null(needs, False), quoted, text)


def encode_rows(columns: Sequence[pa.Array], delimiter: str) -> str:
    """Rows as delimited lines ending in a newline; nulls become empty fields."""
    if not len(columns[0]):
        return ""
    fields = [_field(c, delimiter) for c in columns]
    lines = pc.binary_join_element_wise(
        *fields, delimiter, null_handling="replace", null_replacement=""
    )
    lines = pc.binary_join_element_wise(lines, "\n", "")
    # One list holding every line, joined in one call.
    whole = pa.LargeListArray.from_arrays(
        pa.array([0, len(lines)], pa.int64()), lines.cast(pa.large_string())
    )
    return pc.binary_join(whole, pa.scalar("", pa.large_string()))[0].as_py()


class DelimitedWriter:
    """Writes a header then batches of rows to ``path`` (via ``path.part``, renamed on close)."""

    def __init__(self, path: Path, columns: Sequence[str], delimiter: str, encoding: str) -> None:
        self.path = path
        self._part = path.with_name(path.name + ".part")
        self._delimiter = delimiter
        self._encoding = "utf-8" if encoding == "utf-8-sig" else encoding
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = self._part.open("wb")
        header = delimiter.join(columns) + "\n"
        self._file.write(((BOM if encoding == "utf-8-sig" else "") + header).encode(self._encoding))

    def write(self, columns: Sequence[pa.Array]) -> None:
        """Append rows (one array per column, in header order)."""
        self._file.write(encode_rows(columns, self._delimiter).encode(self._encoding))

    def close(self) -> None:
        """Finish the file and move it into place."""
        self._file.close()
        os.replace(self._part, self.path)

    def abort(self) -> None:
        """Drop the partial file."""
        self._file.close()
        self._part.unlink(missing_ok=True)


class TruthWriter:
    """The answer key: one row per record with an id, mapping it to the true person."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._part = path.with_name(path.name + ".part")
        path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = pq.ParquetWriter(self._part, TRUTH_SCHEMA)

    def write(self, source: str, record_ids: pa.Array, person_ids: pa.Array) -> None:
        """Rows for one batch; records written without an id have no key and are left out."""
        keep = pc.is_valid(record_ids)
        ids, persons = pc.filter(record_ids, keep), pc.filter(person_ids, keep)
        sources = pa.array([source] * len(ids), pa.string())
        self._writer.write_table(pa.table([sources, ids, persons], schema=TRUTH_SCHEMA))

    def close(self) -> None:
        """Finish the file and move it into place."""
        self._writer.close()
        os.replace(self._part, self.path)

    def abort(self) -> None:
        """Drop the partial file."""
        self._writer.close()
        self._part.unlink(missing_ok=True)


class Closing:
    """Closes writers on success, aborts them on error."""

    def __init__(self, writers: Sequence[DelimitedWriter | TruthWriter]) -> None:
        self.writers = list(writers)

    def __enter__(self) -> Closing:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for w in self.writers:
            if kind is None:
                w.close()
            else:
                w.abort()
