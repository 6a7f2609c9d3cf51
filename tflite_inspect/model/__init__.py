"""The TFLite domain: a model file as plain frozen objects, weights, sizes and semantic checks.

    model = open_model("model.tflite")          # ModelError when it is not a valid TFLite file
    for op in model.subgraphs[0].operators: ...
    check_model(model)                           # -> [Finding]
    size_report(model)                           # -> SizeReport (parts add up to the file size)
    dequantize(model, tensor)                    # -> numpy float32 array

Imports numpy (lazily, for weights) and the FlatBuffers layer only (never Textual, TensorFlow or the interpreter).
"""

from .checks import CHECK_CODES, call_graph, check_model, find_call_cycles
from .errors import Finding, Location, ModelError
from .flex import AttrValue, CustomOptions, NodeDef, decode_custom_options, parse_node_def
from .metadata import MetadataEntry
from .model import Model, open_model
from .objects import Buffer, ExternalBuffer, Operator, OperatorCode, Signature, Subgraph, Tensor
from .quantization import BlockwiseDetails, MultiAxisDetails, Quantization
from .sizes import SizeReport, TensorSize, size_report
from .sparsity import DimensionMetadata, Sparsity
from .types import DTYPES, DType, dtype_info

# numpy is only needed once weights are read: load `weights` on first use, so that the
# structural commands start without paying for it.
_WEIGHTS = {
    "WeightStats",
    "as_float",
    "decode_strings",
    "dequantize",
    "raw_bytes",
    "shared_buffers",
    "string_data",
    "tensor_data",
    "to_float",
    "unpack_int2",
    "unpack_int4",
    "weight_stats",
}


def __getattr__(name: str) -> object:
    if name in _WEIGHTS:
        from . import weights

        return getattr(weights, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "CHECK_CODES",
    "DTYPES",
    "AttrValue",
    "BlockwiseDetails",
    "Buffer",
    "CustomOptions",
    "DType",
    "DimensionMetadata",
    "ExternalBuffer",
    "Finding",
    "Location",
    "MetadataEntry",
    "Model",
    "ModelError",
    "MultiAxisDetails",
    "NodeDef",
    "Operator",
    "OperatorCode",
    "Quantization",
    "Signature",
    "SizeReport",
    "Sparsity",
    "Subgraph",
    "Tensor",
    "TensorSize",
    "WeightStats",
    "as_float",
    "call_graph",
    "check_model",
    "decode_custom_options",
    "decode_strings",
    "dequantize",
    "dtype_info",
    "find_call_cycles",
    "open_model",
    "parse_node_def",
    "raw_bytes",
    "shared_buffers",
    "size_report",
    "string_data",
    "tensor_data",
    "to_float",
    "unpack_int2",
    "unpack_int4",
    "weight_stats",
]
