"""The subgraph call graph: which op calls which subgraph (WHILE, IF, CALL_ONCE, CALL,
StableHLO regions and composites), and its cycles, found without recursion."""

from __future__ import annotations

from .model import Model

__all__ = ["call_graph", "find_call_cycles"]


def call_graph(model: Model) -> dict[int, list[tuple[int, int]]]:
    """subgraph -> [(op index, called subgraph)] for every in-range call."""
    n = len(model.subgraphs)
    graph: dict[int, list[tuple[int, int]]] = {}
    for sg in model.subgraphs:
        edges = graph.setdefault(sg.index, [])
        for op in sg.operators:
            for callee in op.called_subgraphs:
                if 0 <= callee < n:
                    edges.append((op.index, callee))
    return graph


def find_call_cycles(graph: dict[int, list[tuple[int, int]]]) -> list[list[int]]:
    """Each cycle found by an iterative depth-first search, as the list of subgraphs on it
    (first == last). One cycle per back edge; no recursion, so deep graphs are fine."""
    white, grey, black = 0, 1, 2
    color = dict.fromkeys(graph, white)
    cycles: list[list[int]] = []
    for start in sorted(graph):
        if color[start] != white:
            continue
        stack: list[tuple[int, int]] = [(start, 0)]
        path = [start]
        color[start] = grey
        while stack:
            node, i = stack[-1]
            edges = graph.get(node, [])
            if i >= len(edges):
                stack.pop()
                path.pop()
                color[node] = black
                continue
            stack[-1] = (node, i + 1)
            callee = edges[i][1]
            state = color.get(callee, white)
            if state == grey:
                cycles.append(path[path.index(callee) :] + [callee])
            elif state == white:
                color[callee] = grey
                stack.append((callee, 0))
                path.append(callee)
    return cycles
