"""What a run or a compare is asked to do, validated once when it is built.

The CLI builds a request from its arguments, the UI from its form, the quantize loop from its own
settings; `run_model` and `compare_models` take the request and trust it. A bad value is a
`RequestError` naming the setting (the CLI prints it as `--samples must be positive`, exit 2);
a model that is not a file is FileNotFoundError, as `open()` says it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .inputs import InputError
from .session import Limits

__all__ = ["BACKENDS", "CompareRequest", "RequestError", "RunRequest", "RunSettings"]

BACKENDS = ("auto", "litert", "tensorflow")  # ai_edge_litert, tf.lite, the first installed


class RequestError(InputError):
    """A setting out of range: `setting` is its name, `rule` what it must be."""

    def __init__(self, setting: str, rule: str) -> None:
        super().__init__(f"{setting.replace('_', '-')} {rule}")
        self.setting, self.rule = setting, rule


@dataclass(frozen=True, kw_only=True)
class RunSettings:
    """The settings a run and a compare share. `inputs`: a .npy/.npz file of samples (else
    `samples` random ones, seeded by `seed`); `runs` timed invocations after `warmup` untimed
    ones (0 runs: no latency); `threads`/`backend`/`signature`: the interpreter's."""

    inputs: str | Path | None = None
    samples: int | None = None
    runs: int = 20
    warmup: int = 3
    threads: int | None = None
    seed: int = 0
    signature: str | None = None
    backend: str = "auto"
    limits: Limits = field(default_factory=Limits)

    def __post_init__(self) -> None:
        if self.inputs is not None:
            object.__setattr__(self, "inputs", str(self.inputs))
        for name, least in (("samples", 1), ("threads", 1), ("runs", 0), ("warmup", 0)):
            value = getattr(self, name)
            if value is not None and value < least:
                raise RequestError(name, "must be positive" if least else "must be 0 or more")
        if self.backend not in BACKENDS:
            raise RequestError("backend", f"must be one of {', '.join(BACKENDS)}")
        limits = self.limits
        if limits.timeout_s <= 0:
            raise RequestError("timeout", "must be positive")
        if limits.memory_mb is not None and limits.memory_mb <= 0:
            raise RequestError("memory_mb", "must be 0 (no limit) or a positive number of MB")
        if limits.inputs_mb <= 0:
            raise RequestError("inputs_mb", "must be positive")

    @property
    def max_input_bytes(self) -> int:
        return self.limits.inputs_mb << 20


def _model_file(path: str | Path) -> str:
    if not Path(path).is_file():
        raise FileNotFoundError(2, "No such file", str(path))
    return str(path)


@dataclass(frozen=True)
class RunRequest(RunSettings):
    """Run one model: `RunRequest("m.tflite", samples=4, runs=0)`."""

    model: str | Path

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "model", _model_file(self.model))


@dataclass(frozen=True)
class CompareRequest(RunSettings):
    """Compare B against A on the same samples (8 random ones by default). `per_layer` adds the
    intermediate tensors, and with `isolated` each matched op's own error; `chunk` samples are
    fed per request to the child (None: as many as keep a chunk's tensors near
    `compare.CHUNK_BYTES`, between 16 and 512; with `per_layer`, four chunks or more, so the child
    runs one while the parent accumulates the last: `chunks.PIPELINE`)."""

    a: str | Path
    b: str | Path
    per_layer: bool = False
    isolated: bool = True
    chunk: int | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "a", _model_file(self.a))
        object.__setattr__(self, "b", _model_file(self.b))
        if self.chunk is not None and self.chunk < 1:
            raise RequestError("chunk", "must be positive")
