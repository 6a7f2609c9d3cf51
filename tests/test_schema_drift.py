"""Schema drift: our `.fbs` files against the flatc-generated Python modules that ship in wheels.

`schemas/tflite.fbs` is compiled with our own compiler (`tflite_inspect.flatbuf.schema`) and
compared, table by table, slot by slot and value by value, with

- `ai_edge_litert/schema_py_generated.py` (ai-edge-litert): exact equality, this is the revision
  the schema tracks;
- `tensorflow/lite/python/schema_py_generated.py` (tensorflow, when installed): everything TF's
  module has must match ours; ours may be newer (those entries are printed and recorded, not
  failed on).

`schemas/conversion_metadata.fbs` is compared with TF's
`tensorflow/lite/python/conversion_metadata_schema_py_generated.py` the same way, exactly.

The generated modules are never imported (importing TF takes seconds and pulls in half the
world): they are located on disk and their source text is analysed with `ast`. For each table
class, every accessor reading `self._tab.Offset(N)` names a field in vtable slot (N - 4) / 2, and
its body shows the wire type. flatc emits no accessor for a `(deprecated)` field, so those are
checked through the slot count of `builder.StartObject(n)` instead. Generated code does not name
the enum behind an enum-typed field, only its scalar, so enum-typed fields are compared on their
underlying scalar (the enums themselves are compared value by value).
"""

from __future__ import annotations

import ast
import importlib.util
import math
import os
import re
import site
import subprocess
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tflite_inspect.flatbuf.schema import FieldType, Schema, SchemaError, load_schema, parse_schema

# --------------------------------------------------------------------------------------------
# Locating the generated modules without importing their packages
# --------------------------------------------------------------------------------------------

LITERT = "ai_edge_litert"
TENSORFLOW = "tensorflow"
LITERT_SCHEMA = (LITERT, "schema_py_generated.py")
TF_SCHEMA = (TENSORFLOW, "lite/python/schema_py_generated.py")
TF_CONVERSION_METADATA = (TENSORFLOW, "lite/python/conversion_metadata_schema_py_generated.py")


def locate_generated(package: str, relpath: str) -> Path | None:
    """The path of `relpath` inside the installed top-level `package`, or None.

    `importlib.util.find_spec` on a *top-level* name only consults the path finders; it does not
    execute the package's `__init__` (a dotted name would import the parents, so we never pass
    one). If the finders have nothing, scan sys.path and the site-packages directories.
    """
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        spec = None
    roots: list[Path] = []
    if spec is not None and spec.submodule_search_locations:
        roots.extend(Path(loc) for loc in spec.submodule_search_locations)
    search_dirs = list(sys.path)
    try:
        search_dirs += site.getsitepackages()
    except AttributeError:  # some embedded interpreters lack it
        pass
    roots.extend(Path(d or ".") / package for d in search_dirs)
    for root in roots:
        candidate = root / relpath
        if candidate.is_file():
            return candidate
    return None


# --------------------------------------------------------------------------------------------
# Analysing a flatc-generated Python module
# --------------------------------------------------------------------------------------------

_FLAGS = {
    "BoolFlags": "bool",
    "Int8Flags": "byte",
    "Uint8Flags": "ubyte",
    "Int16Flags": "short",
    "Uint16Flags": "ushort",
    "Int32Flags": "int",
    "Uint32Flags": "uint",
    "Int64Flags": "long",
    "Uint64Flags": "ulong",
    "Float32Flags": "float",
    "Float64Flags": "double",
}
_FLAGS_RE = re.compile(r"flatbuffers\.number_types\.(\w+Flags)\b")
_OBJ_RE = re.compile(r"\bobj = (\w+)\(\)")
_IDENTIFIER_RE = re.compile(r"BufferHasIdentifier\(buf, offset, (b\"[^\"]*\"|b'[^']*')")


@dataclass(frozen=True)
class GenField:
    """One accessor-backed field of a generated table. `type` uses `describe_ours` notation."""

    method: str  # CamelCase accessor name, e.g. "ShapeSignature"
    slot: int
    type: str
    default: object = None


@dataclass
class GenTable:
    name: str
    num_slots: int | None  # from `builder.StartObject(n)`; counts deprecated slots too
    fields: dict[str, GenField] = field(default_factory=dict)  # by method name


