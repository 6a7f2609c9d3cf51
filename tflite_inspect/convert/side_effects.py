"""What a SavedModel would do outside the model when loaded and converted, read from its
`saved_model.pb` without running anything.

A SavedModel is a program: loading it runs its init op (TF1's `main_op`, TF2's
`__saved_model_init_op`) and converting runs the chosen signature, and both may hold ops that
write or delete files, call Python, or write summaries. We walk, in the parsed protobuf, every
node those two can reach (inputs, control inputs, and every function a reached node calls,
through `f` / `then_branch` / `body` attributes and direct calls) and list the ops with
effects outside the model. The saver's own functions (SaveV2, MergeV2Checkpoints), which only
`tf.saved_model.save` calls, are not reached and so not listed. Converting is refused when the
list is not empty, unless the user passes --unsafe.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

__all__ = ["SIDE_EFFECT_OPS", "side_effect_ops"]

SIDE_EFFECT_OPS = frozenset(
    {
        # files and folders
        "WriteFile",
        "Save",
        "SaveV2",
        "SaveSlices",
        "MergeV2Checkpoints",
        "ShardedFilename",
        "SaveDataset",
        "SaveDatasetV2",
        "ExperimentalSaveDataset",
        "DatasetToTFRecord",
        "ExperimentalDatasetToTFRecord",
        # Python called from the graph
        "PyFunc",
        "PyFuncStateless",
        "EagerPyFunc",
        # printing and summaries (PrintV2 may print to a file)
        "PrintV2",
        "CreateSummaryFileWriter",
        "CreateSummaryDbWriter",
        "WriteSummary",
        "WriteScalarSummary",
        "WriteHistogramSummary",
        "WriteImageSummary",
        "WriteAudioSummary",
        "WriteGraphSummary",
        "WriteRawProtoSummary",
        "ImportEvent",
        "FlushSummaryWriter",
        "CloseSummaryWriter",
        # debugger dumps write event files
        "DebugIdentityV2",
        "DebugIdentityV3",
        "DebugNumericSummaryV2",
    }
)


def _called(attrs: Any) -> Iterator[str]:
    for value in attrs.values():
        if value.HasField("func"):
            yield value.func.name
        if value.HasField("list"):
            for f in value.list.func:
                yield f.name


def side_effect_ops(meta_graph: Any, signature_key: str) -> list[tuple[str, str]]:
    """(op type, where) for every op with effects outside the model that loading the
    SavedModel's `meta_graph` and running its `signature_key` can reach."""
    graph = meta_graph.graph_def
    nodes = {n.name: n for n in graph.node}
    functions = {f.signature.name: f for f in graph.library.function}
    roots: list[str] = []
    for key in (signature_key, "__saved_model_init_op"):
        if key in meta_graph.signature_def:
            roots += [t.name for t in meta_graph.signature_def[key].outputs.values()]
    for collection in ("saved_model_main_op", "legacy_init_op", "table_initializer"):
        if collection in meta_graph.collection_def:
            roots += list(meta_graph.collection_def[collection].node_list.value)
    found: list[tuple[str, str]] = []
    stack = [r.lstrip("^").split(":")[0] for r in roots]
    seen: set[str] = set()
    calls: list[str] = []
    while stack:
        name = stack.pop()
        if name in seen or name not in nodes:
            continue
        seen.add(name)
        node = nodes[name]
        if node.op in SIDE_EFFECT_OPS:
            found.append((node.op, f"node {name!r}"))
        if node.op in functions:
            calls.append(node.op)
        calls += _called(node.attr)
        stack += [i.lstrip("^").split(":")[0] for i in node.input]
    done: set[str] = set()
    while calls:
        fname = calls.pop()
        if fname in done or fname not in functions:
            continue
        done.add(fname)
        for nd in functions[fname].node_def:
            if nd.op in SIDE_EFFECT_OPS:
                found.append((nd.op, f"function {fname!r}, node {nd.name!r}"))
            if nd.op in functions:
                calls.append(nd.op)
            calls += _called(nd.attr)
    return found
