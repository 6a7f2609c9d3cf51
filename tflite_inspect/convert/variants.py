"""The conversion variants `convert` knows, by name, and parsing a `--variant` list."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import ConvertError

__all__ = ["VARIANTS", "Variant", "parse_variants"]


@dataclass(frozen=True)
class Variant:
    """One way to convert a model. `calibrated` variants need a representative dataset."""

    name: str
    description: str
    calibrated: bool = False


VARIANTS: dict[str, Variant] = {
    v.name: v
    for v in (
        Variant("float32", "float32 weights and activations, no optimization"),
        Variant("dynamic", "dynamic range: int8 weights, float activations and I/O"),
        Variant("float16", "float16 weights (dequantized to float32 at run time)"),
        Variant("int8", "int8 weights and activations, float32 input/output", True),
        Variant("int8-io", "full integer (TFLITE_BUILTINS_INT8) with int8 input/output", True),
        Variant("int16x8", "int16 activations, int8 weights, float32 input/output", True),
    )
}


def parse_variants(text: str) -> tuple[str, ...]:
    """`"float32,int8"` or `"all"` to variant names in the canonical order, duplicates removed.

    Raises ConvertError (exit 2) naming an unknown variant and listing the known ones."""
    names = [part.strip() for part in text.split(",") if part.strip()]
    if not names:
        raise ConvertError("--variant is empty; choose from " + ", ".join(VARIANTS) + " or all")
    if "all" in names:
        return tuple(VARIANTS)
    unknown = [n for n in names if n not in VARIANTS]
    if unknown:
        raise ConvertError(
            f"unknown variant {unknown[0]!r}; choose from " + ", ".join(VARIANTS) + " or all"
        )
    return tuple(v for v in VARIANTS if v in names)
