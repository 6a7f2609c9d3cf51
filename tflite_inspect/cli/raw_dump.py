"""`verify --raw`: the annotated table layout, table by table, depth first."""

from __future__ import annotations

from typing import Any

from ..flatbuf import FlatBufError, Table, Vector, table_layout

__all__ = ["print_raw", "raw_lines"]


def raw_lines(root: Table, limit: int) -> list[str]:
    """Lines describing up to `limit` tables reachable from `root` (shared ones once)."""
    lines: list[str] = []
    stack: list[Table] = [root]
    seen: set[tuple[int, str]] = set()
    shown = 0
    while stack:
        table = stack.pop()
        key = (table.pos, table.name)
        if key in seen:
            continue
        seen.add(key)
        if shown >= limit:
            lines.append(f"... more tables not shown (raise --limit, now {limit})")
            break
        shown += 1
        layout = table_layout(table)
        size = f", table {layout.table_size} bytes" if layout.table_size is not None else ""
        lines.append(
            f"{layout.path or 'root'}: {layout.name} @{layout.offset:#x}  "
            f"vtable @{layout.vtable_offset:#x} ({layout.vtable_size} bytes{size})"
        )
        for f in layout.fields:
            if not f.present:
                continue
            where = f"@{f.offset:#x}" if f.offset is not None else ""
            target = f" -> {f.target:#x}" if f.target is not None else ""
            lines.append(f"  [{f.slot:>2}] {f.name:<28} {f.type:<22} {where}{target}  {f.value}")
        children: list[Table] = []
        for fdef in table.tdef.fields:
            kind = fdef.type.kind
            if fdef.deprecated or kind not in ("table", "union", "vector"):
                continue
            try:
                value: Any = table.get(fdef.name)
                if isinstance(value, Table):
                    children.append(value)
                elif isinstance(value, Vector) and value.element.kind == "table":
                    children.extend(value[i] for i in range(len(value)))
            except FlatBufError as err:
                lines.append(f"  !! {fdef.name}: {err.message}")
        stack.extend(reversed(children))
    return lines


def print_raw(model: Any, limit: int) -> None:
    root = model.root_table
    if root is None:
        print("(no readable root table)")
        return
    for line in raw_lines(root, limit):
        print(line)
