"""Child-process side: one TFLite interpreter, how it was built, and how to feed, invoke and read it.

Imported only by `_child` (in the child process); it is the one module of the package that imports
`ai_edge_litert` or TensorFlow. Every method raises the interpreter's own exceptions unchanged, so
the child can send their text to the parent.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

RESOLVERS = {
    "auto": "AUTO",
    "builtin": "BUILTIN",
    "ref": "BUILTIN_REF",
    "no-delegate": "BUILTIN_WITHOUT_DEFAULT_DELEGATES",
}


def import_backend(which: str = "auto") -> tuple[str, str, Any, Any]:
    """(backend name, version, Interpreter class, OpResolverType) for "litert", "tensorflow" or
    "auto" (LiteRT, else TensorFlow). Raises ImportError naming what to install."""
    if which in ("auto", "litert"):
        try:
            import ai_edge_litert
            from ai_edge_litert.interpreter import Interpreter, OpResolverType
        except ImportError:
            if which == "litert":
                raise
        else:
            version = getattr(ai_edge_litert, "__version__", None) or _version("ai-edge-litert")
            return "ai_edge_litert", str(version), Interpreter, OpResolverType
    if which in ("auto", "tensorflow"):
        try:
            import tensorflow as tf
        except ImportError as err:
            raise ImportError(
                "no TFLite interpreter is installed: pip install ai-edge-litert (or tensorflow)"
            ) from err
        return (
            "tensorflow",
            tf.__version__,
            tf.lite.Interpreter,
            tf.lite.experimental.OpResolverType,
        )
    raise ValueError(f"unknown backend {which!r}: expected auto, litert or tensorflow")


def _version(dist: str) -> str:
    """The installed distribution's version (importlib.metadata costs the child a tenth of its
    start-up: only for a backend without `__version__`)."""
    from importlib import metadata

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "unknown"


def dtype_name(dtype: Any) -> str:
    name = np.dtype(dtype).name
    return "string" if name.startswith(("bytes", "str", "object")) else name


def _quant(details: dict[str, Any]) -> dict[str, Any]:
    qp = details.get("quantization_parameters") or {}
    return {
        "scales": [float(s) for s in qp.get("scales", [])],
        "zero_points": [int(z) for z in qp.get("zero_points", [])],
        "quantized_dimension": int(qp.get("quantized_dimension", 0)),
    }


def _spec(name: str, d: dict[str, Any]) -> dict[str, Any]:
    sig = d.get("shape_signature")
    return {
        "name": name,
        "tensor_name": d.get("name", name),
        "index": int(d["index"]),
        "shape": [int(x) for x in d["shape"]],
        "shape_signature": [int(x) for x in (sig if sig is not None and len(sig) else d["shape"])],
        "dtype": dtype_name(d["dtype"]),
        **_quant(d),
    }


def _dynamic(details: dict[str, Any]) -> bool:
    """Whether a tensor's details have a dynamic dim (-1 in shape_signature)."""
    sig = details.get("shape_signature")
    return sig is not None and any(int(x) < 0 for x in sig)