@dataclass
class GenModule:
    label: str
    path: Path
    tables: dict[str, GenTable]
    structs: set[str]
    enums: dict[str, dict[str, int]]
    unions: dict[str, dict[str, int]]
    union_members: dict[str, dict[str, str]]  # union -> member -> table
    file_identifier: str | None


def _int_assignments(cls: ast.ClassDef) -> dict[str, int] | None:
    """`NAME = int` lines of an enum-like class, or None if the class holds anything else."""
    values: dict[str, int] = {}
    for stmt in cls.body:
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue  # docstring
        if not (
            isinstance(stmt, ast.Assign)
            and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name)
        ):
            return None
        try:
            value = ast.literal_eval(stmt.value)
        except ValueError:
            return None
        if not isinstance(value, int) or isinstance(value, bool):
            return None
        values[stmt.targets[0].id] = value
    return values


def _offset_of(func: ast.FunctionDef) -> int | None:
    for node in ast.walk(func):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "Offset"
            and ast.unparse(node.func.value) == "self._tab"
            and len(node.args) == 1
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, int)
        ):
            return node.args[0].value
    return None


def _returned_default(func: ast.FunctionDef) -> object:
    last = func.body[-1]
    if not isinstance(last, ast.Return) or last.value is None:
        return None
    try:
        return ast.literal_eval(last.value)
    except ValueError:
        text = ast.unparse(last.value)
        m = re.fullmatch(r"float\('([-+]?(?:inf|nan))'\)", text)
        return float(m.group(1)) if m else text


def _scalar_of(src: str) -> str:
    flags = [f for f in _FLAGS_RE.findall(src) if f in _FLAGS]
    if not flags:
        return "?"
    return _FLAGS[flags[0]]


def _accessor_type(src: str) -> str:
    """The wire type shown by a primary accessor's source (see the module docstring)."""
    if "self._tab.Union(" in src:
        return "union"
    obj = _OBJ_RE.search(src)
    if "self._tab.Vector(" in src:
        if "self._tab.String(" in src:
            element = "string"
        elif obj and "self._tab.Indirect(" in src:
            element = f"table:{obj.group(1)}"
        elif obj:
            element = f"struct:{obj.group(1)}"
        else:
            element = _scalar_of(src)
        return f"[{element}]"
    if "self._tab.String(" in src:
        return "string"
    if obj and "self._tab.Indirect(" in src:
        return f"table:{obj.group(1)}"
    if obj:
        return f"struct:{obj.group(1)}"
    return _scalar_of(src)


