"""A small FlatBuffers schema (`.fbs`) compiler.

It reads the subset of the FlatBuffers IDL that describes binary layouts (namespace, enum, union,
table, struct, root_type, file_identifier, attributes, comments) and produces, per table, the list
of field slots with their wire types. The reader and the verifier work from these tables only; they
never look at names of any particular format.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "SCALARS",
    "Enum",
    "Field",
    "FieldType",
    "Schema",
    "SchemaError",
    "Struct",
    "Table",
    "Union",
    "load_schema",
    "parse_schema",
]

# name -> (struct format char, byte size); aliases map onto the same entries.
SCALARS: dict[str, tuple[str, int]] = {
    "bool": ("?", 1),
    "byte": ("b", 1),
    "ubyte": ("B", 1),
    "short": ("h", 2),
    "ushort": ("H", 2),
    "int": ("i", 4),
    "uint": ("I", 4),
    "long": ("q", 8),
    "ulong": ("Q", 8),
    "float": ("f", 4),
    "double": ("d", 8),
}
_ALIASES = {
    "int8": "byte",
    "uint8": "ubyte",
    "int16": "short",
    "uint16": "ushort",
    "int32": "int",
    "uint32": "uint",
    "int64": "long",
    "uint64": "ulong",
    "float32": "float",
    "float64": "double",
}


class SchemaError(ValueError):
    """The `.fbs` text could not be compiled; the message names the line."""


@dataclass(frozen=True)
class FieldType:
    """The wire type of a field or of a vector element.

    kind is one of: "scalar", "string", "table", "struct", "union", "union_type", "vector".
    For "scalar" and "union_type", `scalar` is the base scalar name ("int", "ubyte", ...), and
    `ref` names the enum when the field is enum-typed. For "table", "struct" and "union", `ref`
    names the definition. For "vector", `element` is the element type.
    """

    kind: str
    scalar: str | None = None
    ref: str | None = None
    element: FieldType | None = None

    @property
    def size(self) -> int:
        """Inline byte size of one value of this type (offsets count 4)."""
        if self.kind in ("scalar", "union_type"):
            assert self.scalar is not None
            return SCALARS[self.scalar][1]
        return 4

    @property
    def fmt(self) -> str:
        """The `struct` format character of a scalar type."""
        assert self.scalar is not None
        return SCALARS[self.scalar][0]

    def describe(self) -> str:
        """A short human name, e.g. `[int]`, `string`, `Tensor`, `ubyte`."""
        if self.kind == "vector":
            assert self.element is not None
            return f"[{self.element.describe()}]"
        if self.kind in ("scalar", "union_type"):
            return self.ref or self.scalar or "?"
        return self.ref or self.kind


@dataclass(frozen=True)
class Field:
    """One field slot of a table. `slot` is the vtable index; `voffset` its byte offset."""

    name: str
    slot: int
    type: FieldType
    default: int | float | bool | None = None
    deprecated: bool = False
    attributes: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def voffset(self) -> int:
        return 4 + 2 * self.slot


@dataclass(frozen=True)
class Table:
    name: str
    fields: tuple[Field, ...]
    by_name: dict[str, Field] = field(compare=False, repr=False)


@dataclass(frozen=True)
class StructField:
    name: str
    type: FieldType
    offset: int


@dataclass(frozen=True)
class Struct:
    name: str
    fields: tuple[StructField, ...]
    size: int
    align: int


@dataclass(frozen=True)
class Enum:
    name: str
    scalar: str
    values: dict[str, int]
    names: dict[int, str] = field(compare=False, repr=False)


@dataclass(frozen=True)
class Union:
    """A union: member name -> type value (NONE = 0 is implicit) and member -> table name."""

    name: str
    values: dict[str, int]
    names: dict[int, str] = field(compare=False, repr=False)
    member_types: dict[str, str] = field(compare=False, repr=False)


@dataclass(frozen=True)
class Schema:
    namespace: str
    file_identifier: str | None
    file_extension: str | None
    root_type: str
    tables: dict[str, Table]
    structs: dict[str, Struct]
    enums: dict[str, Enum]
    unions: dict[str, Union]

    def element_size(self, element: FieldType) -> int:
        """Bytes of one element of a vector of `element`: a struct's own size, else the
        type's inline size (offsets count 4)."""
        if element.kind == "struct":
            assert element.ref is not None
            return self.structs[element.ref].size
        return element.size


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<comment>//[^\n]*|/\*.*?\*/)
      | (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<number>[-+]?(?:0[xX][0-9a-fA-F]+|\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|inf(?![\w.])|nan(?![\w.])))
      | (?P<ident>[A-Za-z_][A-Za-z0-9_.]*)
      | (?P<punct>[{}()\[\]:;,=])
    )""",
    re.VERBOSE | re.DOTALL,
)


def _tokenize(text: str) -> list[tuple[str, str, int]]:
    tokens: list[tuple[str, str, int]] = []
    pos = 0
    line = 1
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            bad = pos + len(text[pos:]) - len(text[pos:].lstrip())
            line += text.count("\n", pos, bad)
            raise SchemaError(f"line {line}: unexpected character {text[bad]!r}")
        kind = m.lastgroup or ""
        value = m.group(kind)
        line += text.count("\n", pos, m.start(kind))
        if kind != "comment":
            tokens.append((kind, value, line))
        line += value.count("\n")
        pos = m.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.i = 0

    def peek(self) -> str | None:
        return self.tokens[self.i][1] if self.i < len(self.tokens) else None

    def line(self) -> int:
        if self.i < len(self.tokens):
            return self.tokens[self.i][2]
        return self.tokens[-1][2] if self.tokens else 0

    def take(self, expected: str | None = None) -> str:
        if self.i >= len(self.tokens):
            raise SchemaError(f"line {self.line()}: unexpected end of schema")
        value = self.tokens[self.i][1]
        if expected is not None and value != expected:
            raise SchemaError(f"line {self.line()}: expected {expected!r}, found {value!r}")
        self.i += 1
        return value

    def take_kind(self, kind: str) -> str:
        if self.i >= len(self.tokens) or self.tokens[self.i][0] != kind:
            found = self.peek()
            raise SchemaError(f"line {self.line()}: expected {kind}, found {found!r}")
        return self.take()

    def attributes(self) -> dict[str, str]:
        attrs: dict[str, str] = {}
        if self.peek() != "(":
            return attrs
        self.take("(")
        while self.peek() != ")":
            key = self.take_kind("ident")
            value = ""
            if self.peek() == ":":
                self.take(":")
                value = self.take().strip('"')
            attrs[key] = value
            if self.peek() == ",":
                self.take(",")
        self.take(")")
        return attrs


@dataclass
class _RawField:
    name: str
    type_name: str
    is_vector: bool
    default: str | None
    attrs: dict[str, str]
    line: int


def _parse_number(text: str) -> int | float:
    low = text.lower()
    if low.lstrip("+-") in ("inf", "nan"):
        return float(low)
    if low.lstrip("+-").startswith("0x"):
        return int(text, 16)
    if any(c in low for c in ".e") and not low.lstrip("+-").startswith("0x"):
        return float(text)
    return int(text)


def parse_schema(text: str) -> Schema:
    """Compiles `.fbs` text into a Schema. Raises SchemaError naming the line of a problem."""
    p = _Parser(text)
    namespace = ""
    file_identifier = file_extension = None
    root_type = None
    raw_tables: dict[str, tuple[bool, list[_RawField]]] = {}
    enums: dict[str, Enum] = {}
    union_raw: dict[str, list[tuple[str, str, int | None]]] = {}
    while p.peek() is not None:
        word_line = p.line()
        word = p.take()
        if word == "namespace":
            namespace = p.take_kind("ident")
            p.take(";")
        elif word in ("file_identifier", "file_extension"):
            value = p.take_kind("string").strip('"')
            p.take(";")
            if word == "file_identifier":
                file_identifier = value
            else:
                file_extension = value
        elif word == "root_type":
            root_type = p.take_kind("ident")
            p.take(";")
        elif word in ("include", "attribute"):
            p.take_kind("string")
            p.take(";")
        elif word == "enum":
            enum = _parse_enum(p)
            enums[enum.name] = enum
        elif word == "union":
            name = p.take_kind("ident")
            p.attributes()
            p.take("{")
            members: list[tuple[str, str, int | None]] = []
            while p.peek() != "}":
                member = p.take_kind("ident")
                type_name = member
                if p.peek() == ":":
                    p.take(":")
                    type_name = p.take_kind("ident")
                explicit: int | None = None
                if p.peek() == "=":
                    p.take("=")
                    explicit = int(_parse_number(p.take_kind("number")))
                p.attributes()  # e.g. (deprecated)
                members.append((member, type_name, explicit))
                if p.peek() == ",":
                    p.take(",")
            p.take("}")
            union_raw[name] = members
        elif word in ("table", "struct"):
            name = p.take_kind("ident")
            p.attributes()
            p.take("{")
            fields: list[_RawField] = []
            while p.peek() != "}":
                line = p.line()
                fname = p.take_kind("ident")
                p.take(":")
                is_vector = p.peek() == "["
                if is_vector:
                    p.take("[")
                type_name = p.take_kind("ident")
                if is_vector:
                    p.take("]")
                default = None
                if p.peek() == "=":
                    p.take("=")
                    default = p.take()
                attrs = p.attributes()
                p.take(";")
                fields.append(_RawField(fname, type_name, is_vector, default, attrs, line))
            p.take("}")
            raw_tables[name] = (word == "struct", fields)
        elif word == ";":
            continue
        else:
            raise SchemaError(f"line {word_line}: unexpected {word!r}")
    if root_type is None:
        raise SchemaError("the schema declares no root_type")

    unions: dict[str, Union] = {}
    for name, members in union_raw.items():
        values: dict[str, int] = {"NONE": 0}
        member_types: dict[str, str] = {}
        nxt = 1
        for member, type_name, explicit in members:
            if explicit is not None:
                nxt = explicit
            values[member] = nxt
            member_types[member] = type_name
            nxt += 1
        unions[name] = Union(name, values, {v: k for k, v in values.items()}, member_types)

    structs: dict[str, Struct] = {}
    tables: dict[str, Table] = {}
    for name, (is_struct, raw_fields) in raw_tables.items():
        if is_struct:
            structs[name] = _compile_struct(name, raw_fields, enums, structs)
    for name, (is_struct, raw_fields) in raw_tables.items():
        if not is_struct:
            tables[name] = _compile_table(name, raw_fields, raw_tables, enums, unions)
    if root_type not in tables:
        raise SchemaError(f"root_type {root_type} is not a table")
    for union in unions.values():
        for member, type_name in union.member_types.items():
            if type_name not in tables:
                raise SchemaError(f"union {union.name} member {member} is not a table")
    return Schema(
        namespace, file_identifier, file_extension, root_type, tables, structs, enums, unions
    )


def _parse_enum(p: _Parser) -> Enum:
    name = p.take_kind("ident")
    p.take(":")
    base = _ALIASES.get(p.take_kind("ident"), p.tokens[p.i - 1][1])
    if base not in SCALARS:
        raise SchemaError(f"line {p.line()}: enum {name} has a non-scalar type {base}")
    p.attributes()
    p.take("{")
    values: dict[str, int] = {}
    nxt = 0
    while p.peek() != "}":
        member = p.take_kind("ident")
        if p.peek() == "=":
            p.take("=")
            nxt = int(_parse_number(p.take_kind("number")))
        p.attributes()  # e.g. (deprecated)
        values[member] = nxt
        nxt += 1
        if p.peek() == ",":
            p.take(",")
    p.take("}")
    names: dict[int, str] = {}
    for member, value in values.items():
        names.setdefault(value, member)
    return Enum(name, base, values, names)


def _resolve_type(
    type_name: str,
    enums: dict[str, Enum],
    raw_tables: dict[str, tuple[bool, list[_RawField]]],
    unions: dict[str, Union],
    where: str,
) -> FieldType:
    base = _ALIASES.get(type_name, type_name)
    if base in SCALARS:
        return FieldType("scalar", scalar=base)
    if base == "string":
        return FieldType("string")
    if base in enums:
        return FieldType("scalar", scalar=enums[base].scalar, ref=base)
    if base in unions:
        return FieldType("union", ref=base)
    if base in raw_tables:
        return FieldType("struct" if raw_tables[base][0] else "table", ref=base)
    raise SchemaError(f"{where}: unknown type {type_name}")


def _default_value(
    raw: _RawField, ftype: FieldType, enums: dict[str, Enum]
) -> int | float | bool | None:
    if ftype.kind != "scalar":
        return None
    text = raw.default
    if text is None:
        return (
            False if ftype.scalar == "bool" else (0.0 if ftype.scalar in ("float", "double") else 0)
        )
    if text in ("true", "false"):
        return text == "true"
    if ftype.ref and text in enums[ftype.ref].values:
        return enums[ftype.ref].values[text]
    try:
        number = _parse_number(text)
    except ValueError as err:
        raise SchemaError(f"line {raw.line}: bad default {text!r}") from err
    if ftype.scalar == "bool":
        return bool(number)
    return float(number) if ftype.scalar in ("float", "double") else int(number)


def _compile_table(
    name: str,
    raw_fields: list[_RawField],
    raw_tables: dict[str, tuple[bool, list[_RawField]]],
    enums: dict[str, Enum],
    unions: dict[str, Union],
) -> Table:
    fields: list[Field] = []
    slot = 0
    explicit_ids = [r for r in raw_fields if "id" in r.attrs]
    if explicit_ids and len(explicit_ids) != len(raw_fields):
        raise SchemaError(f"table {name}: either all fields or none carry an id attribute")
    for raw in raw_fields:
        where = f"line {raw.line} ({name}.{raw.name})"
        ftype = _resolve_type(raw.type_name, enums, raw_tables, unions, where)
        if raw.is_vector:
            if ftype.kind == "union":
                raise SchemaError(f"{where}: vectors of unions are not supported")
            ftype = FieldType("vector", element=ftype)
        if explicit_ids:
            slot = int(raw.attrs["id"]) - (1 if ftype.kind == "union" else 0)
        deprecated = "deprecated" in raw.attrs
        if ftype.kind == "union":
            assert ftype.ref is not None
            type_field = Field(
                raw.name + "_type",
                slot,
                FieldType("union_type", scalar="ubyte", ref=ftype.ref),
                0,
                deprecated,
                {},
            )
            fields.append(type_field)
            slot += 1
        fields.append(
            Field(raw.name, slot, ftype, _default_value(raw, ftype, enums), deprecated, raw.attrs)
        )
        slot += 1
    by_name = {f.name: f for f in fields}
    if len(by_name) != len(fields):
        raise SchemaError(f"table {name}: duplicate field names")
    return Table(name, tuple(sorted(fields, key=lambda f: f.slot)), by_name)


def _compile_struct(
    name: str, raw_fields: list[_RawField], enums: dict[str, Enum], structs: dict[str, Struct]
) -> Struct:
    offset = 0
    align = 1
    out: list[StructField] = []
    for raw in raw_fields:
        base = _ALIASES.get(raw.type_name, raw.type_name)
        if raw.is_vector:
            raise SchemaError(f"line {raw.line}: struct {name} cannot hold a vector")
        if base in enums:
            ftype = FieldType("scalar", scalar=enums[base].scalar, ref=base)
            size = SCALARS[ftype.scalar or "ubyte"][1]
        elif base in SCALARS:
            ftype = FieldType("scalar", scalar=base)
            size = SCALARS[base][1]
        else:
            raise SchemaError(f"line {raw.line}: struct {name} field {raw.name} must be a scalar")
        offset = (offset + size - 1) // size * size
        out.append(StructField(raw.name, ftype, offset))
        offset += size
        align = max(align, size)
    size = (offset + align - 1) // align * align
    return Struct(name, tuple(out), size, align)


SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"


@functools.cache
def load_schema(name: str = "tflite.fbs") -> Schema:
    """Compiles a schema shipped with the package (cached per name)."""
    path = SCHEMA_DIR / name
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise SchemaError(f"cannot read schema {path}: {err.strerror}") from err
    return parse_schema(text)
