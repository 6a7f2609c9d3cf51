"""A large subgraph's tensors and operators read as columns (`_vector.TableColumns`), the
vectorised path of graph.py. Each function returns None when a column check fails, so the scalar
path (`_elements`) reads the whole vector and reports the failure as it always has; an element
the columns leave out (sparse tensors, custom options, quantization details) is read by the
scalar path alone. Equal, field by field, to what the scalar path makes (tests/model compare
both paths on every fixture, corpus model and damaged copy).
"""

from __future__ import annotations

import struct
from typing import Any

from ..flatbuf import FlatBufError, Table
from . import _vector
from ._elements import UNIONS, TensorContext, build_operator, build_tensor
from ._reader import ModelTables
from ._vector_options import LATER, union_options
from .objects import Operator, Tensor, builder
from .options import called_subgraphs, decode_options
from .quantization import Quantization

__all__ = ["vector_operators", "vector_tensors"]


class _Unpackers(dict[int, Any]):
    """n -> the unpacker of n little-endian values of one struct code, made once per n."""

    def __init__(self, code: str) -> None:
        super().__init__()
        self.code = code

    def __missing__(self, n: int) -> Any:
        fn = self[n] = struct.Struct(f"<{n}{self.code}").unpack_from
        return fn


_I32 = _Unpackers("i")
_I64 = _Unpackers("q")
_F32 = _Unpackers("f")

# The vectorised paths' makers (objects.builder: equal objects, half the cost of __init__).
_operator = builder(Operator)
_quantization = builder(Quantization)

# The model's private helpers (_fail, _get, _tables) are shared with this
# module on purpose, through the ModelTables protocol that Model satisfies.


def vector_tensors(
    model: ModelTables, sg: int, vec: Any, n: int, ctx: TensorContext
) -> tuple[Tensor, ...] | None:
    """The tensors of a large subgraph read as columns (`_vector.TableColumns`); None when a
    column check fails, so the scalar path reads them and reports the failure as it always has.
    Equal, field by field, to what `_build_tensor` makes (tests/model compare both paths)."""
    schema = model.schema
    assert vec.element.ref is not None
    tdef = schema.tables[vec.element.ref]
    cols = _vector.TableColumns.read(vec, n, tdef)
    if cols is None:
        return None
    types = cols.scalars("type")
    buffer_ids = cols.scalars("buffer")
    variables = cols.scalars("is_variable")
    ranks = cols.scalars("has_rank")
    externals = cols.scalars("external_buffer")
    names = cols.targets("name", 1)
    shapes = cols.targets("shape", 4)
    signatures = cols.targets("shape_signature", 4)
    sparse_off = cols.offsets("sparsity")
    if (
        types is None
        or buffer_ids is None
        or variables is None
        or ranks is None
        or externals is None
        or names is None
        or shapes is None
        or signatures is None
    ):
        return None
    name_at, name_len = (a.tolist() for a in names)
    shape_at, shape_len = (a.tolist() for a in shapes)
    sig_at, sig_len = (a.tolist() for a in signatures)
    has_sparse = (sparse_off != 0).tolist()
    view = vec.src.view
    qref = tdef.by_name["quantization"].type.ref
    assert qref is not None
    qdef = schema.tables[qref]
    quants = _vector_quantization(cols, qdef, n, view)
    if quants is None:
        return None
    make, size_of = ctx.tensor, ctx.nbytes
    out: list[Tensor] = []
    append = out.append
    for i in range(n):
        try:
            quant = quants[i]
            if quant is _REDO or has_sparse[i]:
                raise _Redo
            buffer, external = buffer_ids[i], externals[i]
            s_at = shape_at[i]
            g_at = sig_at[i]
            a = name_at[i]
            append(
                make(
                    sg,
                    i,
                    str(view[a + 4 : a + 4 + name_len[i]], "utf-8", "replace") if a else "",
                    types[i],
                    _I32[shape_len[i]](view, s_at + 4) if s_at else (),
                    _I32[sig_len[i]](view, g_at + 4) if g_at else None,
                    bool(ranks[i]),
                    bool(variables[i]),
                    buffer,
                    external,
                    quant,
                    None,
                    size_of(buffer, external),
                )
            )
        except (FlatBufError, _Redo):
            # Nothing was recorded for this element yet: the scalar path reads it again and
            # reports its failure exactly as it would have.
            append(build_tensor(model, sg, i, vec[i], ctx))
    return tuple(out)


def _vector_quantization(
    cols: _vector.TableColumns, qdef: Any, n: int, view: memoryview
) -> list[Any] | None:
    """Per tensor, what `read_quantization` returns for its table (None where absent, `_REDO`
    where it has details, left to the scalar path); None when a column check fails."""
    found = cols.subtables("quantization", qdef)
    if found is None:
        return None
    where, qc = found
    out: list[Any] = [None] * n
    if qc is None:
        return out
    cols_ = (
        qc.targets("scale", 4),
        qc.targets("zero_point", 8),
        qc.targets("min", 4),
        qc.targets("max", 4),
    )
    details = qc.scalars("details_type")
    dims = qc.scalars("quantized_dimension")
    pairs = [c for c in cols_ if c is not None]
    if details is None or dims is None or len(pairs) < len(cols_):
        return None
    (s_at, s_n), (z_at, z_n), (lo_at, lo_n), (hi_at, hi_n) = (
        (a.tolist(), c.tolist()) for a, c in pairs
    )
    for k, i in enumerate(where.tolist()):
        if details[k]:
            out[i] = _REDO
            continue
        scale = _F32[s_n[k]](view, s_at[k] + 4) if s_at[k] else ()
        zero = _I64[z_n[k]](view, z_at[k] + 4) if z_at[k] else ()
        lo = _F32[lo_n[k]](view, lo_at[k] + 4) if lo_at[k] else ()
        hi = _F32[hi_n[k]](view, hi_at[k] + 4) if hi_at[k] else ()
        if scale or zero or lo or hi:
            out[i] = _quantization(
                scales=scale, zero_points=zero, quantized_dimension=dims[k], min=lo, max=hi
            )
    return out


