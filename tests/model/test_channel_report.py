"""channel_report's fast path (no flag when every scale is within [TINY, HUGE] and within 1000x
of the others) gives exactly the flags, ratio and median of the channel-by-channel rules, on
random scale sets around each boundary."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from tflite_inspect.analysis.scales import HUGE_SCALE, TINY_SCALE, channel_report


def _by_rule(scales: list[float]) -> tuple[tuple[str, ...], float | None, float | None]:
    """The rules one channel at a time (what the report says, written plainly)."""
    usable = sorted(s for s in scales if math.isfinite(s) and s > 0)
    median = usable[len(usable) // 2] if usable else None
    flags = []
    for s in scales:
        if not math.isfinite(s):
            flags.append("non-finite scale")
        elif s == 0:
            flags.append("zero scale")
        elif s < 0:
            flags.append("negative scale")
        elif s < TINY_SCALE or (median is not None and s < median / 1000):
            flags.append("tiny scale")
        elif s > HUGE_SCALE or (median is not None and s > median * 1000):
            flags.append("huge scale")
        else:
            flags.append("")
    return tuple(flags), (usable[-1] / usable[0] if usable else None), median


NEAR = st.sampled_from(
    [0.0, -1.0, math.nan, math.inf, TINY_SCALE, TINY_SCALE * 0.999, HUGE_SCALE, HUGE_SCALE * 1.001]
)
SCALE = st.one_of(
    st.floats(min_value=1e-12, max_value=1e6, allow_nan=False),
    st.floats(min_value=0.001, max_value=1.0),
    NEAR,
)


@settings(max_examples=600, deadline=None)
@given(st.lists(SCALE, min_size=1, max_size=12), st.floats(min_value=0.5, max_value=2000.0))
def test_the_fast_path_says_what_the_rules_say(scales: list[float], spread: float) -> None:
    # also a set whose spread sits right around the 1000x boundary
    for case in (scales, [1e-3, 1e-3 * spread, 1e-3 * math.sqrt(spread)]):
        report = channel_report(case)
        flags, ratio, median = _by_rule(case)
        assert report.flags == flags
        assert report.ratio == ratio
        assert report.median == median
