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
    """One cycle per group of subgraphs that call each other (a strongly connected component with
    a cycle), as the subgraphs on one shortest cycle through its lowest index (first == last).
    Linear in the graph's size and without recursion: 20,000 back edges are one finding, found
    in one pass (Tarjan's algorithm, iterative)."""
    succ = {node: [callee for _, callee in edges] for node, edges in graph.items()}
    for targets in list(succ.values()):
        for t in targets:
            succ.setdefault(t, [])
    cycles = []
    for comp in _components(succ):
        members = set(comp)
        start = min(comp)
        if len(comp) == 1 and start not in succ[start]:
            continue
        cycles.append(_shortest_cycle(succ, members, start))
    return sorted(cycles, key=lambda c: c[0])


def _components(succ: dict[int, list[int]]) -> list[list[int]]:
    index: dict[int, int] = {}
    low: dict[int, int] = {}
    on_stack: set[int] = set()
    stack: list[int] = []
    out: list[list[int]] = []
    counter = 0
    for root in sorted(succ):
        if root in index:
            continue
        work = [(root, 0)]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, i = work[-1]
            targets = succ[node]
            if i < len(targets):
                work[-1] = (node, i + 1)
                t = targets[i]
                if t not in index:
                    index[t] = low[t] = counter
                    counter += 1
                    stack.append(t)
                    on_stack.add(t)
                    work.append((t, 0))
                elif t in on_stack:
                    low[node] = min(low[node], index[t])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    m = stack.pop()
                    on_stack.discard(m)
                    comp.append(m)
                    if m == node:
                        break
                out.append(comp)
    return out


def _shortest_cycle(succ: dict[int, list[int]], members: set[int], start: int) -> list[int]:
    """A shortest path start -> ... -> start inside one component (breadth first)."""
    parent: dict[int, int] = {}
    frontier = [start]
    seen = {start}
    while frontier:
        nxt = []
        for node in frontier:
            for t in succ[node]:
                if t == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(parent[path[-1]])
                    return [*reversed(path), start]
                if t in members and t not in seen:
                    seen.add(t)
                    parent[t] = node
                    nxt.append(t)
        frontier = nxt
    return [start, start]  # not reached: every member of a component lies on a cycle
