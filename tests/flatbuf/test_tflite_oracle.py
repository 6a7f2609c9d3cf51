"""Every field our reader returns equals what the `tflite` package's generated classes return.

The walk covers every table reachable from the root of each fixture, field by field, wherever the
`tflite` package's (older) schema has the field; tables are also checked to sit at the same byte
position. Fields the package lacks are counted, so the test shows how far it lags.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import tflite

from support.tflite_builder import add_model, write_model
from tflite_inspect.flatbuf import ByteSource, Table, Vector, load_schema, root

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
MODELS = sorted(FIXTURES.glob("*.tflite"))


def camel(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


def same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return bool(a == b)


def compare(data: bytes) -> tuple[int, set[str], list[str]]:
    """(values compared, fields the package lacks, differences) over the whole buffer."""
    schema = load_schema()
    ours_root = root(ByteSource(data), schema)
    theirs_root = tflite.Model.GetRootAs(data, 0)
    stack: list[tuple[Table, Any]] = [(ours_root, theirs_root)]
    compared = 0
    missing: set[str] = set()
    diffs: list[str] = []
    while stack:
        ours, theirs = stack.pop()
        if theirs._tab.Pos != ours.pos:
            diffs.append(f"{ours.path or 'Model'}: at {ours.pos}, tflite at {theirs._tab.Pos}")
        for field in ours.tdef.fields:
            if field.deprecated or field.type.kind == "union_type":
                continue
            method = camel(field.name)
            where = f"{ours.path or 'Model'}.{field.name}"
            if not hasattr(theirs, method):
                missing.add(f"{ours.tdef.name}.{field.name}")
                continue
            value = ours.get(field.name)
            kind = field.type.kind
            compared += 1
            if kind == "scalar":
                if not same(value, getattr(theirs, method)()):
                    diffs.append(f"{where}: {value!r} vs {getattr(theirs, method)()!r}")
            elif kind == "string":
                other = getattr(theirs, method)()
                other = other.decode("utf-8", "replace") if other is not None else None
                if value != other:
                    diffs.append(f"{where}: {value!r} vs {other!r}")
            elif kind == "table":
                other = getattr(theirs, method)()
                if (value is None) != (other is None):
                    diffs.append(f"{where}: presence differs")
                elif value is not None:
                    stack.append((value, other))
            elif kind == "union":
                type_value = getattr(theirs, method + "Type")()
                member, table, raw = ours.union(field.name)
                if raw != type_value:
                    diffs.append(f"{where}_type: {raw} vs {type_value}")
                elif table is not None:
                    assert member is not None
                    cls = getattr(tflite, member, None)
                    if cls is None:
                        missing.add(f"union member {member}")
                        continue
                    obj = cls()
                    tab = getattr(theirs, method)()
                    obj.Init(tab.Bytes, tab.Pos)
                    stack.append((table, obj))
            elif kind == "vector":
                assert isinstance(value, Vector) or value is None
                length = getattr(theirs, method + "Length")()
                is_none = getattr(theirs, method + "IsNone")()
                if value is None:
                    if not is_none:
                        diffs.append(f"{where}: absent in ours, {length} items in tflite")
                    continue
                if len(value) != length:
                    diffs.append(f"{where}: {len(value)} items vs {length}")
                    continue
                el = field.type.element
                assert el is not None
                if el.kind == "scalar":
                    theirs_items = getattr(theirs, method + "AsNumpy")().tolist() if length else []
                    if value.tolist() != theirs_items and not all(
                        same(a, b) for a, b in zip(value.tolist(), theirs_items, strict=True)
                    ):
                        diffs.append(f"{where}: scalar items differ")
                elif el.kind == "string":
                    for i in range(length):
                        if value[i] != getattr(theirs, method)(i).decode("utf-8", "replace"):
                            diffs.append(f"{where}[{i}] differs")
                else:
                    for i in range(length):
                        stack.append((value[i], getattr(theirs, method)(i)))
    return compared, missing, diffs


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.name)
def test_every_field_matches_the_tflite_package(path: Path, record_property: Any) -> None:
    compared, missing, diffs = compare(path.read_bytes())
    record_property("fields_compared", compared)
    record_property("fields_missing_in_tflite_package", sorted(missing))
    assert compared > 50
    assert not diffs, "\n".join(diffs[:30])


def test_hand_built_model_matches_too() -> None:
    compared, _, diffs = compare(write_model(add_model(operators=3)))
    assert compared > 30 and not diffs


def test_fixtures_exist() -> None:
    assert len(MODELS) >= 12, [p.name for p in MODELS]
