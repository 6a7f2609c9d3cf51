"""FlatBuffers, schema-driven and bounds-checked. Knows nothing of TFLite beyond the schema file.

- `schema`: compiles `.fbs` text into tables of field slots and wire types.
- `source`: the bytes (an `mmap` or bytes) behind one bounds-checked choke point.
- `reader`: lazy, zero-copy tables and vectors.
- `verifier`: the C++ Verifier's structural checks, iterative, with diagnostics.
- `raw`: the byte layout of a table, for low-level views.
"""

from .errors import Diagnostic, FlatBufError
from .raw import FieldLayout, TableLayout, table_layout
from .reader import Table, Vector, root
from .schema import Schema, SchemaError, load_schema, parse_schema
from .source import ByteSource
from .verifier import VerifyOptions, VerifyReport, sniff_format, verify, verify_header

__all__ = [
    "ByteSource",
    "Diagnostic",
    "FieldLayout",
    "FlatBufError",
    "Schema",
    "SchemaError",
    "Table",
    "TableLayout",
    "Vector",
    "VerifyOptions",
    "VerifyReport",
    "load_schema",
    "parse_schema",
    "root",
    "sniff_format",
    "table_layout",
    "verify",
    "verify_header",
]
