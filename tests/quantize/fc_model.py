"""A float FULLY_CONNECTED model built in code (input [1, DEPTH] -> [1, UNITS]): its weight depth
is a multiple of every block size, which no committed fixture has."""

from __future__ import annotations

import numpy as np

from support.tflite_builder import tensor, weighted_op_model, write_model

FULLY_CONNECTED = 9
ADD = 0


def fc_model(
    depth: int = 256, units: int = 8, seed: int = 0, add: bool = False, out: str = "fc/out"
) -> bytes:
    """With `add`, the FULLY_CONNECTED output goes through ADD with a constant [1, units]
    tensor (a rank-2 float constant that no weight recipe of litert-quantizer quantizes);
    `out` names the FULLY_CONNECTED output."""
    rng = np.random.default_rng(seed)
    weights = rng.normal(0, 0.1, (units, depth)).astype("<f4")
    bias = rng.normal(0, 0.1, (units,)).astype("<f4")
    model = weighted_op_model(
        FULLY_CONNECTED,
        ("FullyConnectedOptions", {"fused_activation_function": 0}),
        [
            tensor("x", [1, depth]),
            tensor("fc/weights", [units, depth], buffer=1),
            tensor("fc/bias", [units], buffer=2),
            tensor(out, [1, units]),
        ],
        weights.tobytes(),
        bias.tobytes(),
        "fc test model",
    )
    if add:
        sg = model["subgraphs"][0]
        model["operator_codes"].append(
            {"deprecated_builtin_code": ADD, "builtin_code": ADD, "version": 1}
        )
        sg["tensors"] += [tensor("add/const", [1, units], buffer=3), tensor("add/out", [1, units])]
        sg["operators"].append(
            {
                "opcode_index": 1,
                "inputs": [3, 4],
                "outputs": [5],
                "builtin_options": ("AddOptions", {"fused_activation_function": 0}),
            }
        )
        sg["outputs"] = [5]
        model["buffers"].append({"data": np.ones((1, units), "<f4").tobytes()})
    return write_model(model)
