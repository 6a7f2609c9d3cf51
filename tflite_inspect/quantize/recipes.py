"""The recipes `quantize` offers, by their CLI names. Plain data: no litert-quantizer import here
(the child builds the litert-quantizer recipe from these names, see `_lq`)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["BLOCK_SIZES", "RECIPES", "Recipe", "recipe_names"]

BLOCK_SIZES = (32, 64, 128)


@dataclass(frozen=True)
class Recipe:
    """`static`: activations are quantized too, so calibration samples are needed."""

    name: str
    description: str
    static: bool = False


RECIPES: dict[str, Recipe] = {
    r.name: r
    for r in (
        Recipe("dynamic-int8", "int8 channelwise weights, float activations quantized at run time"),
        Recipe("weight-int8", "int8 channelwise weights dequantized to float (DEQUANTIZE ops)"),
        Recipe(
            "weight-int4",
            "int4 weights: blockwise (--block-size) for FULLY_CONNECTED and "
            "EMBEDDING_LOOKUP, channelwise for the other weight ops",
        ),
        Recipe("static-int8", "int8 weights and activations (full integer, int8 I/O)", static=True),
        Recipe("static-int16x8", "int8 weights, int16 activations", static=True),
        Recipe("float16", "float16 weights dequantized to float32 (FLOAT_CASTING)"),
    )
}


def recipe_names(choice: str, have_calibration: bool) -> list[str]:
    """The recipes `--recipe` names: one name, or `all` (the static ones only with calibration).
    Raises ValueError for an unknown name."""
    if choice == "all":
        return [r.name for r in RECIPES.values() if have_calibration or not r.static]
    names = [n.strip() for n in choice.split(",") if n.strip()]
    for name in names:
        if name not in RECIPES:
            raise ValueError(f"unknown recipe {name!r}: expected {', '.join(RECIPES)} or all")
    return list(dict.fromkeys(names))
