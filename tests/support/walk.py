"""Reads every field of every reachable table through our reader, without recursion (tests)."""

from __future__ import annotations

from tflite_inspect.flatbuf import ByteSource, FlatBufError, Table, Vector, load_schema, root


def read_everything(data: bytes, max_tables: int = 100_000) -> int:
    """Walks the whole buffer with the lazy reader; returns the number of values read.

    Only FlatBufError may escape a single read; it is counted and the walk goes on elsewhere.
    """
    src = ByteSource(data)
    try:
        stack: list[Table] = [root(src, load_schema())]
    except FlatBufError:
        return 0
    count = 0
    seen = 0
    while stack and seen < max_tables:
        table = stack.pop()
        seen += 1
        for field in table.tdef.fields:
            if field.deprecated:
                continue
            try:
                value = table.get(field.name)
                if field.type.kind == "union":
                    table.union(field.name)
            except FlatBufError:
                continue
            count += 1
            if isinstance(value, Table):
                stack.append(value)
            elif isinstance(value, Vector):
                try:
                    if value.element.kind in ("table", "string"):
                        for i in range(min(len(value), 10_000)):
                            item = value[i]
                            if isinstance(item, Table):
                                stack.append(item)
                    else:
                        value.tolist()
                        value.raw()
                except FlatBufError:
                    continue
    return count