_REDO = object()


class _Redo(Exception):
    """An element the vectorised path leaves to the scalar one (sparse tensors)."""


def vector_operators(model: ModelTables, sg: int, vec: Any, n: int) -> tuple[Operator, ...] | None:
    """The operators of a large subgraph read as columns; None when a column check fails (the
    scalar path then reads them). Operators with custom options or mutating variable inputs are
    left to `_build_operator`, one by one. Equal to what `_build_operator` makes."""
    schema = model.schema
    assert vec.element.ref is not None
    cols = _vector.TableColumns.read(vec, n, schema.tables[vec.element.ref])
    if cols is None:
        return None
    scalars = [
        cols.scalars(name)
        for name in (
            "opcode_index",
            "builtin_options_type",
            "builtin_options_2_type",
            "custom_options_format",
            "large_custom_options_offset",
            "large_custom_options_size",
            "debug_metadata_index",
        )
    ]
    vectors = [cols.targets(name, 4) for name in ("inputs", "outputs", "intermediates")]
    unions = [cols._follow(name) for name in ("builtin_options", "builtin_options_2")]
    got = [c for c in scalars if c is not None]
    pairs = [c for c in vectors if c is not None]
    followed = [c for c in unions if c is not None]
    if len(got) < len(scalars) or len(pairs) < len(vectors) or len(followed) < len(unions):
        return None
    opcodes, types1, types2, formats, large_offs, large_sizes, debugs = got
    (in_at, in_n), (out_at, out_n), (mid_at, mid_n) = ((a.tolist(), c.tolist()) for a, c in pairs)
    targets = [t.tolist() for _, t in followed]
    other = (cols.offsets("custom_options") != 0) | (cols.offsets("mutating_variable_inputs") != 0)
    redo = other.tolist()
    codes = model.operator_codes
    ncodes = len(codes)
    src = vec.src
    view = src.view
    path = vec.path
    udefs = [schema.unions[UNIONS[u]] for u in ("builtin_options", "builtin_options_2")]
    decoded = [
        union_options(cols, schema, udefs[u], raw, targets[u])
        for u, raw in enumerate((types1, types2))
    ]
    out: list[Operator] = []
    append = out.append
    for i in range(n):
        try:
            if redo[i] or large_offs[i] > 1:
                raise _Redo
            opcode_index = opcodes[i]
            opcode = codes[opcode_index] if opcode_index < ncodes else None
            options: dict[str, Any] = {}
            called: tuple[int, ...] = ()
            types: list[str | None] = []
            for u, raw in enumerate((types1[i], types2[i])):
                member = None
                if raw:
                    udef = udefs[u]
                    member = udef.names.get(raw)
                    if member is None:
                        member = f"UNKNOWN_{raw}"
                    else:
                        values = decoded[u][0][i]
                        if values is LATER:
                            union = ("builtin_options", "builtin_options_2")[u]
                            table = Table(
                                src,
                                schema,
                                schema.tables[udef.member_types[member]],
                                targets[u][i],
                                f"{path}[{i}].{union}",
                            )
                            options.update(decode_options(table))
                            called += called_subgraphs(table)
                        elif values is not None:
                            if options:
                                options.update(values)
                            else:
                                options = values
                            called += decoded[u][1][i]
                types.append(member)
            a, b, c = in_at[i], out_at[i], mid_at[i]
            append(
                _operator(
                    index=i,
                    subgraph=sg,
                    opcode_index=opcode_index,
                    opcode=opcode,
                    opcode_name=opcode.display_name if opcode else f"<opcode {opcode_index}?>",
                    version=opcode.version if opcode else 0,
                    inputs=_I32[in_n[i]](view, a + 4) if a else (),
                    outputs=_I32[out_n[i]](view, b + 4) if b else (),
                    intermediates=_I32[mid_n[i]](view, c + 4) if c else (),
                    options_type=types[0],
                    options_2_type=types[1],
                    options=options,
                    called_subgraphs=called,
                    custom_options_offset=None,
                    custom_options_size=0,
                    custom_options_format=formats[i],
                    large_custom_options_offset=large_offs[i],
                    large_custom_options_size=large_sizes[i],
                    mutating_variable_inputs=(),
                    debug_metadata_index=debugs[i],
                    has_inputs=bool(a),
                    has_outputs=bool(b),
                    _source=model.source,
                )
            )
        except (FlatBufError, _Redo):
            append(build_operator(model, sg, i, vec[i]))
    return tuple(out)