class Loaded:
    """A built and allocated interpreter for one signature (or the primary subgraph when the model
    has none). Raises the interpreter's errors from construction and `allocate_tensors()`."""

    def __init__(
        self,
        model_path: str,
        *,
        backend: str,
        resolver: str,
        preserve: bool,
        threads: int | None,
        signature: str | None,
        phase: Callable[[str], None],
    ) -> None:
        phase("importing")
        self.backend, self.version, interpreter_cls, resolver_type = import_backend(backend)
        if resolver not in RESOLVERS:
            raise ValueError(f"unknown resolver {resolver!r}: expected one of {sorted(RESOLVERS)}")
        self.resolver = RESOLVERS[resolver]
        self.preserve = preserve
        self.threads = threads
        phase("loading")
        self.interp = interpreter_cls(
            model_path=model_path,
            num_threads=threads,
            experimental_op_resolver_type=getattr(resolver_type, self.resolver),
            experimental_preserve_all_tensors=preserve,
        )
        phase("allocating")
        # Why allocating at the stored input shapes failed, for a model whose inputs have
        # dynamic dims (-1 in shape_signature): the stored shape is a placeholder (openWakeWord's
        # melspectrogram stores [1, 1] and cannot be prepared at it), so the interpreter is
        # allocated at the first feed, at the shapes fed. None once allocated.
        self.deferred: str | None = None
        try:
            self.interp.allocate_tensors()
        except RuntimeError as err:
            if not any(_dynamic(d) for d in self.interp.get_input_details()):
                raise
            self.deferred = str(err).strip()
        self.signatures = list(self.interp.get_signature_list())
        self.signature = self._pick_signature(signature)
        self.runner = None
        self.subgraph = 0
        self._pending: dict[str, np.ndarray] = {}
        self._results: dict[str, np.ndarray] = {}
        if self.signature is not None:
            runner = self.interp.get_signature_runner(self.signature)
            self.subgraph = int(getattr(runner, "_subgraph_index", 0))
            self.inputs = [_spec(n, d) for n, d in runner.get_input_details().items()]
            self.outputs = [_spec(n, d) for n, d in runner.get_output_details().items()]
            # A live runner holds a reference the interpreter counts as "internal data in use",
            # which makes interp.invoke() refuse; keep it only for signatures off subgraph 0.
            self.runner = runner if self.subgraph != 0 else None
            del runner
        else:
            self.inputs = [_spec(d["name"], d) for d in self.interp.get_input_details()]
            self.outputs = [_spec(d["name"], d) for d in self.interp.get_output_details()]
        self._shapes = {s["index"]: tuple(s["shape"]) for s in self.inputs}
        self.ops = [op for op in self.interp._get_ops_details() if op["op_name"] != "DELEGATE"]
        delegated = len(self.ops) != len(self.interp._get_ops_details())
        default = "XNNPACK" if self.resolver in ("AUTO", "BUILTIN") else "a delegate"
        self.delegate = default if delegated else "none"
        if self.deferred is not None and self.resolver in ("AUTO", "BUILTIN"):
            self.delegate = "XNNPACK (applied when allocated)"

    def _pick_signature(self, wanted: str | None) -> str | None:
        if wanted is not None:
            if wanted not in self.signatures:
                have = ", ".join(self.signatures) or "none"
                raise ValueError(f"the model has no signature {wanted!r} (it has: {have})")
            return wanted
        if not self.signatures:
            return None
        return "serving_default" if "serving_default" in self.signatures else self.signatures[0]

    # -- description ------------------------------------------------------------------------

    def describe(self) -> dict[str, Any]:
        """What the parent needs: how the interpreter was built, I/O specs, runtime tensors."""
        return {
            "backend": self.backend,
            "backend_version": self.version,
            "resolver": self.resolver,
            "delegate": self.delegate,
            "threads": self.threads,
            "deferred_allocation": self.deferred,
            "preserve_all_tensors": self.preserve,
            "signatures": self.signatures,
            "signature": self.signature,
            "subgraph": self.subgraph,
            "num_subgraphs": int(self.interp.num_subgraphs()),
            "inputs": [{**s, "range_hint": self._range_hint(s)} for s in self.inputs],
            "outputs": self.outputs,
            "activations": self._activations() if self.subgraph == 0 else [],
        }

    def _details(self, index: int) -> dict[str, Any] | None:
        try:
            details: dict[str, Any] = self.interp._get_tensor_details(index, 0)
            return details
        except (ValueError, RuntimeError, IndexError):
            return None

    def _range_hint(self, spec: dict[str, Any]) -> list[float] | None:
        """The float range an input is calibrated for: its own quantization, else the QUANTIZE op
        that reads it (float-I/O integer models)."""
        params = spec if spec["scales"] and spec["dtype"].startswith(("int", "uint")) else None
        dtype = spec["dtype"]
        if params is None and self.subgraph == 0:
            for op in self.ops:
                if op["op_name"] == "QUANTIZE" and spec["index"] in list(op["inputs"]):
                    d = self._details(int(op["outputs"][0]))
                    if d is not None and _quant(d)["scales"]:
                        params, dtype = _quant(d), dtype_name(d["dtype"])
                        break
        if params is None or not params["scales"]:
            return None
        info = np.iinfo(np.dtype(dtype))
        scale, zero = params["scales"][0], (params["zero_points"] or [0])[0]
        return [float((info.min - zero) * scale), float((info.max - zero) * scale)]

    def _activations(self) -> list[dict[str, Any]]:
        """Tensors computed at run time in subgraph 0 from its inputs: the inputs and every op
        output, with the producing op, its position and the activation tensors it reads."""
        found: dict[int, dict[str, Any]] = {}
        for d in self.interp.get_input_details():
            self._add_activation(found, int(d["index"]), None, -1, [])
        for op in self.ops:
            for out in op["outputs"]:
                if out >= 0:
                    self._add_activation(
                        found,
                        int(out),
                        op["op_name"],
                        int(op["index"]),
                        [int(i) for i in op["inputs"] if i >= 0],
                    )
        for act in found.values():
            act["inputs"] = [i for i in act["inputs"] if i in found]
        # DEQUANTIZE of a constant (float16 / dynamic-range weights) computes a weight, not an
        # activation: leave it out of what per-layer comparison must match.
        return [a for a in found.values() if a["producer"] != "DEQUANTIZE" or a["inputs"]]

    def _add_activation(
        self,
        found: dict[int, dict[str, Any]],
        index: int,
        producer: str | None,
        order: int,
        inputs: list[int],
    ) -> None:
        d = self._details(index)
        if d is None or dtype_name(d["dtype"]) in ("string", "bool"):
            return
        found[index] = {
            "index": index,
            "name": d.get("name", ""),
            "dtype": dtype_name(d["dtype"]),
            "shape": [int(x) for x in d["shape"]],
            **_quant(d),
            "producer": producer,
            "order": order,
            "inputs": inputs,
        }

    # -- running ----------------------------------------------------------------------------

    def feed(self, arrays: list[np.ndarray]) -> None:
        """Sets the inputs (in `self.inputs` order), resizing dynamic dims when a shape changes."""
        if self.runner is not None and self.subgraph != 0:
            self._pending = {s["name"]: a for s, a in zip(self.inputs, arrays, strict=True)}
            return
        resized = False
        for spec, arr in zip(self.inputs, arrays, strict=True):
            if tuple(arr.shape) != self._shapes[spec["index"]]:
                self.interp.resize_tensor_input(spec["index"], list(arr.shape))
                self._shapes[spec["index"]] = tuple(arr.shape)
                resized = True
        if resized or self.deferred is not None:
            try:
                self.interp.allocate_tensors()
            except RuntimeError as err:  # the interpreter repeats the load's failure first
                text, before = str(err).strip(), self.deferred
                if before and text.startswith(before) and len(text) > len(before):
                    raise RuntimeError(text[len(before) :].strip()) from None
                raise
            self.deferred = None
        for spec, arr in zip(self.inputs, arrays, strict=True):
            self.interp.set_tensor(spec["index"], arr)

    def invoke(self) -> None:
        if self.runner is not None and self.subgraph != 0:
            self._results = self.runner(**self._pending)
        else:
            self.interp.invoke()

    def read_outputs(self) -> list[np.ndarray]:
        """Output arrays; string tensors come back as object arrays of bytes and are turned into
        fixed-width bytes arrays, which travel without pickling."""
        if self.runner is not None and self.subgraph != 0:
            values = [np.asarray(self._results[s["name"]]) for s in self.outputs]
        else:
            values = [self.interp.get_tensor(s["index"]) for s in self.outputs]
        return [v.astype("S") if v.dtype == object else v for v in values]

    def capture_into(self, rows: dict[int, Any], s: int) -> None:
        """Copies of the subgraph-0 tensors keyed in `rows` after an invoke, each given to its
        row `s` (`_wire.Rows.set`) as it is read; a tensor without data is skipped. Needs
        preserve_all_tensors: otherwise the arena reuses their memory and the values would be
        silently wrong."""
        if not self.preserve:
            raise ValueError(
                "capturing intermediate tensors needs experimental_preserve_all_tensors"
            )
        get = self.interp.get_tensor
        for index, row in rows.items():
            try:
                value = get(index)
            except ValueError:  # no data (an optional or never written tensor)
                continue
            row.set(s, value)

    def time_invocations(
        self, runs: int, warmup: int, progress: Callable[[int, int], None]
    ) -> list[float]:
        """Milliseconds per invoke() for `runs` runs after `warmup` untimed ones (inputs already
        fed)."""
        for _ in range(warmup):
            self.invoke()
        times: list[float] = []
        for i in range(runs):
            start = time.perf_counter()
            self.invoke()
            times.append((time.perf_counter() - start) * 1000.0)
            progress(i + 1, runs)
        return times
