"""Pure functions over the model layer: reports, quantization coverage, diff, checks. No I/O, no UI."""
