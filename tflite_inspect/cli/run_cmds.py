"""`run` and `compare`: execute models in a child process and report outputs, errors, latency.

Exit codes: 0 ok; 1 when an interpreter run fails or crashes (one line on stderr naming the op or
the signal); 2 for what the user can fix (a missing model, unreadable inputs, an existing output
file without --force). Nothing here imports TFLite, TensorFlow or Textual: the runtime package
runs the interpreter in a child process.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from .common import UserError, print_json

__all__ = ["register"]


def _common_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--inputs",
        metavar="FILE",
        help=".npy or .npz inputs (arrays by input name or position; `y` = labels); "
        "default: seeded random inputs",
    )
    p.add_argument(
        "--samples",
        type=int,
        metavar="N",
        help="how many samples (default: all of --inputs, else 1 for run and 8 for compare)",
    )
    p.add_argument(
        "--runs",
        type=int,
        default=20,
        metavar="N",
        help="timed invocations for latency (default 20; 0 skips timing)",
    )
    p.add_argument(
        "--warmup", type=int, default=3, metavar="N", help="untimed invocations first (default 3)"
    )
    p.add_argument(
        "--threads", type=int, metavar="N", help="interpreter threads (default: its own)"
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the random inputs (default 0)")
    p.add_argument(
        "--signature",
        metavar="KEY",
        help="signature to run (default: serving_default, else the first)",
    )
    p.add_argument(
        "--backend",
        choices=("auto", "litert", "tensorflow"),
        default="auto",
        help="ai_edge_litert, else tf.lite (default auto)",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=60.0,
        metavar="S",
        help="seconds one load or invocation may take before it counts as a hang (default 60)",
    )
    p.add_argument(
        "--memory-mb",
        type=int,
        default=4096,
        metavar="MB",
        help="address-space limit of the interpreter process (default 4096; 0 = none)",
    )
    p.add_argument(
        "--inputs-mb",
        type=int,
        default=2048,
        metavar="MB",
        help="the most --inputs may hold once unpacked, checked before reading it (default 2048)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON document")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "run",
        help="run a model: the signature, outputs (top-k for class "
        "scores), latency; exit 1 when the interpreter fails or "
        "crashes",
    )
    p.add_argument("model", help="the .tflite file")
    _common_args(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser(
        "compare",
        help="the same inputs through two models: output and per-layer "
        "error, accuracy, size and latency",
    )
    p.add_argument("a", help="the reference model (usually float)")
    p.add_argument("b", help="the model under test (usually quantized)")
    _common_args(p)
    p.add_argument(
        "--per-layer",
        action="store_true",
        help="compare every matched intermediate tensor: the error accumulated up to "
        "it, and each op's isolated error (that op alone on B's own inputs, as the "
        "QuantizationDebugger measures it)",
    )
    p.add_argument(
        "--accumulated-only",
        action="store_true",
        help="per-layer: skip the one-op runs that measure the isolated error (default: both)",
    )
    p.add_argument(
        "--csv",
        metavar="FILE",
        help="write the per-layer rows as CSV in the "
        "QuantizationDebugger column order (implies --per-layer; default: none)",
    )
    p.add_argument(
        "--model-explorer",
        metavar="FILE",
        help="write the per-layer error as Model "
        "Explorer node data (implies --per-layer; default: none)",
    )
    p.add_argument("--force", action="store_true", help="overwrite existing --csv/--model-explorer")
    p.add_argument(
        "--top", type=int, default=25, metavar="N", help="per-layer rows shown (default 25)"
    )
    p.set_defaults(func=cmd_compare)


# -- shared ------------------------------------------------------------------------------------


def _request(kind: Any, *models: str, args: argparse.Namespace, **extra: Any) -> Any:
    """A RunRequest or CompareRequest (`kind`) from the shared arguments: a setting out of range
    is one line naming its option, exit 2."""
    from ..runtime import Limits, RequestError

    try:
        return kind(
            *models,
            inputs=args.inputs,
            samples=args.samples,
            runs=args.runs,
            warmup=args.warmup,
            threads=args.threads,
            seed=args.seed,
            signature=args.signature,
            backend=args.backend,
            limits=Limits(
                timeout_s=args.timeout, memory_mb=args.memory_mb or None, inputs_mb=args.inputs_mb
            ),
            **extra,
        )
    except RequestError as err:
        raise UserError(f"--{err}", 2) from err


def _check_model(path: str, signature: str | None) -> Any:
    """The model's inputs, read with the static reader: what is not a readable TFLite file or
    lacks the signature is exit 2 before an interpreter starts (see preflight.py)."""
    from .preflight import model_inputs

    return model_inputs(path, signature)


def _progress(args: argparse.Namespace) -> Any:
    """A rich progress display on an interactive stderr (not with --json); off otherwise."""
    from .progress import CliProgress

    return CliProgress.for_args(args).__enter__()


def _envelope(kind: str, body: dict[str, Any]) -> dict[str, Any]:
    from ..analysis.report import SCHEMA_VERSION

    return {"kind": kind, "schema_version": SCHEMA_VERSION, **body}


def _failure(name: str, outcome: Any) -> UserError:
    return UserError(f"{Path(name).name}: {outcome.line()}", 1)


# -- run ---------------------------------------------------------------------------------------


def _signature_ran(path: str, wanted: str | None) -> str:
    """The signature the interpreter runs, as the runtime picks it: --signature, else
    serving_default, else the first; a model without signatures runs subgraph 0."""
    from .common import open_model_or_fail

    with open_model_or_fail(path) as model:
        keys = [s.key for s in model.signatures]
    if wanted is not None:
        return wanted
    if not keys:
        return "none (the model has no signatures: subgraph 0 ran)"
    chosen = "serving_default" if "serving_default" in keys else keys[0]
    others = [k for k in keys if k != chosen]
    return chosen + (f" (also: {', '.join(others)}; --signature picks one)" if others else "")


def cmd_run(args: argparse.Namespace) -> int:
    from ..runtime import InputError, RunRequest, run_model

    _check_model(args.model, args.signature)
    request = _request(RunRequest, args.model, args=args)
    bar = _progress(args)
    try:
        report = run_model(request, progress=bar.callback)
    except InputError as err:
        raise UserError(str(err), 2) from err
    finally:
        bar.close()
    if args.json:
        print_json(_envelope("run", report.to_dict()))
    elif report.outcome.ok:
        from ..text.run import run_text  # numpy (analysis.compare): not at parser build

        print(run_text(report, _signature_ran(args.model, args.signature)))
    if not report.outcome.ok:
        raise _failure(args.model, report.outcome)
    return 0


# -- compare -----------------------------------------------------------------------------------


def _refuse_existing(path: str | None, force: bool) -> None:
    from ..safe_write import check_target

    if path:
        check_target(path, force=force, need_folder=True)


def cmd_compare(args: argparse.Namespace) -> int:
    from ..analysis.layers import layers_csv, model_explorer_node_data
    from ..runtime import CompareRequest, InputError, compare_models
    from ..safe_write import write_bytes_safely
    from .preflight import same_inputs

    same_inputs(*(_check_model(path, args.signature) for path in (args.a, args.b)))
    per_layer = bool(args.per_layer or args.csv or args.model_explorer)
    request = _request(
        CompareRequest,
        args.a,
        args.b,
        args=args,
        per_layer=per_layer,
        isolated=not args.accumulated_only,
    )
    _refuse_existing(args.csv, args.force)
    _refuse_existing(args.model_explorer, args.force)
    bar = _progress(args)
    try:
        report = compare_models(request, progress=bar.callback)
    except InputError as err:
        raise UserError(str(err), 2) from err
    finally:
        bar.close()
    failed = report.failed
    if args.json:
        print_json(_envelope("compare", report.to_dict()))
    elif failed is None:
        from ..text.run import compare_text

        print(compare_text(report, args.top))
    if failed is not None:
        raise _failure(failed.file["path"], failed.outcome)
    if args.csv:
        write_bytes_safely(args.csv, layers_csv(report.layers).encode(), force=args.force)
    if args.model_explorer:
        data = json.dumps(model_explorer_node_data(report.layers), indent=2, allow_nan=False)
        write_bytes_safely(args.model_explorer, (data + "\n").encode(), force=args.force)
    return 0
