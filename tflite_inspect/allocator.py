"""Keeps freed memory in the process for the next array, where the C library allows it (glibc).

glibc gives every allocation above its mmap threshold (128 KiB, raised as such blocks are freed)
pages of its own, and returns freed memory at the top of the heap to the system once more than
twice that threshold is free. A comparison allocates and frees arrays of a few MiB per matched
tensor and chunk (float64 rows, their squares, differences): each one then comes back as fresh
pages the system must fault in and zero, which cost three times the arithmetic on them (measured:
128 samples of a 1,568-element tensor, the layer statistics and range histogram 14–18 ms, and
4.6–6.0 ms once freed memory is kept). Blocks under 32 MiB therefore come from the heap and up
to 64 MiB of free heap is kept; what stays mapped is at most that much more than the peak.

`keep_freed_memory()` is idempotent and changes nothing where the C library has no glibc
`mallopt` (macOS, Windows; musl's returns 0). Standard library only: the interpreter child calls it
first thing.
"""

from __future__ import annotations

__all__ = ["MMAP_THRESHOLD", "TRIM_THRESHOLD", "keep_freed_memory"]

MMAP_THRESHOLD = 32 << 20
TRIM_THRESHOLD = 64 << 20
# glibc's mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3

_done: list[bool] = []


def keep_freed_memory() -> bool:
    """Sets the thresholds once per process; True when the C library took them."""
    if _done:
        return _done[0]
    ok = False
    try:
        import ctypes

        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError, TypeError):
        pass
    else:
        mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
        mallopt.restype = ctypes.c_int
        ok = bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
            mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
        )
    _done.append(ok)
    return ok
