"""The quantizer child: `python -m tflite_inspect.quantize._child [--memory-mb N]`.

The interpreter child (`runtime._child`) with one more command, so a quantized model is made,
then loaded and run by the real interpreter, in the same process and over the same protocol:

  quantize  {"model", "recipe", "block_size", "keep", "part", "inputs", "samples"} + arrays
            -> {"seconds", "signature", "unsupported", "notes"}

The model bytes go to `part` (a file the parent created in the output folder), opened without
following a symlink. litert-quantizer is imported only here, and only for this command.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

from ..runtime._child import Child
from ..runtime._child import main as child_main
from ..runtime.protocol import Command, Request, input_key


class QuantizeChild(Child):
    def handle(self, request: Request) -> tuple[dict[str, Any], str | None]:
        if request.cmd is not Command.QUANTIZE:
            return super().handle(request)
        from ..runtime._wire import unstack

        args = request.args
        feeds = self.feeds(request)
        self.phase("importing")
        from . import _lq

        t0 = time.monotonic()
        with open(args["model"], "rb") as f:
            buffer = f.read()
        buffer, signature, notes = _lq.prepare(buffer, args["recipe"] in _lq.STATIC)
        self.phase("planning")
        job = _lq.Job(
            buffer,
            args["recipe"],
            int(args.get("block_size", 32)),
            [int(i) for i in args.get("keep", [])],
            notes,
        )
        unsupported = job.unsupported_ops()
        names = list(args.get("inputs", []))
        samples = (
            [
                {names[j]: s[input_key(j)] for j in range(len(names))}
                for s in unstack(feeds, int(args.get("samples", 0)))
            ]
            if feeds
            else []
        )
        data = job.run(samples, signature, self.phase)
        self.phase("writing")
        fd = os.open(args["part"], os.O_WRONLY | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        return {
            "seconds": round(time.monotonic() - t0, 3),
            "signature": signature,
            "unsupported": unsupported,
            "notes": job.notes,
        }, None


def main(argv: list[str]) -> int:
    return child_main(argv, QuantizeChild)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
