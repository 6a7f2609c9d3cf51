"""An operator's decoded options in a few words: `SAME s2x2 d1x1 RELU6`, `axes [1, 2] keep_dims`.

Padding, stride (s HxW), dilation (d HxW), pooling window (f HxW) and the fused activation get
their short forms; other options read `name=value`, a true flag by its name alone. What carries
no information is left out: false flags, empty values, NONE activations and the default weight
format or bias type, zero masks and clips, the subgraph indices of WHILE/IF (the opcode column
names the calls). Reduction axes are an input tensor, not an option: the caller passes them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["REDUCERS", "options_text"]

# Ops whose second input is the constant list of axes they reduce over.
REDUCERS = frozenset(
    {
        "MEAN",
        "SUM",
        "REDUCE_MAX",
        "REDUCE_MIN",
        "REDUCE_PROD",
        "REDUCE_ANY",
        "REDUCE_ALL",
        "ARG_MAX",
        "ARG_MIN",
    }
)

_PAIRS = (
    ("s", "stride_h", "stride_w"),
    ("d", "dilation_h_factor", "dilation_w_factor"),
    ("f", "filter_height", "filter_width"),
)
_SHOWN = {"padding", "fused_activation_function", *(k for _, h, w in _PAIRS for k in (h, w))}
# Values that say "nothing special" for the option they belong to.
_QUIET = {
    ("weights_format", "DEFAULT"),
    ("quantized_bias_type", "FLOAT32"),
    ("asymmetric_quantize_inputs", False),
}
_MAX_VALUE = 24


def _value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (list, tuple)):
        text = "[" + ", ".join(_value(v) for v in value) + "]"
    else:
        text = str(value)
    return text if len(text) <= _MAX_VALUE else text[: _MAX_VALUE - 1] + "…"


def _quiet(key: str, value: Any) -> bool:
    if value is None or value is False or value == "":
        return True
    if isinstance(value, (list, tuple, dict)):
        return not value
    if key.endswith("_subgraph_index"):  # the opcode column says `calls sgN`
        return True
    if key.endswith(("_mask", "_clip")) and value == 0:  # no bit set, no clipping
        return True
    return any(
        key == k and value is v or (key == k and value == v and type(value) is type(v))
        for k, v in _QUIET
    )


def options_text(options: dict[str, Any], axes: Sequence[int] | None = None) -> str:
    """The options of one operator (as `ops_report` decodes them) in one compact string."""
    words: list[str] = []
    if options.get("padding"):
        words.append(str(options["padding"]))
    for prefix, h, w in _PAIRS:
        if h in options or w in options:
            words.append(f"{prefix}{options.get(h, '?')}x{options.get(w, '?')}")
    if axes is not None:
        words.append(f"axes {_value(list(axes))}")
    for key, value in options.items():
        if key in _SHOWN or _quiet(key, value):
            continue
        words.append(key if value is True else f"{key}={_value(value)}")
    act = options.get("fused_activation_function")
    if act and act != "NONE":
        words.append(str(act))
    return " ".join(words)
