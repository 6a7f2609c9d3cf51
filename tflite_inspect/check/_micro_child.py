"""The TFLite Micro probe's child: `python -m tflite_inspect.check._micro_child MODEL ARENA`.

Builds tflite-micro's interpreter for MODEL with an arena of ARENA bytes, prints the recording
allocator's figures ("Arena allocation total/head/tail") on stderr, invokes it once on inputs of
zeros, and prints one JSON line on stdout: {"ok": true}, or {"ok": false, "stage": "allocate"
or "invoke", "error": "Type: message"}. Started by `probe._probe_micro` through `spawn`, it
leaves when its parent is gone.
"""

from __future__ import annotations

import json
import sys

import numpy as np

from ..spawn import die_with_parent


def main(argv: list[str]) -> int:
    die_with_parent()
    from tflite_micro.python.tflite_micro import runtime

    stage = "allocate"
    try:
        it = runtime.Interpreter.from_file(argv[0], arena_size=int(argv[1]))
        sys.stderr.flush()
        it.print_allocations()
        sys.stderr.flush()
        stage = "invoke"
        for index in range(MAX_INPUTS):
            try:
                details = it.get_input_details(index)
            except IndexError:  # past the last input
                break
            it.set_input(np.zeros(details["shape"], details["dtype"]), index)
        it.invoke()
        print(json.dumps({"ok": True}), flush=True)
    except Exception as e:  # the interpreter's refusal, reported to the parent as text
        error = f"{type(e).__name__}: {e}"
        print(json.dumps({"ok": False, "stage": stage, "error": error}), flush=True)
    return 0


MAX_INPUTS = 1024


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
