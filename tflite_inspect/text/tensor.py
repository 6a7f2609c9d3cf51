"""A tensor in words: the dtype, shape, quantization and size cells that the CLI's `tensors` and
the UI's Tensors table both show, from one function so the two never disagree."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .fmt import fmt_quantization, fmt_shape
from .units import fmt_bytes

__all__ = ["TensorWords", "tensor_words"]


@dataclass(frozen=True)
class TensorWords:
    dtype: str
    shape: str
    quantization: str
    size: str  # empty for a tensor without stored or planned bytes


def tensor_words(t: Any) -> TensorWords:
    """The words for a `model.objects.Tensor`."""
    return TensorWords(
        t.dtype,
        fmt_shape(t.shape, t.shape_signature),
        fmt_quantization(t.quantization),
        fmt_bytes(t.nbytes) if t.nbytes else "",
    )
