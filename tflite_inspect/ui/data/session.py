"""One open model as the UI sees it: the Model, its display name, the statistics once computed,
and a name index for jumping (no Textual)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from ...model import Model, Operator, Subgraph, Tensor
from .stats import ModelStats

__all__ = ["Entry", "Session"]


@dataclass(frozen=True)
class Entry:
    """An op or tensor that can be jumped to by name."""

    kind: str  # "op" or "tensor"
    subgraph: int
    index: int
    label: str  # what the palette shows
    key: str  # lower-case text matched against a query
    name: str = ""  # lower-case tensor name (an op's: its first output's)


class Session:
    """The model the UI shows. `name` is the file's base name (stable in snapshots);
    `stats` is None until the stats worker has finished."""

    def __init__(self, model: Model, name: str) -> None:
        self.model = model
        self.name = name
        self.stats: ModelStats | None = None

    @property
    def graph_ready(self) -> bool:
        """True once the subgraphs are built (the first screen comes before)."""
        return self.model.subgraphs_built

    @property
    def subgraphs(self) -> tuple[Subgraph, ...]:
        return self.model.subgraphs

    def subgraph(self, index: int) -> Subgraph | None:
        subgraphs = self.model.subgraphs
        return subgraphs[index] if 0 <= index < len(subgraphs) else None

    def op(self, subgraph: int, index: int) -> Operator | None:
        sg = self.subgraph(subgraph)
        if sg is None or not 0 <= index < len(sg.operators):
            return None
        return sg.operators[index]

    def tensor(self, subgraph: int, index: int) -> Tensor | None:
        sg = self.subgraph(subgraph)
        return sg.tensor(index) if sg is not None else None

    def subgraph_title(self, index: int) -> str:
        sg = self.subgraph(index)
        if sg is None:
            return f"subgraph {index}"
        return f"subgraph {index}" + (f" {sg.name}" if sg.name else "")

    @cached_property
    def entries(self) -> tuple[Entry, ...]:
        """Every op and tensor of every subgraph, built on first use (the palette)."""
        out: list[Entry] = []
        many = len(self.model.subgraphs) > 1
        for sg in self.model.subgraphs:
            where = f"  (subgraph {sg.index})" if many else ""
            for op in sg.operators:
                # Ops have no names in TFLite: the first output's name stands for the op.
                first = sg.tensor(op.outputs[0]) if op.outputs else None
                output = f" → {first.name}" if first is not None and first.name else ""
                label = f"op {op.index} {op.opcode_name}{output}{where}"
                out.append(
                    Entry(
                        "op",
                        sg.index,
                        op.index,
                        label,
                        label.lower(),
                        first.name.lower() if first is not None else "",
                    )
                )
            for t in sg.tensors:
                label = f"tensor {t.index} {t.name}{where}"
                out.append(Entry("tensor", sg.index, t.index, label, label.lower(), t.name.lower()))
        return tuple(out)

    def close(self) -> None:
        self.model.close()
