"""The TensorFlow side of a conversion. Imported ONLY by the child process (`_child.py`).

Loads the source (Keras files in safe mode unless asked otherwise), reads its input specs,
builds one `tf.lite.TFLiteConverter` per variant and turns `ConverterError` into plain dicts.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import tensorflow as tf

from .calibration import InputSpec
from .op_errors import OpError, op_error_from_proto_dict, op_errors_from_text
from .request import ConvertOptions

__all__ = [
    "Source",
    "SourceLoadError",
    "conversion_failure",
    "convert_variant",
    "fallback_helps",
    "load_source",
    "make_converter",
    "uninitialized_variables",
]


class SourceLoadError(Exception):
    """The source could not be loaded; `reason` is "unsafe" (Keras safe mode refused code in
    the file) or "unreadable"."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class Source:
    """A loaded source: `inputs` (signature input specs) and `converter()` making a fresh
    TFLiteConverter for it (converters are single-use). A SavedModel also has `fallback()`,
    a converter of its signature's concrete function (variables frozen), for when
    `from_saved_model` fails in a way that avoids (see `fallback_helps`); `fallback_reason`
    is set once it was needed, and later variants go to it directly."""

    def __init__(
        self,
        kind: str,
        path: str,
        inputs: list[InputSpec],
        factory: Callable[[], Any],
        signature: str | None,
        fallback: Callable[[], Any] | None = None,
    ) -> None:
        self.kind = kind
        self.path = path
        self.inputs = inputs
        self.converter = factory
        self.signature = signature
        self.fallback = fallback
        self.fallback_reason: str | None = None


def _np_dtype(dtype: Any) -> str:
    return str(np.dtype(tf.as_dtype(dtype).as_numpy_dtype).name)


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__


def load_source(kind: str, path: str, unsafe: bool, signature: str | None = None) -> Source:
    """Loads a SavedModel folder (its `signature`), a .keras or a .h5 file. Raises
    SourceLoadError (reason "signature" for a missing or ambiguous signature)."""
    if kind == "saved_model":
        return _load_saved_model(path, signature, unsafe)
    import keras

    try:
        model = keras.models.load_model(path, compile=False, safe_mode=not unsafe)
    except Exception as err:  # Keras raises ValueError, TypeError, OSError, zip errors ...
        text = str(err)
        if "safe_mode" in text or "unsafe_deserialization" in text:
            raise SourceLoadError(
                f"{path}: contains Python code (e.g. a Lambda layer) that Keras safe mode "
                "refuses to load; pass --unsafe only if you trust this file",
                "unsafe",
            ) from err
        raise SourceLoadError(
            f"{path}: cannot be loaded by Keras: {_first_line(err)}", "unreadable"
        ) from err
    inputs = []
    for t in model.inputs:
        shape = tuple(-1 if d is None else int(d) for d in t.shape)
        inputs.append(InputSpec(str(t.name), shape, _np_dtype(t.dtype)))
    return Source(
        kind,
        path,
        inputs,
        lambda: tf.lite.TFLiteConverter.from_keras_model(model),
        "serving_default",
    )


def _load_saved_model(path: str, wanted: str | None, unsafe: bool = False) -> Source:
    from tensorflow.python.saved_model import loader_impl  # the proto only, no graph loading

    try:
        saved = loader_impl.parse_saved_model(path)
    except Exception as err:
        raise SourceLoadError(
            f"{path}: not a readable SavedModel: {_first_line(err)}", "unreadable"
        ) from err
    graphs = [g for g in saved.meta_graphs if "serve" in g.meta_info_def.tags] or list(
        saved.meta_graphs
    )
    signatures = dict(graphs[0].signature_def) if graphs else {}
    signatures.pop("__saved_model_init_op", None)
    if not signatures:
        raise SourceLoadError(f"{path}: the SavedModel has no signature to convert", "unreadable")
    key = _choose_signature(path, sorted(signatures), wanted)
    if not unsafe:
        from .side_effects import side_effect_ops

        effects = side_effect_ops(graphs[0], key)
        if effects:
            ops = ", ".join(sorted({op for op, _ in effects}))
            raise SourceLoadError(
                f"{path}: loading and converting it would run {ops} ({effects[0][1]}"
                f"{f' and {len(effects) - 1} more' if len(effects) > 1 else ''}), which act "
                "outside the model (files, Python, summaries); nothing was run. Pass --unsafe "
                "only if you trust this SavedModel",
                "unsafe",
            )
    inputs = []
    for name, info in signatures[key].inputs.items():
        dims = info.tensor_shape.dim
        shape = tuple(int(d.size) for d in dims) if not info.tensor_shape.unknown_rank else ()
        inputs.append(InputSpec(name, shape, _np_dtype(info.dtype)))

    def factory() -> Any:
        return tf.lite.TFLiteConverter.from_saved_model(path, signature_keys=[key])

    loaded: list[Any] = []

    def fallback() -> Any:
        if not loaded:  # loaded once, on first need: tracing the functions takes seconds
            loaded.append(tf.saved_model.load(path))
        function = loaded[0].signatures[key]
        return tf.lite.TFLiteConverter.from_concrete_functions([function], loaded[0])

    return Source("saved_model", path, inputs, factory, key, fallback)


def _choose_signature(path: str, keys: list[str], wanted: str | None) -> str:
    if wanted is not None:
        if wanted not in keys:
            raise SourceLoadError(
                f"{path}: has no signature {wanted!r}; its signatures: " + ", ".join(keys),
                "signature",
            )
        return wanted
    if "serving_default" in keys:
        return "serving_default"
    if len(keys) == 1:
        return keys[0]
    raise SourceLoadError(
        f"{path}: has {len(keys)} signatures and none is serving_default; "
        "choose one with --signature: " + ", ".join(keys),
        "signature",
    )