def analyse_generated(path: Path, label: str) -> GenModule:
    """Reads tables, enums, unions and the file identifier out of a flatc Python module."""
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source, filename=str(path))
    mid = _IDENTIFIER_RE.search(source)  # raw text: ast.unparse would rewrite the bytes literal
    identifier = ast.literal_eval(mid.group(1)).decode("ascii") if mid else None
    classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
    functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}

    def is_table_or_struct(cls: ast.ClassDef) -> bool:
        return any(
            isinstance(s, ast.FunctionDef)
            and s.name == "Init"
            and "flatbuffers.table.Table" in ast.unparse(s)
            for s in cls.body
        )

    table_names = {name for name, cls in classes.items() if is_table_or_struct(cls)}

    # Enums and unions: classes made only of `NAME = int` lines.
    enums: dict[str, dict[str, int]] = {}
    unions: dict[str, dict[str, int]] = {}
    union_members: dict[str, dict[str, str]] = {}
    for name, cls in classes.items():
        values = _int_assignments(cls)
        if values is None or name in table_names:
            continue
        creator = functions.get(f"{name}Creator")
        if creator is not None:
            members: dict[str, str] = {}
            for node in ast.walk(creator):
                if not (isinstance(node, ast.If) and isinstance(node.test, ast.Compare)):
                    continue
                right = node.test.comparators[0]
                ret = node.body[0]
                if (
                    isinstance(right, ast.Attribute)
                    and isinstance(ret, ast.Return)
                    and isinstance(ret.value, ast.Call)
                    and isinstance(ret.value.func, ast.Attribute)
                    and isinstance(ret.value.func.value, ast.Name)
                ):
                    obj_class = ret.value.func.value.id
                    members[right.attr] = obj_class[:-1] if obj_class.endswith("T") else obj_class
            unions[name] = values
            union_members[name] = members
        elif (
            values.get("NONE") == 0
            and len(values) > 1
            and all(m in table_names for m in values if m != "NONE")
        ):
            # No object API generated: a union is an enum whose members are all tables.
            unions[name] = values
            union_members[name] = {m: m for m in values if m != "NONE"}
        else:
            enums[name] = values

    tables: dict[str, GenTable] = {}
    structs: set[str] = set()
    for name in sorted(table_names):
        cls = classes[name]
        start = functions.get(f"{name}Start")
        if start is None:
            structs.add(name)
            continue
        m = re.search(r"StartObject\((\d+)\)", ast.unparse(start))
        table = GenTable(name, int(m.group(1)) if m else None)
        # Union value accessors name their union in the object API class's _UnPack.
        union_of: dict[str, str] = {}
        obj_api = classes.get(f"{name}T")
        if obj_api is not None:
            for cm in re.finditer(
                r"(\w+)Creator\(self\.\w+, \w+\.(\w+)\(\)\)", ast.unparse(obj_api)
            ):
                union_of[cm.group(2)] = cm.group(1)
        by_offset: dict[int, list[ast.FunctionDef]] = {}
        for stmt in cls.body:
            if isinstance(stmt, ast.FunctionDef):
                off = _offset_of(stmt)
                if off is not None:
                    by_offset.setdefault(off, []).append(stmt)
        primaries = {off: min(funcs, key=lambda f: len(f.name)) for off, funcs in by_offset.items()}
        union_methods = {
            f.name for f in primaries.values() if _accessor_type(ast.unparse(f)) == "union"
        }
        for off, func in sorted(primaries.items()):
            src = ast.unparse(func)
            kind = _accessor_type(src)
            default = None
            if kind == "union":
                kind = f"union:{union_of.get(func.name, '?')}"
            elif func.name.endswith("Type") and func.name[: -len("Type")] in union_methods:
                kind = f"union_type:{union_of.get(func.name[: -len('Type')], '?')}"
            elif not kind.startswith(("[", "string", "table:", "struct:")):
                default = _returned_default(func)
            table.fields[func.name] = GenField(func.name, (off - 4) // 2, kind, default)
        tables[name] = table
    return GenModule(label, path, tables, structs, enums, unions, union_members, identifier)


# --------------------------------------------------------------------------------------------
# Comparing our compiled schema with a generated module
# --------------------------------------------------------------------------------------------


def camel(snake: str) -> str:
    """flatc's accessor name for a field: `shape_signature` -> `ShapeSignature`."""
    return "".join(part[:1].upper() + part[1:] for part in snake.split("_"))


def snake_guess(method: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", method).lower()


def describe_ours(ftype: FieldType) -> str:
    """Our field type in the notation of `_accessor_type` (enum-typed scalars by their scalar)."""
    if ftype.kind == "scalar":
        return ftype.scalar or "?"
    if ftype.kind == "string":
        return "string"
    if ftype.kind in ("table", "struct", "union", "union_type"):
        return f"{ftype.kind}:{ftype.ref}"
    if ftype.kind == "vector":
        assert ftype.element is not None
        return f"[{describe_ours(ftype.element)}]"
    return ftype.kind


def _types_match(ours: str, theirs: str) -> bool:
    if theirs.endswith(":?"):  # union named nowhere in the generated code
        return ours.split(":")[0] == theirs.split(":")[0]
    return ours == theirs


def _defaults_match(ours: object, theirs: object) -> bool:
    if isinstance(ours, bool) or isinstance(theirs, bool):
        return isinstance(ours, bool) and isinstance(theirs, bool) and ours == theirs
    if isinstance(ours, float) and isinstance(theirs, float) and math.isnan(ours):
        return math.isnan(theirs)
    return ours == theirs


@dataclass
class Drift:
    problems: list[str] = field(default_factory=list)  # always failures
    newer: list[str] = field(default_factory=list)  # in ours, not in the reference
    compared: dict[str, int] = field(default_factory=dict)


def compare(ours: Schema, ref: GenModule, *, exact: bool) -> Drift:
    """Everything in `ref` must be in `ours`, identical. With `exact`, ours may hold no more."""
    d = Drift()
    lbl = ref.label
    extra = d.problems if exact else d.newer

    if ref.file_identifier is not None and ref.file_identifier != ours.file_identifier:
        d.problems.append(
            f"file_identifier: {ours.file_identifier!r} in ours, {ref.file_identifier!r} in {lbl}"
        )
    for name in sorted(ref.structs ^ set(ours.structs)):
        where = "ours" if name in ours.structs else lbl
        d.problems.append(f"struct {name}: only in {where}")

    # Tables and their field slots.
    for tname, gtable in sorted(ref.tables.items()):
        table = ours.tables.get(tname)
        if table is None:
            d.problems.append(f"table {tname}: in {lbl}, missing in ours")
            continue
        ours_by_method = {camel(f.name): f for f in table.fields}
        for method, gfield in sorted(gtable.fields.items(), key=lambda kv: kv[1].slot):
            f = ours_by_method.get(method)
            if f is None:
                d.problems.append(
                    f"{tname}.{snake_guess(method)}: in {lbl} (slot {gfield.slot}, "
                    f"{gfield.type}, accessor {method}), missing in ours"
                )
                continue
            where = f"{tname}.{f.name}"
            if f.deprecated:
                d.problems.append(f"{where}: deprecated in ours, still a live field in {lbl}")
            if f.slot != gfield.slot:
                d.problems.append(f"{where}: slot {f.slot} in ours, {gfield.slot} in {lbl}")
            ours_type = describe_ours(f.type)
            if not _types_match(ours_type, gfield.type):
                d.problems.append(f"{where}: type {ours_type} in ours, {gfield.type} in {lbl}")
            elif f.type.kind == "scalar" and not _defaults_match(f.default, gfield.default):
                d.problems.append(
                    f"{where}: default {f.default!r} in ours, {gfield.default!r} in {lbl}"
                )
        their_slots = {g.slot for g in gtable.fields.values()}
        for f in table.fields:
            if camel(f.name) in gtable.fields:
                continue
            where = f"{tname}.{f.name}"
            if f.deprecated:
                # flatc generates no accessor for it; its slot must still be reserved there.
                in_range = gtable.num_slots is not None and f.slot < gtable.num_slots
                if f.slot in their_slots:
                    d.problems.append(f"{where}: deprecated slot {f.slot} is a live field in {lbl}")
                elif not in_range:
                    extra.append(f"{where}: deprecated slot {f.slot} in ours, beyond {lbl}'s table")
                continue
            extra.append(f"{where}: slot {f.slot} ({describe_ours(f.type)}) in ours, not in {lbl}")
        ours_slots = max((f.slot for f in table.fields), default=-1) + 1
        if gtable.num_slots is not None and ours_slots != gtable.num_slots:
            # A larger table in a superset comparison is already listed field by field.
            if exact or ours_slots < gtable.num_slots:
                d.problems.append(
                    f"table {tname}: {ours_slots} slots in ours, {gtable.num_slots} in {lbl}"
                )
    for tname in sorted(set(ours.tables) - set(ref.tables)):
        extra.append(f"table {tname}: in ours, not in {lbl}")

    # Enums.
    for ename, values in sorted(ref.enums.items()):
        enum = ours.enums.get(ename)
        if enum is None:
            kind = "a union" if ename in ours.unions else "missing"
            d.problems.append(f"enum {ename}: in {lbl}, {kind} in ours")
            continue
        for member, value in values.items():
            if member not in enum.values:
                d.problems.append(f"{ename}.{member}: = {value} in {lbl}, missing in ours")
            elif enum.values[member] != value:
                d.problems.append(
                    f"{ename}.{member}: {enum.values[member]} in ours, {value} in {lbl}"
                )
        for member in enum.values.keys() - values.keys():
            extra.append(f"{ename}.{member} = {enum.values[member]}: in ours, not in {lbl}")
    for ename in sorted(set(ours.enums) - set(ref.enums) - set(ref.unions)):
        extra.append(f"enum {ename}: in ours, not in {lbl}")

    # Unions: member values and member tables.
    for uname, values in sorted(ref.unions.items()):
        union = ours.unions.get(uname)
        if union is None:
            kind = "an enum" if uname in ours.enums else "missing"
            d.problems.append(f"union {uname}: in {lbl}, {kind} in ours")
            continue
        members = ref.union_members.get(uname, {})
        for member, value in values.items():
            if member not in union.values:
                d.problems.append(f"{uname}.{member}: = {value} in {lbl}, missing in ours")
                continue
            if union.values[member] != value:
                d.problems.append(
                    f"{uname}.{member}: {union.values[member]} in ours, {value} in {lbl}"
                )
            held = members.get(member)
            if member != "NONE" and held and union.member_types.get(member) != held:
                d.problems.append(
                    f"{uname}.{member}: holds {union.member_types.get(member)} in ours, "
                    f"{held} in {lbl}"
                )
        for member in union.values.keys() - values.keys():
            extra.append(f"{uname}.{member} = {union.values[member]}: in ours, not in {lbl}")
    for uname in sorted(set(ours.unions) - set(ref.unions) - set(ref.enums)):
        extra.append(f"union {uname}: in ours, not in {lbl}")

    d.compared = {
        "tables": len(ref.tables),
        "fields": sum(len(t.fields) for t in ref.tables.values()),
        "enums": len(ref.enums),
        "enum values": sum(len(v) for v in ref.enums.values()),
        "unions": len(ref.unions),
        "union members": sum(len(v) for v in ref.unions.values()),
    }
    return d


def _report(drift: Drift, title: str) -> str:
    lines = [f"{title}: {len(drift.problems)} difference(s)"]
    lines += [f"  - {p}" for p in drift.problems]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tflite_schema() -> Schema:
    return load_schema("tflite.fbs")


@pytest.fixture(scope="module")
def conversion_metadata_schema() -> Schema:
    return load_schema("conversion_metadata.fbs")


def _generated(spec: tuple[str, str], label: str) -> GenModule:
    path = locate_generated(*spec)
    if path is None:
        pytest.skip(f"{spec[0]} is not installed ({'/'.join(spec)} not found)")
    return analyse_generated(path, label)


@pytest.fixture(scope="module")
def litert_generated() -> GenModule:
    return _generated(LITERT_SCHEMA, LITERT)


@pytest.fixture(scope="module")
def tf_generated() -> GenModule:
    return _generated(TF_SCHEMA, TENSORFLOW)


@pytest.fixture(scope="module")
def tf_conversion_metadata_generated() -> GenModule:
    return _generated(TF_CONVERSION_METADATA, TENSORFLOW)


# --------------------------------------------------------------------------------------------
# Drift tests
# --------------------------------------------------------------------------------------------


def test_locating_generated_modules_imports_no_package() -> None:
    """Finding the generated files must not import ai_edge_litert or tensorflow (slow, heavy)."""
    code = textwrap.dedent(
        f"""
        import importlib.util, sys
        spec = importlib.util.spec_from_file_location("drift", {str(Path(__file__))!r})
        mod = importlib.util.module_from_spec(spec)
        sys.modules["drift"] = mod  # dataclasses look their module up there
        spec.loader.exec_module(mod)
        for pkg, rel in (mod.LITERT_SCHEMA, mod.TF_SCHEMA, mod.TF_CONVERSION_METADATA):
            mod.locate_generated(pkg, rel)
        heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("ai_edge_litert", "tensorflow"))
        print(heavy)
        """
    )
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_generated_module_analysis_sees_known_layout(litert_generated: GenModule) -> None:
    """Guards the analyser itself, so that a parsing regression cannot make the drift test vacuous."""
    gen = litert_generated
    assert len(gen.tables) > 150 and len(gen.enums) > 10 and len(gen.unions) >= 4
    assert gen.file_identifier == "TFL3"
    tensor = gen.tables["Tensor"].fields
    assert tensor["Shape"] == GenField("Shape", 0, "[int]", None)
    assert tensor["Type"].slot == 1 and tensor["Type"].type == "byte"
    assert tensor["Name"].type == "string"
    assert tensor["Quantization"].type == "table:QuantizationParameters"
    assert tensor["VariantTensors"].type == "[table:VariantSubType]"
    operator = gen.tables["Operator"].fields
    assert operator["BuiltinOptionsType"] == GenField(
        "BuiltinOptionsType", 3, "union_type:BuiltinOptions", None
    )
    assert operator["BuiltinOptions"] == GenField("BuiltinOptions", 4, "union:BuiltinOptions")
    assert operator["DebugMetadataIndex"].default == -1
    assert gen.tables["OperatorCode"].fields["Version"].default == 1
    resize = gen.tables["ResizeBilinearOptions"]
    assert resize.num_slots == 4 and set(resize.fields) == {"AlignCorners", "HalfPixelCenters"}
    assert gen.union_members["BuiltinOptions2"]["StablehloCaseOptions"] == "StablehloCaseOptions"
    assert gen.enums["BuiltinOperator"]["STABLEHLO_CASE"] == 209


def test_tflite_schema_matches_ai_edge_litert_exactly(
    tflite_schema: Schema, litert_generated: GenModule
) -> None:
    drift = compare(tflite_schema, litert_generated, exact=True)
    print(f"compared with {litert_generated.path}: {drift.compared}")
    assert not drift.problems, _report(drift, f"schemas/tflite.fbs vs {litert_generated.path}")


def test_tflite_schema_is_a_superset_of_tensorflow(
    tflite_schema: Schema,
    tf_generated: GenModule,
    record_property: Callable[[str, object], None],
) -> None:
    drift = compare(tflite_schema, tf_generated, exact=False)
    print(f"compared with {tf_generated.path}: {drift.compared}")
    if drift.newer:
        print(f"newer than tensorflow's generated schema ({len(drift.newer)}):")
        print("\n".join(f"  + {n}" for n in drift.newer))
    record_property("newer_than_tensorflow", drift.newer)
    assert not drift.problems, _report(drift, f"schemas/tflite.fbs vs {tf_generated.path}")


def test_conversion_metadata_schema_matches_tensorflow(
    conversion_metadata_schema: Schema, tf_conversion_metadata_generated: GenModule
) -> None:
    gen = tf_conversion_metadata_generated
    drift = compare(conversion_metadata_schema, gen, exact=True)
    print(f"compared with {gen.path}: {drift.compared}")
    assert drift.compared["tables"] == 4 and drift.compared["enums"] == 2
    assert not drift.problems, _report(drift, f"schemas/conversion_metadata.fbs vs {gen.path}")


def test_compare_reports_every_difference_precisely(litert_generated: GenModule) -> None:
    """A doctored schema yields one precise line per change, all in one report."""
    text = (Path(__file__).resolve().parent.parent / "schemas" / "tflite.fbs").read_text()
    text = text.replace("  variant_tensors:[VariantSubType];\n", "", 1)  # shifts external_buffer
    text = text.replace("  FLOAT8_E5M2 = 22,\n", "  FLOAT8_E5M2 = 23,\n", 1)
    text = text.replace("  version:int = 1;\n", "  version:int = 2;\n", 1)
    text = text.replace("  StablehloCaseOptions,\n}", "}", 1)
    drift = compare(parse_schema(text), litert_generated, exact=True)
    assert set(drift.problems) >= {
        "Tensor.external_buffer: slot 9 in ours, 10 in ai_edge_litert",
        "TensorType.FLOAT8_E5M2: 23 in ours, 22 in ai_edge_litert",
        "OperatorCode.version: default 2 in ours, 1 in ai_edge_litert",
        "BuiltinOptions2.StablehloCaseOptions: = 23 in ai_edge_litert, missing in ours",
        "table Tensor: 10 slots in ours, 11 in ai_edge_litert",
    }, "\n".join(drift.problems)
    assert any(
        p.startswith("Tensor.variant_tensors: in ai_edge_litert (slot 9") for p in drift.problems
    )


# --------------------------------------------------------------------------------------------
# Landmarks of the compiled schemas
# --------------------------------------------------------------------------------------------


def test_tflite_schema_landmarks(tflite_schema: Schema) -> None:
    s = tflite_schema
    assert s.namespace == "tflite"
    assert s.root_type == "Model"
    assert s.file_identifier == "TFL3"
    assert s.file_extension == "tflite"
    assert s.enums["BuiltinOperator"].values["STABLEHLO_CASE"] == 209
    assert s.enums["BuiltinOperator"].scalar == "int"
    assert s.enums["TensorType"].values["FLOAT8_E5M2"] == 22
    assert s.enums["TensorType"].scalar == "byte"
    assert "StablehloCaseOptions" in s.unions["BuiltinOptions2"].values
    assert (
        s.unions["BuiltinOptions2"].member_types["StablehloCaseOptions"] == "StablehloCaseOptions"
    )
    assert set(s.unions["QuantizationDetails"].values) == {
        "NONE",
        "CustomQuantization",
        "BlockwiseQuantization",
        "MultiAxisQuantization",
    }
    op = s.tables["Operator"].by_name
    assert (op["builtin_options_type"].slot, op["builtin_options"].slot) == (3, 4)
    assert op["builtin_options_type"].type.kind == "union_type"
    assert (op["builtin_options_2_type"].slot, op["builtin_options_2"].slot) == (11, 12)
    assert op["debug_metadata_index"].slot == 13 and op["debug_metadata_index"].default == -1
    assert s.tables["SubGraph"].by_name["debug_metadata_index"].default == -1
    assert s.tables["OperatorCode"].by_name["version"].default == 1
    assert s.tables["Tensor"].by_name["external_buffer"].slot == 10
    assert s.tables["Buffer"].by_name["data"].attributes.get("force_align") == "16"
    assert s.tables["CustomQuantization"].by_name["custom"].attributes.get("force_align") == "16"
    deprecated = {(t.name, f.name) for t in s.tables.values() for f in t.fields if f.deprecated}
    assert deprecated == {
        ("ResizeBilinearOptions", "new_height"),
        ("ResizeBilinearOptions", "new_width"),
        ("SignatureDef", "deprecated_tag"),
    }
    model = [f.name for f in s.tables["Model"].fields]
    assert model[-2:] == ["external_buffer_groups", "external_buffers"]


def test_conversion_metadata_schema_landmarks(conversion_metadata_schema: Schema) -> None:
    s = conversion_metadata_schema
    assert s.root_type == "ConversionMetadata"
    assert s.file_identifier is None
    assert s.enums["ModelOptimizationMode"].values["QUANTIZATION_AWARE_TRAINING"] == 2000
    assert s.enums["ModelType"].values["PYTORCH"] == 7
    env = s.tables["Environment"].by_name
    assert env["model_hash"].type.scalar == "ulong" and env["model_type"].type.ref == "ModelType"


# --------------------------------------------------------------------------------------------
# The compiler rejects malformed text with the line of the problem
# --------------------------------------------------------------------------------------------

_PRELUDE = "namespace t;\ntable Root { x:int; }\nroot_type Root;\n"  # lines 1-3


@pytest.mark.parametrize(
    ("snippet", "line", "fragment"),
    [
        ("table A {\n  x:int\n}", 6, "expected ';'"),
        ("table A {\n  x:Nope;\n}", 5, "unknown type Nope"),
        ("table A {\n  x:int = maybe;\n}", 5, "bad default"),
        ("enum E : string { X }", 4, "non-scalar"),
        ("struct S {\n  v:[int];\n}", 5, "cannot hold a vector"),
        ("table A {\n  x:int;\n", 5, ""),  # unterminated table
        ("union U { Root = }", 4, "expected number"),
        ("tabel A { x:int; }", 4, "unexpected 'tabel'"),
    ],
    ids=[
        "missing-semicolon",
        "unknown-type",
        "bad-default",
        "non-scalar-enum",
        "vector-in-struct",
        "unterminated",
        "union-value",
        "unknown-keyword",
    ],
)
def test_parse_schema_rejects_malformed_text_with_line(
    snippet: str, line: int, fragment: str
) -> None:
    with pytest.raises(SchemaError) as info:
        parse_schema(_PRELUDE + snippet)
    message = str(info.value)
    assert re.match(rf"line {line}\b", message), message
    assert fragment in message


def test_parse_schema_rejects_schema_without_root_type() -> None:
    with pytest.raises(SchemaError, match="root_type"):
        parse_schema("namespace t;\ntable A { x:int; }\n")


# Corner cases of the compiler's grammar and error reporting.


def test_parse_schema_accepts_attributes_on_enum_values_and_union_members() -> None:
    s = parse_schema(
        _PRELUDE + "enum E : int { A = 1, B = 2 (deprecated), C = 3 }\n"
        "union U { Root, Other (deprecated) }\ntable Other {}\n"
    )
    assert s.enums["E"].values == {"A": 1, "B": 2, "C": 3}
    assert s.unions["U"].values == {"NONE": 0, "Root": 1, "Other": 2}


def test_parse_schema_accepts_identifiers_starting_like_inf_or_nan() -> None:
    s = parse_schema(_PRELUDE + "table A { info:int; nanos:long; }\n")
    assert [f.name for f in s.tables["A"].fields] == ["info", "nanos"]


def test_parse_schema_reports_the_offending_character_and_its_line() -> None:
    with pytest.raises(SchemaError) as info:
        parse_schema(_PRELUDE + "table A { x:int; }\n\n  $\n")
    assert str(info.value).startswith("line 6: unexpected character '$'"), str(info.value)
