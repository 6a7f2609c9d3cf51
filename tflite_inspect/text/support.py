"""TFLite Support metadata and the appended files as rows of words, for the CLI's `summary` and the
UI's Overview alike. Works on the JSON-ready dicts of `analysis.report.support_metadata_dict`;
every string that came from the file is made terminal-safe here."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..model.appended import terminal_safe
from .fmt import fmt_float
from .units import fmt_bytes

__all__ = ["parts_line", "support_rows"]

_PART_NAMES = {"flatbuffer_structure": "structure", "appended_files": "appended files"}
_MAX_VALUES = 8


def _s(text: Any, limit: int = 200) -> str:
    return terminal_safe(None if text is None else str(text), limit)


def _floats(values: Sequence[float]) -> str:
    shown = ",".join(fmt_float(v, 6) for v in values[:_MAX_VALUES])
    return shown + (",…" if len(values) > _MAX_VALUES else "")


def _content(c: dict[str, Any] | None) -> list[str]:
    if not c or not c.get("kind"):
        return []
    kind = c["kind"]
    if kind == "image":
        size = c.get("image_size")
        text = "image " + _s(c.get("color_space")) + (f" {size[0]}x{size[1]}" if size else "")
    elif kind == "audio":
        text = f"audio {c.get('sample_rate')} Hz, {c.get('channels')} channel(s)"
    elif kind == "bounding_box":
        text = (
            f"boxes {_s(c.get('box_type'))} {_s(c.get('coordinate_type'))}"
            f" index {list(c.get('box_index') or [])}"
        )
    else:
        text = _s(kind)
    rng = c.get("value_range")
    if rng:
        text += f", on dims {rng[0]}..{rng[1]}"
    return [text]


def _unit(u: dict[str, Any]) -> str:
    kind, opts = u["kind"], u.get("options") or {}
    if kind == "normalization":
        return f"normalize (x - mean) / std: mean {_floats(opts.get('mean', []))} std {_floats(opts.get('std', []))}"
    if kind == "score_thresholding":
        return f"score threshold {fmt_float(opts.get('global_score_threshold'))}"
    if kind == "score_calibration":
        return (
            f"score calibration {_s(opts.get('score_transformation'))}, "
            f"default {fmt_float(opts.get('default_score'))}"
        )
    if kind == "regex_tokenizer":
        return f"regex tokenizer {_s(opts.get('delim_regex_pattern'), 40)!r}"
    return _s(kind).replace("_", " ")


def _file_rows(
    files: Sequence[dict[str, Any]], appended: dict[str, Any] | None, indent: str
) -> list[tuple[str, str]]:
    members = {m["name"]: m for m in (appended or {}).get("files", [])}
    rows = []
    for f in files:
        text = f"{indent}{_s(f.get('name'), 80)} ({_s(f.get('type'))})"
        member = members.get(f.get("name"))
        if member is None:
            text += ": not in the appended zip" if appended is not None else ": no zip appended"
        elif member.get("lines") is not None:
            text += f", {member['lines']:,} line(s)"
            if member.get("first_lines"):
                text += ": " + ", ".join(_s(x, 40) for x in member["first_lines"])
                text += ", …" if member["lines"] > len(member["first_lines"]) else ""
        else:
            text += f", {fmt_bytes(member['size'])}" + (
                f" ({_s(member['note'])})" if member.get("note") else ""
            )
        rows.append(("", text))
    return rows


def _tensor_rows(
    arrow: str, t: dict[str, Any], model_name: str | None, appended: dict[str, Any] | None
) -> list[tuple[str, str]]:
    name = _s(t.get("name"), 60) or "(unnamed)"
    if model_name is not None and model_name != t.get("name"):
        name += f" (tensor {_s(model_name, 60)})"
    head = f"{arrow} {name}" + (f": {_s(t['description'])}" if t.get("description") else "")
    rows = [("", head)]
    details = _content(t.get("content")) + [_unit(u) for u in t.get("process_units", [])]
    lo, hi = t.get("stats_min") or [], t.get("stats_max") or []
    if lo or hi:
        details.append(f"stats min {_floats(lo) or '-'} max {_floats(hi) or '-'}")
    if details:
        rows.append(("", "    " + "; ".join(details)))
    rows += _file_rows(t.get("associated_files", []), appended, "    ")
    return rows


def support_rows(
    meta: dict[str, Any] | None,
    appended: dict[str, Any] | None,
    io_names: Sequence[tuple[list[str | None], list[str | None]]] = (),
) -> list[tuple[str, str]]:
    """(key, text) rows: the model's metadata, each input and output tensor (`io_names` gives
    the model's own tensor names per subgraph), the associated files with their first lines, and
    the appended zip. Empty when the model carries neither."""
    rows: list[tuple[str, str]] = []
    if meta is not None:
        head = f'"{_s(meta.get("name"), 80)}"' if meta.get("name") else "(unnamed)"
        for key, label in (
            ("version", "version"),
            ("author", "author"),
            ("license", "license"),
            ("min_parser_version", "parser ≥"),
        ):
            if meta.get(key):
                head += f" · {label} {_s(meta[key], 80)}"
        rows.append(("support", head))
        if meta.get("description"):
            rows.append(("", _s(meta["description"], 300)))
        rows += _file_rows(meta.get("associated_files", []), appended, "")
        for sg in meta.get("subgraphs", []):
            names = io_names[sg["index"]] if sg["index"] < len(io_names) else ([], [])
            if len(meta["subgraphs"]) > 1 or sg.get("name") or sg.get("description"):
                rows.append(
                    (
                        "",
                        f"subgraph {sg['index']} {_s(sg.get('name'), 60)}"
                        + (f": {_s(sg['description'])}" if sg.get("description") else ""),
                    )
                )
            for arrow, key, model_names in (
                ("in ", "inputs", names[0]),
                ("out", "outputs", names[1]),
            ):
                for i, t in enumerate(sg.get(key, [])):
                    model_name = model_names[i] if i < len(model_names) else None
                    rows += _tensor_rows(arrow, t, model_name, appended)
            units = [
                _unit(u)
                for u in sg.get("input_process_units", []) + sg.get("output_process_units", [])
            ]
            if units:
                rows.append(("", "    " + "; ".join(units)))
            rows += _file_rows(sg.get("associated_files", []), appended, "")
    if appended is not None:
        files = appended.get("files", [])
        rows.append(
            (
                "appended",
                f"{fmt_bytes(appended['bytes'])} zip after the flatbuffer, "
                f"{appended['members']:,} file(s)",
            )
        )
        if appended.get("problem"):
            rows.append(
                (
                    "",
                    "! "
                    + ("refused: " if appended.get("refused") else "")
                    + _s(appended["problem"], 300),
                )
            )
        for m in files[:20]:
            lines = f", {m['lines']:,} line(s)" if m.get("lines") is not None else ""
            rows.append(
                (
                    "",
                    f"{_s(m['name'], 80)}  {fmt_bytes(m['size'])} {m['compression']}{lines}"
                    + (f" ({_s(m['note'])})" if m.get("note") else ""),
                )
            )
        if len(files) > 20:
            rows.append(("", f"… {len(files) - 20:,} more"))
    return rows


def parts_line(parts: dict[str, int], file_bytes: int) -> str:
    """'21,616 B tensor data + 872 B metadata + … = 25,250 B file': the non-zero size parts, exact."""
    shown = [f"{v:,} B {_PART_NAMES.get(k, k.replace('_', ' '))}" for k, v in parts.items() if v]
    return " + ".join(shown) + f" = {file_bytes:,} B file"
