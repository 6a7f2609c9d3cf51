"""Graph checks of each subgraph: index ranges, the producer/consumer rules of TFLite's
verifier (VerifySubGraphConsistency), an op reading its own output, option types, called
subgraphs and large custom option ranges; then every tensor (tensor_checks.py)."""

from __future__ import annotations

from typing import Any, Protocol

from .model import Model
from .objects import Subgraph
from .tensor_checks import check_tensor

__all__ = ["check_subgraphs"]


class Collector(Protocol):
    def add(self, severity: str, code: str, message: str, **where: Any) -> None: ...

    def bound(self, **fixed: Any) -> Any: ...


def _index_ok(index: int, n: int, optional: bool) -> bool:
    return 0 <= index < n or (optional and index == -1)


def check_subgraphs(model: Model, out: Collector) -> None:
    buffers = model.buffers
    external_ids = {eb.id for eb in model.external_buffers}
    n_subgraphs = len(model.subgraphs)
    for sg in model.subgraphs:
        if sg.error:
            continue
        base = f"subgraphs[{sg.index}]"
        n = len(sg.tensors)
        if not sg.has_operators:
            out.add(
                "error",
                "NO_OPERATORS",
                f"subgraph {sg.index} has no 'operators' vector (verifier: Missing "
                "'operators' section in subgraph)",
                subgraph=sg.index,
                path=base + ".operators",
            )
        for field, indices in (("inputs", sg.inputs), ("outputs", sg.outputs)):
            for k, ti in enumerate(indices):
                if not 0 <= ti < n:
                    out.add(
                        "error",
                        "TENSOR_INDEX_OUT_OF_RANGE",
                        f"subgraph {field}[{k}] is tensor {ti}, but the subgraph has {n} tensors",
                        subgraph=sg.index,
                        path=f"{base}.{field}[{k}]",
                    )
        _check_operators(model, sg, n_subgraphs, out)
        for t in sg.tensors:
            check_tensor(
                t,
                sg,
                buffers,
                model.file_size,
                external_ids,
                out.bound(subgraph=sg.index, tensor=t.index),
            )


