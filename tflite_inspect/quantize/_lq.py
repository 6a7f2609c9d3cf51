"""Child-process side: litert-quantizer driven by one of our recipe names.

Imported only by `quantize._child` (in the child). litert-quantizer never says when it leaves an
op alone: its recipe manager silently falls back to NO_QUANTIZE for an op its policy has no rule
for, and skips ops it does not know (custom ops). `unsupported_ops` asks the same recipe manager
what it decided for every op, so the parent can say which op stayed float and why.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from ai_edge_litert import schema_py_generated as schema
from ai_edge_litert.tools import flatbuffer_utils
from litert_quantizer import Quantizer, qtyping
from litert_quantizer.algorithm_manager import AlgorithmName
from litert_quantizer.recipe_manager import RecipeManager
from litert_quantizer.utils import tfl_flatbuffer_utils as tfu

_ALL = qtyping.TFLOperationName.ALL_SUPPORTED
_G = qtyping.QuantGranularity
#: the only ops litert-quantizer 0.11 quantizes blockwise (its default policy, dynamic int4)
BLOCKWISE_OPS = ("FULLY_CONNECTED", "EMBEDDING_LOOKUP")
STATIC = {"static-int8": 8, "static-int16x8": 16}
DEFAULT_SIGNATURE = "serving_default"
_BUILTIN_NAMES = {v: k for k, v in vars(schema.BuiltinOperator).items() if isinstance(v, int)}


def _scope(op: Any, tensors: list[Any]) -> str:
    return str(tfu.get_op_scope(op, tensors))


def _exact(scope: str) -> str:
    return "^" + re.escape(scope) + "$"


def _op_name(model: Any, op: Any) -> str | None:
    code = model.operatorCodes[op.opcodeIndex].builtinCode
    name = tfu.TFL_OP_CODE_TO_NAME.get(code)
    return str(name.value if hasattr(name, "value") else name) if name is not None else None


def _weight(model: Any, sg: Any, op: Any) -> np.ndarray | None:
    """The op's first constant float32 input of rank >= 2 (its weights), else None."""
    for idx in op.inputs[1:]:
        if idx < 0:
            continue
        t = sg.tensors[idx]
        data = model.buffers[t.buffer].data if t.buffer < len(model.buffers) else None
        if t.type == schema.TensorType.FLOAT32 and data is not None and len(t.shape) >= 2:
            return np.asarray(t.shape)
    return None


def prepare(buffer: bytes, static: bool) -> tuple[bytes, str, list[str]]:
    """The float model as litert-quantizer can read it: (bytes, signature key, notes).

    - It reads an op's code from `builtin_code` only; models from converters older than that field
      (schema 3, e.g. MediaPipe's) keep it in `deprecated_builtin_code` and would all read as ADD:
      both fields are set to the larger, as the TFLite runtime reads them.
    - It calibrates through a signature runner: for a static recipe, a model without signatures
      gets `serving_default` (the main subgraph's inputs and outputs by tensor name)."""
    model = flatbuffer_utils.convert_bytearray_to_object(buffer)
    notes: list[str] = []
    changed = 0
    for code in model.operatorCodes:
        real = max(code.builtinCode, code.deprecatedBuiltinCode)
        if code.builtinCode != real:
            code.builtinCode, changed = real, changed + 1
    if changed:
        notes.append(
            f"{changed} operator code(s) were stored only in deprecated_builtin_code "
            "(an older converter); set builtin_code too, which litert-quantizer reads"
        )
    signature = model.signatureDefs[0].signatureKey.decode() if model.signatureDefs else ""
    if static and not model.signatureDefs:
        model.signatureDefs = [_signature(model.subgraphs[0])]
        signature = DEFAULT_SIGNATURE
        notes.append(
            f"the model had no signature: {DEFAULT_SIGNATURE!r} was added "
            "(litert-quantizer calibrates through a signature)"
        )
    if not notes:
        return buffer, signature, notes
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model)), signature, notes


def _signature(sg: Any) -> Any:
    def maps(indices: Sequence[int]) -> list[Any]:
        out = []
        for i in indices:
            m = schema.TensorMapT()
            m.name, m.tensorIndex = sg.tensors[i].name, i
            out.append(m)
        return out

    sig = schema.SignatureDefT()
    sig.inputs, sig.outputs = maps(sg.inputs), maps(sg.outputs)
    sig.signatureKey, sig.subgraphIndex = DEFAULT_SIGNATURE.encode(), 0
    return sig


