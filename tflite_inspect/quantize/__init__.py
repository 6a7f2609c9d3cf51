"""Quantizing a float `.tflite` with litert-quantizer (Google's quantizer for converted models; no
TensorFlow), in a child process like every interpreter run.

- `quantize_model(QuantizeRequest(...)) -> QuantizeReport`: each recipe written safely and verified.
- `RECIPES`: the recipe names the CLI and the UI offer.
Nothing here imports litert-quantizer in the calling process: `_child` and `_lq` run in the child.
"""

from .job import (
    EXTRA_MISSING,
    QuantizeReport,
    QuantizeRequest,
    RecipeResult,
    quantize_model,
    quantizer_available,
)
from .plan import QuantizeError
from .recipes import BLOCK_SIZES, RECIPES, Recipe, recipe_names

__all__ = [
    "BLOCK_SIZES",
    "EXTRA_MISSING",
    "RECIPES",
    "QuantizeError",
    "QuantizeReport",
    "QuantizeRequest",
    "Recipe",
    "RecipeResult",
    "quantize_model",
    "quantizer_available",
    "recipe_names",
]
