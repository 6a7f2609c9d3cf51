"""The TFLite domain: a model file as plain frozen objects, weights, sizes and semantic checks.

Imports numpy and the FlatBuffers layer only (never Textual or TensorFlow).
"""

from .errors import Finding, Location, ModelError
from .model import Model, open_model
from .objects import Buffer, ExternalBuffer, Operator, OperatorCode, Signature, Subgraph, Tensor
from .quantization import BlockwiseDetails, MultiAxisDetails, Quantization
from .sparsity import DimensionMetadata, Sparsity
from .metadata import MetadataEntry
from .flex import AttrValue, CustomOptions, NodeDef

__all__ = [
    "AttrValue",
    "BlockwiseDetails",
    "Buffer",
    "CustomOptions",
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
    "Sparsity",
    "Subgraph",
    "Tensor",
    "open_model",
]