class Job:
    """One recipe on one float model: `quantizer` holds the litert-quantizer recipe built from our
    recipe name, the kept-float ops and the blockwise fallbacks (`notes`)."""

    def __init__(
        self,
        buffer: bytes,
        recipe: str,
        block_size: int,
        keep: Sequence[int],
        notes: Sequence[str] = (),
    ) -> None:
        self.buffer = buffer
        self.recipe = recipe
        self.model = flatbuffer_utils.convert_bytearray_to_object(buffer)
        self.keep = set(keep)
        self.notes: list[str] = list(notes)
        self.quantizer = Quantizer(buffer)
        self._add_recipe(block_size)
        sg = self.model.subgraphs[0]
        for i in sorted(self.keep):
            if 0 <= i < len(sg.operators):
                self.quantizer.update_quantization_recipe(
                    _exact(_scope(sg.operators[i], sg.tensors)),
                    _ALL,
                    algorithm_key=AlgorithmName.NO_QUANTIZE,
                )

    def _add_recipe(self, block_size: int) -> None:
        q = self.quantizer
        if self.recipe == "dynamic-int8":
            q.add_dynamic_config(".*", _ALL, 8)
        elif self.recipe == "weight-int8":
            q.add_weight_only_config(".*", _ALL, 8)
        elif self.recipe == "float16":
            q.add_weight_only_config(".*", _ALL, 16, algorithm_key=AlgorithmName.FLOAT_CASTING)
        elif self.recipe in STATIC:
            q.add_static_config(".*", _ALL, STATIC[self.recipe], 8)
        elif self.recipe == "weight-int4":
            self._add_int4(block_size)
        else:
            raise ValueError(f"unknown recipe {self.recipe!r}")

    def _add_int4(self, block_size: int) -> None:
        q = self.quantizer
        q.add_weight_only_config(".*", _ALL, 4)
        granularity = getattr(_G, f"BLOCKWISE_{block_size}")
        for blockwise in BLOCKWISE_OPS:
            q.add_dynamic_config(".*", qtyping.TFLOperationName(blockwise), 4, granularity)
        for sg in self.model.subgraphs:
            for index, op in enumerate(sg.operators):
                name = _op_name(self.model, op)
                shape = _weight(self.model, sg, op)
                if name not in BLOCKWISE_OPS or shape is None or shape[-1] % block_size == 0:
                    continue
                q.add_weight_only_config(
                    _exact(_scope(op, sg.tensors)), qtyping.TFLOperationName(name), 4
                )
                self.notes.append(
                    f"op {index} {name}: input depth {int(shape[-1])} is not a "
                    f"multiple of block size {block_size}; int4 channelwise"
                )

    @property
    def static(self) -> bool:
        return self.recipe in STATIC

    def unsupported_ops(self) -> list[dict[str, Any]]:
        """Ops of the main subgraph that the recipe should have quantized but litert-quantizer
        leaves in float (not the ones asked to stay float)."""
        manager = RecipeManager()
        manager.load_quantization_recipe(self.quantizer.get_quantization_recipe())
        sg = self.model.subgraphs[0]
        found = []
        for index, op in enumerate(sg.operators):
            if index in self.keep:
                continue
            name = _op_name(self.model, op)
            code = self.model.operatorCodes[op.opcodeIndex]
            label = name or (
                code.customCode.decode(errors="replace")
                if code.customCode
                else _BUILTIN_NAMES.get(code.builtinCode, f"builtin {code.builtinCode}")
            )
            # static: an op that produces float values (SHAPE of a float tensor does not);
            # weight recipes: an op with float weights
            relevant = (
                any(sg.tensors[i].type == schema.TensorType.FLOAT32 for i in op.outputs if i >= 0)
                if self.static
                else _weight(self.model, sg, op) is not None
            )
            if not relevant:
                continue
            if name is None:
                found.append({"op": index, "opcode": label, "why": "unknown to litert-quantizer"})
                continue
            key, _ = manager.get_quantization_configs(
                qtyping.TFLOperationName(name), _scope(op, sg.tensors)
            )
            if key == AlgorithmName.NO_QUANTIZE:
                found.append(
                    {
                        "op": index,
                        "opcode": label,
                        "why": f"no {self.recipe} rule for {name} in litert-quantizer",
                    }
                )
        return found

    def run(
        self, samples: list[dict[str, np.ndarray]], signature: str, phase: Callable[[str], None]
    ) -> bytes:
        """Calibrates (static recipes) and quantizes; returns the quantized model's bytes."""
        calibration = None
        if self.quantizer.need_calibration:
            phase("calibrating")
            calibration = self.quantizer.calibrate({signature: samples}, num_threads=1)
        phase("quantizing")
        result = self.quantizer.quantize(
            calibration, enable_progress_bar=False, enable_progress_report=False
        )
        if result.quantized_model is None:
            raise RuntimeError("litert-quantizer returned no model")
        return bytes(result.quantized_model)