def fallback_helps(err: BaseException) -> bool:
    """True for a `from_saved_model` failure that converting the frozen concrete function
    avoids: TF Lite's calibrator reading a resource variable it never got
    (`read_variable.cc ... READ_VARIABLE failed to invoke`, as Keras 3 SavedModels do)."""
    text = str(err)
    return "READ_VARIABLE" in text or "read_variable.cc" in text


def uninitialized_variables(data: bytes) -> bool:
    """True when a converted model reads resource variables (VAR_HANDLE) that no op ever
    assigns: `from_saved_model` on a Keras 3 SavedModel leaves the weights out that way, and
    the file then computes with garbage."""
    from ..model import ModelError, open_model

    try:
        with open_model(data) as model:
            names = {c.name for c in model.operator_codes}
    except ModelError:
        return False  # the parent's verification reports it
    return "VAR_HANDLE" in names and "ASSIGN_VARIABLE" not in names


def convert_variant(
    source: Source,
    variant: str,
    options: ConvertOptions,
    feed: Callable[[], Iterator[Any]] | None,
    on_fallback: Callable[[str], None],
) -> tuple[bytes, str | None]:
    """Converts one variant; returns its bytes and, when the SavedModel fallback was used,
    the words that say so. `on_fallback(why)` is called when `from_saved_model` just failed
    (or made a file without its weights) and the fallback is tried. Raises whatever the
    converter raises."""
    if source.fallback_reason is None:
        try:
            data = make_converter(source, variant, options, feed).convert()
        except Exception as err:
            if source.fallback is None or not fallback_helps(err):
                raise
            traceback.print_exc(file=sys.stderr)  # to the log
            source.fallback_reason = f"fails at calibration ({_first_line(err)})"
        else:
            if source.fallback is None or not uninitialized_variables(data):
                return data, None
            source.fallback_reason = (
                "leaves the weights in resource variables that nothing "
                "initializes (the file would compute with garbage)"
            )
        on_fallback(source.fallback_reason)
    converter = make_converter(source, variant, options, feed, fallback=True)
    return converter.convert(), (
        f"converted the {source.signature} signature as a concrete function (frozen "
        f"variables): from_saved_model {source.fallback_reason}"
    )


def make_converter(
    source: Source,
    variant: str,
    options: ConvertOptions,
    feed: Callable[[], Iterator[Any]] | None,
    fallback: bool = False,
) -> Any:
    """A TFLiteConverter set up for one variant (see variants.py), of the source's fallback
    when `fallback`. `feed` is the representative dataset of the calibrated variants (a
    generator function of samples, dicts by signature input name, so the input order of the
    graph never matters)."""
    c = source.fallback() if fallback and source.fallback else source.converter()
    ops = tf.lite.OpsSet
    base = [ops.TFLITE_BUILTINS]
    if variant != "float32":
        c.optimizations = [tf.lite.Optimize.DEFAULT]
    if variant == "float16":
        c.target_spec.supported_types = [tf.float16]
    if variant in ("int8", "int8-io", "int16x8"):
        if feed is None:
            raise ValueError(f"variant {variant} needs calibration samples")
        c.representative_dataset = feed
    if variant == "int8-io":
        base = [ops.TFLITE_BUILTINS_INT8]
        io = tf.uint8 if options.io_type == "uint8" else tf.int8
        c.inference_input_type = io
        c.inference_output_type = io
    if variant == "int16x8":
        base = [ops.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8]
    if options.select_tf_ops:
        base = [*base, ops.SELECT_TF_OPS]
    c.target_spec.supported_ops = base
    c.allow_custom_ops = options.allow_custom_ops
    c._experimental_disable_per_channel = not options.per_channel
    c._experimental_use_buffer_offset = options.buffer_offset
    return c


def conversion_failure(err: BaseException) -> tuple[str, list[dict[str, Any]]]:
    """A one-line message and the structured op errors of a failed `convert()`.

    `ConverterError.errors` holds ConverterErrorData protos; without them (other exceptions),
    op names are read from the message text."""
    errors: list[OpError] = []
    for data in getattr(err, "errors", None) or []:
        try:
            from google.protobuf import json_format

            as_dict = json_format.MessageToDict(data, preserving_proto_field_name=True)
        except Exception:  # not a proto after all: keep what we can read from it
            as_dict = {"error_message": str(data)}
        errors.append(op_error_from_proto_dict(as_dict))
    text = str(err)
    if not any(e.op for e in errors):
        errors = [e for e in errors if e.op] + op_errors_from_text(text)
    unique: dict[tuple[str, str, str], OpError] = {}
    for e in errors:
        unique.setdefault((e.op, e.error_code, e.location), e)
    ops = sorted({e.tf_name for e in unique.values() if e.op})
    if ops:
        message = f"{len(ops)} op{'s' if len(ops) > 1 else ''} not supported: {', '.join(ops)}"
    else:
        message = _summary_line(text) or type(err).__name__
    return message, [e.to_dict() for e in unique.values()]


def _summary_line(text: str) -> str:
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("<unknown>") and "note:" not in line:
            return line[:300]
    return ""


def versions() -> dict[str, str]:
    out = {"tensorflow": tf.__version__}
    keras = sys.modules.get("keras")
    if keras is not None:
        out["keras"] = getattr(keras, "__version__", "")
    return out
