"""Coverage-guided fuzzing (atheris, libFuzzer) of everything the tool does with a file headless.

Each input is opened strictly and tolerantly, verified, and put through every static analysis:
summary, sizes, ops, tensors, weights (decoded, dequantized, statistics, strings), the graph
drawing of every subgraph, the semantic checks and their grouping, `check` without its probes,
and `diff` against its nearest seed. Our documented error types (ModelError, FlatBufError) are
how a bad file is refused; any other exception is a crash, saved under fuzz/crashes/.

    python fuzz/fuzz_open.py --seconds 60          # or: make fuzz FUZZ_SECONDS=60
    python fuzz/fuzz_open.py --replay FILE...      # run chosen inputs once (a crash raises)
    python fuzz/fuzz_open.py --differential ...    # also: both read paths must agree

`--differential` opens each input a second and a third time with the vectorised paths forced on
and off (model/_vector.py's columns and flatbuf/_vverify.py's bulk proof, which only large
vectors take by default: no seed is large enough) and saves the input as a crash when the
subgraphs, buffers, read findings, verify reports or strict errors differ.

Seeds are the fixtures' .tflite files, copied into fuzz/corpus/ (git-ignored), where libFuzzer
keeps the inputs that found new coverage.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
from pathlib import Path

import atheris

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "fuzz" / "corpus"
CRASHES = ROOT / "fuzz" / "crashes"

with atheris.instrument_imports(include=["tflite_inspect"]):
    from tflite_inspect.analysis.diff import diff_models
    from tflite_inspect.analysis.report import ops_report, summary_report, tensors_report
    from tflite_inspect.check import check_targets
    from tflite_inspect.flatbuf import ByteSource, FlatBufError, load_schema, verifier
    from tflite_inspect.flatbuf.verifier import VerifyOptions, verify
    from tflite_inspect.model import ModelError, _vector, open_model
    from tflite_inspect.model.checks import check_model
    from tflite_inspect.model.grouping import group_findings
    from tflite_inspect.model.sizes import size_report
    from tflite_inspect.model.weights import decoded_data, dequantize, string_data, weight_stats
    from tflite_inspect.text.graph import graph_lines

DOCUMENTED = (ModelError, FlatBufError)
SEEDS = sorted((ROOT / "fixtures").glob("*.tflite"))
_seed_models: list[tuple[int, object]] = []


def _nearest_seed(size: int) -> object:
    if not _seed_models:
        for path in SEEDS:
            _seed_models.append((path.stat().st_size, open_model(path.read_bytes())))
    return min(_seed_models, key=lambda s: abs(s[0] - size))[1]


def _step(fn, *args) -> object:
    try:
        return fn(*args)
    except DOCUMENTED:
        return None


def _weights(model) -> None:
    for sg in model.subgraphs:
        for t in sg.tensors:
            if not t.is_constant:
                continue
            if t.dtype == "string":
                _step(string_data, model, t)
                continue
            raw = _step(decoded_data, model, t)
            if raw is not None:
                _step(weight_stats, raw, 8)
            if t.is_quantized:
                values = _step(dequantize, model, t)
                if values is not None:
                    _step(weight_stats, values, 8)


def _analyses(model, size: int) -> None:
    _step(lambda: group_findings([*model.structural.diagnostics, *check_model(model)]))
    _step(summary_report, model)
    _step(size_report, model)
    _step(ops_report, model)
    _step(tensors_report, model)
    _step(_weights, model)
    names = {sg.index: sg.name for sg in model.subgraphs}
    for sg in model.subgraphs:
        _step(lambda sg=sg: graph_lines(sg, subgraph_names=names))
    _step(lambda: check_targets(model, probe=False))
    _step(diff_models, _nearest_seed(size), model)


def _by_path(data: bytes, vectorised: bool) -> list[object]:
    """Everything both read paths must agree on, read with the vectorised paths on or off."""
    threshold = 1 if vectorised else 10**12
    _vector.VECTOR_MIN_TABLES = verifier.VECTOR_MIN_TABLES = threshold
    out: list[object] = []
    try:
        for tolerant in (True, False):
            rep = verify(ByteSource(data), load_schema(), VerifyOptions(), tolerant=tolerant)
            out.append((rep.ok, rep.stopped, rep.tables_visited, rep.unique_tables))
            out.append([(d.code, d.message, d.start, d.end, d.path) for d in rep.diagnostics])
            try:
                with open_model(data, tolerant=tolerant) as model:
                    subgraphs = model.subgraphs
                    out.append((subgraphs, model.buffers, list(model.read_findings)))
                    out.append([(b.data_offset, b.error) for b in model.buffers])
            except DOCUMENTED as err:
                out.append(f"{type(err).__name__}: {err}")
    finally:
        _vector.VECTOR_MIN_TABLES, verifier.VECTOR_MIN_TABLES = _THRESHOLDS
    return out


_THRESHOLDS = (_vector.VECTOR_MIN_TABLES, verifier.VECTOR_MIN_TABLES)
DIFFERENTIAL = False


class PathsDiffer(AssertionError):
    """The vectorised and the scalar read of one input disagree."""


def _differential(data: bytes) -> None:
    scalar, vectorised = _by_path(data, False), _by_path(data, True)
    for k, (a, b) in enumerate(zip(scalar, vectorised, strict=True)):
        # NaN != NaN: a damaged file's NaN scales or ranges make equal objects unequal, so
        # only a difference their reprs show too counts.
        if a != b and repr(a) != repr(b):
            raise PathsDiffer(f"item {k} differs:\n scalar     {a!r:.600}\n vectorised {b!r:.600}")


def one_input(data: bytes) -> None:
    if DIFFERENTIAL:
        _differential(data)
    try:
        with open_model(data) as model:  # strict: a structurally valid file, as the commands
            _analyses(model, len(data))
        return
    except DOCUMENTED:
        pass
    try:
        with open_model(data, tolerant=True) as model:  # damaged: what verify and the UI show
            _analyses(model, len(data))
    except DOCUMENTED:
        pass


def _seed_corpus(corpus: Path) -> Path:
    corpus.mkdir(parents=True, exist_ok=True)
    for path in SEEDS:
        target = corpus / f"seed-{path.name}"
        if not target.exists():
            shutil.copyfile(path, target)
    return corpus


def _limit_memory(megabytes: int) -> None:
    """At most `megabytes` more address space than this process holds now; past it an
    allocation raises MemoryError, which the fuzzer keeps as a crash with its input.

    libFuzzer's own -rss_limit_mb reads the peak RSS the kernel carries across fork and exec:
    started by a large process (the test suite, a few GB by then) the fuzzer inherits that peak
    and stops at its first input with an empty "oom" artifact."""
    with open("/proc/self/statm", encoding="ascii") as f:
        mapped = int(f.read().split()[0]) * resource.getpagesize()
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    soft = mapped + (megabytes << 20)
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60, help="how long to fuzz (default 60)")
    parser.add_argument("--replay", nargs="+", metavar="FILE", help="run these inputs once")
    parser.add_argument(
        "--differential",
        action="store_true",
        help="also read each input by the vectorised and the scalar paths and require the same",
    )
    parser.add_argument(
        "--corpus",
        type=Path,
        default=CORPUS,
        help="the corpus folder (default fuzz/corpus; seeded from fixtures/)",
    )
    parser.add_argument(
        "--crashes",
        type=Path,
        default=CRASHES,
        help="where crashing inputs are saved (default fuzz/crashes)",
    )
    parser.add_argument(
        "--rss-mb",
        type=int,
        default=2048,
        help="how much memory the fuzzed "
        "code may add (default 2048 MB; an address-space limit, see _limit_memory)",
    )
    args, rest = parser.parse_known_args(argv[1:])
    global DIFFERENTIAL
    DIFFERENTIAL = args.differential
    if args.replay:
        for name in args.replay:
            one_input(Path(name).read_bytes())
            print(f"{name}: ok")
        return
    args.crashes.mkdir(parents=True, exist_ok=True)
    _limit_memory(args.rss_mb)
    libfuzzer = [
        argv[0],
        f"-max_total_time={args.seconds}",
        "-rss_limit_mb=0",
        "-max_len=65536",
        "-timeout=20",
        "-print_final_stats=1",
        f"-artifact_prefix={args.crashes}/",
        *rest,
        str(_seed_corpus(args.corpus)),
    ]
    atheris.Setup(libfuzzer, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
