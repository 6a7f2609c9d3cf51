"""Child-process side of the isolated per-layer error: one op of the float model, alone.

For an op of the reference (float) model, `OneOp` builds a model holding just that op with the
schema object API that ships with the interpreter (`schema_py_generated`): its constant inputs
keep their buffers, its activation inputs become the model's inputs, its outputs the model's
outputs. Weights computed from constants inside the model (a DEQUANTIZE of float16 weights, a
DENSIFY of sparse ones) are computed by the same ops, copied in before it. The parent feeds it the
quantized model's own (dequantized) inputs of the matching op: what the QuantizationDebugger's
NumericVerify compares the quantized op with.

Imported only by `_child`, in the child process.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np

#: Ops that call other subgraphs: one of them alone would need its callees too.
_CALLERS = ("WHILE", "IF", "CALL_ONCE", "CALL", "STABLEHLO_WHILE", "STABLEHLO_CASE")

#: Ops whose output for samples stacked along the batch axis is, bit for bit, each sample's own
#: output stacked: nothing crosses the batch, and each value is computed by the same arithmetic
#: in the same order whatever the batch (no transcendental approximations that vectorise across
#: rows, no matrix-vector kernel kept for a batch of one: FULLY_CONNECTED and SOFTMAX differ in
#: the last bits). `OneOp.run_stacked` still checks the shapes and, on its first chunk, the first
#: and last samples against `run`.
BATCHABLE = frozenset(
    {
        "ADD", "AVERAGE_POOL_2D", "CONCATENATION", "CONV_2D", "DEPTHWISE_CONV_2D", "MAXIMUM",
        "MAX_POOL_2D", "MINIMUM", "MUL", "PAD", "PADV2", "RELU", "RELU6", "RELU_0_TO_1",
        "RELU_N1_TO_1", "RESHAPE", "SUB",
    }
)  # fmt: skip
#: Convolutions run as a matrix product with one column per output pixel and sample: a sample of
#: one pixel would take the single-column kernel alone, so those need more than one.
_PIXELS = frozenset({"CONV_2D", "DEPTHWISE_CONV_2D"})


def _schema() -> Any:
    try:
        from ai_edge_litert import schema_py_generated as schema
    except ImportError:
        from tensorflow.lite.python import schema_py_generated as schema
    return schema


class Source:
    """The reference model unpacked once into the object API, plus who produces each tensor."""

    def __init__(self, path: str) -> None:
        self.schema = _schema()
        with open(path, "rb") as fh:
            self.data = fh.read()
        self.model = self.schema.ModelT.InitFromPackedBuf(bytearray(self.data), 0)
        graph = self.model.subgraphs[0]
        self.producer = {
            int(out): k
            for k, op in enumerate(graph.operators or [])
            for out in _ints(op.outputs)
            if out >= 0
        }
        self.inputs = set(_ints(graph.inputs))
        self._op_names = {
            v: n for n, v in vars(self.schema.BuiltinOperator).items() if not n.startswith("_")
        }

    def op_name(self, k: int) -> str:
        op = self.model.subgraphs[0].operators[k]
        code = self.model.operatorCodes[op.opcodeIndex]
        builtin = max(int(code.builtinCode), int(code.deprecatedBuiltinCode))
        return str(self._op_names.get(builtin, f"#{builtin}"))

    def _has_data(self, index: int) -> bool:
        tensor = self.model.subgraphs[0].tensors[index]
        buf = (
            self.model.buffers[tensor.buffer]
            if 0 < tensor.buffer < len(self.model.buffers)
            else None
        )
        return buf is not None and (buf.data is not None and len(buf.data) > 0 or bool(buf.size))

    def buffer(self, k: int) -> Any:
        """Buffer `k`, its data inside the object: one kept past the flatbuffer (`offset`, `size`,
        as in models over 2 GB) is copied in, since the one-op model has no such tail."""
        buf = self.model.buffers[k]
        if buf.offset and buf.size and (buf.data is None or not len(buf.data)):
            start, end = int(buf.offset), int(buf.offset) + int(buf.size)
            if end > len(self.data):
                raise ValueError(f"buffer {k} ends past the file")
            out = self.schema.BufferT()
            out.data = np.frombuffer(self.data, dtype=np.uint8, count=end - start, offset=start)
            return out
        return buf

    def _constant_chain(self, index: int, depth: int = 0) -> list[int] | None:
        """Ops (in order) that compute tensor `index` from constants alone; [] for a constant,
        None when it depends on an activation."""
        k = self.producer.get(index)
        if self._has_data(index) or k is None and index not in self.inputs:
            return []  # a constant (a zero-element one has no data)
        if k is None or depth > 8:
            return None
        chain: list[int] = []
        for i in _ints(self.model.subgraphs[0].operators[k].inputs):
            if i < 0:
                continue
            sub = self._constant_chain(i, depth + 1)
            if sub is None:
                return None
            chain.extend(x for x in sub if x not in chain)
        return [*chain, k]


def _type_name(schema: Any, code: int) -> str:
    names = {v: n for n, v in vars(schema.TensorType).items() if not n.startswith("_")}
    return str(names.get(code, code)).lower()


def _ints(values: Any) -> list[int]:
    return [] if values is None else [int(v) for v in values]


class OneOp:
    """The op of `source` that produces `outputs` (reference tensor indices), alone; `feeds`
    are its inputs. Tensor indices are the file's, while an interpreter's node numbers need not
    be its operator positions: the op is found by what it produces. Raises
    ValueError when the op cannot stand alone (it calls subgraphs, or an input is neither fed nor
    computed from constants) and the interpreter's errors when the built model does not load."""

    def __init__(
        self,
        source: Source,
        feeds: list[int],
        outputs: list[int],
        make: Callable[[bytes], Any],
        shapes: list[list[int]] | None = None,
    ) -> None:
        s = source.schema
        graph = source.model.subgraphs[0]
        k = source.producer.get(outputs[0], -1) if outputs else -1
        if k < 0:
            raise ValueError(f"no op of the model produces tensor {outputs[:1]}")
        name = source.op_name(k)
        if name in _CALLERS:
            raise ValueError(f"{name} calls other subgraphs")
        ops: list[int] = []
        for i in _ints(graph.operators[k].inputs):
            if i < 0 or i in feeds:
                continue
            chain = source._constant_chain(i)
            if chain is None:
                t = graph.tensors[i]
                raise ValueError(
                    f"input tensor {i} ({_type_name(s, t.type)}) is computed at run "
                    "time but not captured for comparison"
                )
            ops.extend(x for x in chain if x not in ops)
        ops.append(k)
        remap: dict[int, int] = {}
        model = s.ModelT()
        model.version = 3
        model.description = "one op for tflite-inspect's isolated error"
        model.buffers = [s.BufferT()]
        model.operatorCodes = []
        sub = s.SubGraphT()
        sub.tensors, sub.operators = [], []

        def tensor(i: int) -> int:
            if i < 0:
                return i
            if i not in remap:
                t = copy.copy(graph.tensors[i])
                if i in feeds or t.buffer <= 0 or t.buffer >= len(source.model.buffers):
                    t.buffer = 0
                else:
                    model.buffers.append(source.buffer(t.buffer))
                    t.buffer = len(model.buffers) - 1
                remap[i] = len(sub.tensors)
                sub.tensors.append(t)
            return remap[i]

        codes: dict[int, int] = {}
        for j in ops:
            op = copy.copy(graph.operators[j])
            if op.opcodeIndex not in codes:
                codes[op.opcodeIndex] = len(model.operatorCodes)
                model.operatorCodes.append(source.model.operatorCodes[op.opcodeIndex])
            op.opcodeIndex = codes[op.opcodeIndex]
            op.inputs = [tensor(i) for i in _ints(op.inputs)]
            op.outputs = [tensor(i) for i in _ints(op.outputs)]
            if op.intermediates is not None:
                op.intermediates = [tensor(i) for i in _ints(op.intermediates)]
            sub.operators.append(op)
        sub.inputs = [tensor(i) for i in feeds]
        # the shapes the whole model's interpreter computed (a file's static shape can be stale)
        for i, shape in zip(feeds, shapes or [], strict=False):
            sub.tensors[remap[i]].shape = np.asarray(shape, dtype=np.int32)
        sub.outputs = [tensor(i) for i in outputs]
        model.subgraphs = [sub]
        self.feeds, self.outputs = feeds, outputs
        self.sources: list[dict[str, Any]] = []  # the parent's B tensors for `feeds`
        self.interp = make(_pack(model))
        self.interp.allocate_tensors()
        self._in = [d["index"] for d in self.interp.get_input_details()]
        self._out = [d["index"] for d in self.interp.get_output_details()]
        self._in_dtypes = [d["dtype"] for d in self.interp.get_input_details()]
        # A quantized reference (an int8 A against another int8 B): B's dequantized values are
        # quantized with the op's own input parameters, never cast (a cast turns 0.37 into 0)
        self._in_quant = [_quantization(d) for d in self.interp.get_input_details()]
        self._shapes = [tuple(int(x) for x in d["shape"]) for d in self.interp.get_input_details()]
        self._sizes = [int(np.prod(shape)) for shape in self._shapes]
        self._one = list(self._shapes)  # the inputs' shapes for one sample
        self._one_out = [
            tuple(int(x) for x in d["shape"]) for d in self.interp.get_output_details()
        ]
        self._batched = self._checked = False
        self.batchable = name in BATCHABLE and all(
            shape and shape[0] == 1 for shape in (*self._one, *self._one_out)
        )
        if name in _PIXELS and any(int(np.prod(o[1:-1])) < 2 for o in self._one_out):
            self.batchable = False

    def _resize(self, shapes: list[tuple[int, ...]]) -> None:
        changed = [j for j, shape in enumerate(shapes) if shape != self._shapes[j]]
        for j in changed:
            self.interp.resize_tensor_input(self._in[j], list(shapes[j]))
        self._shapes = list(shapes)
        self._sizes = [int(np.prod(shape)) for shape in shapes]
        self._batched = shapes != self._one
        if changed:
            self.interp.allocate_tensors()

    def run_stacked(self, values: list[np.ndarray]) -> list[np.ndarray] | None:
        """The op's outputs for a chunk of samples in one invocation: `values` holds each
        input's samples along a leading axis, the outputs come back the same way (each row the
        shape `run` returns). None when the op cannot run so (then `run` each sample): not
        `batchable`, or the batched run fails or gives other shapes (never tried again)."""
        n = len(values[0]) if values else 0
        if not self.batchable or not n:
            return None
        if any(v[0].size != int(np.prod(one)) for v, one in zip(values, self._one, strict=True)):
            return None
        batch = [(n, *one[1:]) for one in self._one]
        try:
            self._resize(batch)
            for j, (index, v) in enumerate(zip(self._in, values, strict=True)):
                arr = self._typed(j, v.reshape(batch[j]))
                self.interp.set_tensor(index, arr)
            self.interp.invoke()
            outs = [self.interp.get_tensor(i) for i in self._out]
        except Exception:  # the op takes no batch after all: one sample at a time
            outs = []
        shapes = [(n, *one[1:]) for one in self._one_out]
        rows: list[np.ndarray] = []
        if [o.shape for o in outs] == shapes:
            rows = [o.reshape((n, *one)) for o, one in zip(outs, self._one_out, strict=True)]
        if rows and not self._checked:  # once: the first and last samples, one at a time
            self._checked = True
            try:
                alone = [self.run([v[s] for v in values]) for s in (0, n - 1)]
            except Exception:  # the sample loop says why
                rows = []
            else:
                if any(
                    a.tobytes() != r[s].tobytes()
                    for s, outputs in zip((0, n - 1), alone, strict=True)
                    for a, r in zip(outputs, rows, strict=True)
                ):
                    rows = []
        if not rows:
            self.batchable = False
            self._resize(self._one)
            return None
        return rows

    def _typed(self, j: int, values: np.ndarray) -> np.ndarray:
        """Input `j`'s values in its type: float values quantized for an integer input with
        quantization parameters, otherwise cast."""
        dtype, quant = self._in_dtypes[j], self._in_quant[j]
        if quant is not None and values.dtype.kind == "f" and np.dtype(dtype).kind in "iu":
            from ..analysis.compare import quantize_values

            return quantize_values(values, dtype, *quant)
        return values.astype(dtype, copy=False)

    def run(self, values: list[np.ndarray]) -> list[np.ndarray]:
        """The op's outputs for one sample's input values (reshaped and cast to its inputs)."""
        if self._batched:  # allocated for a chunk by run_stacked
            self._resize(self._one)
        resized = False
        arrays = []
        for j, value in enumerate(values):
            arr = np.asarray(value)
            shape = self._shapes[j]
            if arr.shape != shape:
                if arr.size == self._sizes[j]:
                    arr = arr.reshape(shape)
                else:
                    self.interp.resize_tensor_input(self._in[j], list(arr.shape))
                    self._shapes[j], self._sizes[j] = tuple(arr.shape), arr.size
                    resized = True
            arrays.append(self._typed(j, arr))
        if resized:
            self.interp.allocate_tensors()
        for index, arr in zip(self._in, arrays, strict=True):
            self.interp.set_tensor(index, arr)
        self.interp.invoke()
        return [self.interp.get_tensor(i) for i in self._out]


def _pack(model: Any) -> bytes:
    import flatbuffers

    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def _quantization(details: dict[str, Any]) -> tuple[list[float], list[int], int] | None:
    """(scales, zero points, axis) of a tensor's details; None when it has no scales. Per-axis
    parameters count the axis of one sample, so only per-tensor ones (what activations have)
    are kept: a stacked chunk adds a leading axis."""
    q = details.get("quantization_parameters") or {}
    scales = [float(x) for x in q.get("scales", ())]
    if len(scales) != 1:
        return None
    zeros = [int(x) for x in q.get("zero_points", ())]
    return scales, zeros, 0