def _check_operators(model: Model, sg: Subgraph, n_subgraphs: int, out: Collector) -> None:
    n = len(sg.tensors)
    n_codes = len(model.operator_codes)
    inputs = set(sg.inputs)
    constants = {t.index for t in sg.tensors if t.nbytes and not t.is_variable}
    # A zero-element tensor (a `[0]` shape) holds nothing to produce: LiteRT gives it an empty
    # allocation and an op reads it as empty, so it is never "not produced".
    empty = {t.index for t in sg.tensors if 0 in t.shape}
    variables = {t.index for t in sg.tensors if t.is_variable}
    produced: dict[int, int] = {}
    for op in sg.operators:
        if op.error:
            continue
        where = {"subgraph": sg.index, "operator": op.index}
        base = f"subgraphs[{sg.index}].operators[{op.index}]"
        label = f"op {op.index} ({op.opcode_name})"
        if op.opcode is None:
            out.add(
                "error",
                "OPCODE_INDEX_OUT_OF_RANGE",
                f"op {op.index} uses opcode_index {op.opcode_index}, but the model has "
                f"{n_codes} operator codes",
                path=base + ".opcode_index",
                **where,
            )
        if not op.has_inputs:
            out.add(
                "error",
                "OP_MISSING_INPUTS",
                f"{label} has no 'inputs' vector",
                path=base + ".inputs",
                **where,
            )
        if not op.has_outputs:
            out.add(
                "error",
                "OP_MISSING_OUTPUTS",
                f"{label} has no 'outputs' vector",
                path=base + ".outputs",
                **where,
            )
        for field, indices in (
            ("inputs", op.inputs),
            ("outputs", op.outputs),
            ("intermediates", op.intermediates),
        ):
            for k, ti in enumerate(indices):
                if not _index_ok(ti, n, optional=True):
                    out.add(
                        "error",
                        "TENSOR_INDEX_OUT_OF_RANGE",
                        f"{label} {field}[{k}] is tensor {ti}; valid are -1 (optional) and "
                        f"0..{n - 1}",
                        path=f"{base}.{field}[{k}]",
                        **where,
                    )
        both = sorted(set(op.inputs) & set(op.outputs) - {-1})
        for ti in both:
            out.add(
                "error",
                "OP_INPUT_IS_OUTPUT",
                f"{label} reads and writes tensor {ti}; an op's inputs and outputs must not "
                "overlap (CVE-2020-15210)",
                tensor=ti,
                path=base,
                **where,
            )
        for k, ti in enumerate(op.inputs):
            if ti == -1 or not 0 <= ti < n:
                continue
            if (
                ti not in constants
                and ti not in empty
                and ti not in variables
                and ti not in inputs
                and ti not in produced
            ):
                out.add(
                    "error",
                    "INPUT_NOT_PRODUCED",
                    f"{label} input {k} is tensor {ti}, which is not a constant, a variable, a "
                    "subgraph input or the output of an earlier op",
                    tensor=ti,
                    path=f"{base}.inputs[{k}]",
                    **where,
                )
        for k, ti in enumerate(op.outputs):
            if ti == -1 or not 0 <= ti < n:
                continue
            path = f"{base}.outputs[{k}]"
            if ti in constants:
                out.add(
                    "error",
                    "OUTPUT_IS_CONSTANT",
                    f"{label} writes tensor {ti}, which is a constant",
                    tensor=ti,
                    path=path,
                    **where,
                )
            elif ti in variables:
                out.add(
                    "error",
                    "OUTPUT_IS_VARIABLE",
                    f"{label} writes tensor {ti}, which is a variable",
                    tensor=ti,
                    path=path,
                    **where,
                )
            elif ti in inputs:
                out.add(
                    "error",
                    "OUTPUT_IS_SUBGRAPH_INPUT",
                    f"{label} writes tensor {ti}, which is a subgraph input",
                    tensor=ti,
                    path=path,
                    **where,
                )
            elif ti in produced:
                out.add(
                    "error",
                    "OUTPUT_PRODUCED_TWICE",
                    f"{label} writes tensor {ti}, already written by op {produced[ti]}; each "
                    "tensor has one producer (a cycle in the graph)",
                    tensor=ti,
                    path=path,
                    **where,
                )
            produced.setdefault(ti, op.index)
        for field, otype in (
            ("builtin_options", op.options_type),
            ("builtin_options_2", op.options_2_type),
        ):
            if otype is not None and otype.startswith("UNKNOWN_"):
                out.add(
                    "warning",
                    "OPTIONS_TYPE_UNKNOWN",
                    f"{label} {field} has unknown type {otype[8:]}; the options are not read",
                    path=f"{base}.{field}_type",
                    **where,
                )
        for name, value in op.options.items():
            if isinstance(value, str) and value.startswith("UNKNOWN_") and value[8:].isdigit():
                out.add(
                    "warning",
                    "OPTION_VALUE_UNKNOWN",
                    f"{label} option {name} is {value[8:]}, outside its enum; LiteRT loads "
                    "the model without checking it, and the kernel's behaviour is undefined",
                    path=f"{base}.builtin_options.{name}",
                    **where,
                )
        for callee in op.called_subgraphs:
            if not 0 <= callee < n_subgraphs:
                out.add(
                    "error",
                    "SUBGRAPH_INDEX_OUT_OF_RANGE",
                    f"{label} calls subgraph {callee}, but the model has {n_subgraphs} subgraphs",
                    path=f"{base}.builtin_options",
                    **where,
                )
        off, size = op.large_custom_options_offset, op.large_custom_options_size
        if off > 1 and (size > model.file_size or off > model.file_size - size):
            out.add(
                "error",
                "LARGE_CUSTOM_OPTIONS_OUT_OF_RANGE",
                f"{label} large custom options: {size} bytes at offset {off} run past the end "
                f"of the {model.file_size}-byte file",
                path=f"{base}.large_custom_options_offset",
                **where,
            )
