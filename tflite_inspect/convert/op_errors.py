"""The converter's per-op errors as plain data, and which option would allow each op.

TensorFlow's `ConverterError.errors` holds `ConverterErrorData` protos; the child turns them into
dicts with `json_format.MessageToDict(..., preserving_proto_field_name=True)` and
`op_error_from_proto_dict` normalises those. When a failure carries no structured errors, the
op names are read from the message text instead (`op_errors_from_text`), which TF writes as
"TF Select ops: A, B" or "Custom ops: A, B". No TensorFlow import here.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

__all__ = [
    "FIXES",
    "Fix",
    "OpError",
    "failing_node",
    "op_error_from_proto_dict",
    "op_errors_from_text",
]

FLEX = "ERROR_NEEDS_FLEX_OPS"
CUSTOM = "ERROR_NEEDS_CUSTOM_OPS"


@dataclass(frozen=True)
class Fix:
    """An option that lets an op through: the request field, the CLI flag, and what it means."""

    option: str
    flag: str
    meaning: str


FIXES: dict[str, Fix] = {
    FLEX: Fix(
        "select_tf_ops", "--select-tf-ops", "SELECT_TF_OPS; the app must link the Flex delegate"
    ),
    CUSTOM: Fix(
        "allow_custom_ops", "--allow-custom-ops", "allow_custom_ops; the app must register a kernel"
    ),
}


@dataclass(frozen=True)
class OpError:
    """One failing op. `op` is the TF op as the converter names it ("tf.MatrixDeterminant"),
    `error_code` the ConverterErrorData code name, `location` the best single place to look
    (a "file:line:column" of user code when TF gives one, else the call-site name), `call_chain`
    every call-site of the location, outermost last."""

    op: str
    error_code: str = "UNKNOWN"
    message: str = ""
    location: str = ""
    call_chain: tuple[str, ...] = ()
    component: str = ""
    subcomponent: str = ""

    @property
    def tf_name(self) -> str:
        """The op's TF name without the dialect prefix ("MatrixDeterminant")."""
        return self.op[3:] if self.op.startswith("tf.") else self.op

    @property
    def fix(self) -> Fix | None:
        return FIXES.get(self.error_code)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["call_chain"] = list(self.call_chain)
        out["tf_name"] = self.tf_name
        fix = self.fix
        out["fix"] = fix.flag if fix else None
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OpError:
        """Reads the dicts the child sends (the `to_dict` layout); unknown keys are ignored."""
        return cls(
            op=str(data.get("op", "")),
            error_code=str(data.get("error_code", "UNKNOWN")),
            message=str(data.get("message", "")),
            location=str(data.get("location", "")),
            call_chain=tuple(str(c) for c in data.get("call_chain", ())),
            component=str(data.get("component", "")),
            subcomponent=str(data.get("subcomponent", "")),
        )


def _source_text(source: dict[str, Any]) -> str:
    filename = str(source.get("filename", ""))
    if not filename:
        return ""
    text = filename
    if source.get("line"):
        text += f":{source['line']}"
        if source.get("column"):
            text += f":{source['column']}"
    return text


def _is_library_file(filename: str) -> bool:
    return any(
        part in filename
        for part in ("site-packages", "dist-packages", "/tensorflow/", "/keras/", "<frozen")
    )


def op_error_from_proto_dict(data: dict[str, Any]) -> OpError:
    """Normalises `MessageToDict(ConverterErrorData, preserving_proto_field_name=True)`.

    The location is the first call-site source outside TF/Keras (the user's own line), else the
    first source, else the first call-site name."""
    location = data.get("location") or {}
    calls = location.get("call") or []
    chain: list[str] = []
    sources: list[str] = []
    user_sources: list[str] = []
    for call in calls:
        source = _source_text(call.get("source") or {})
        name = str(call.get("name", ""))
        chain.append(f"{name} ({source})" if name and source else (name or source))
        if source:
            sources.append(source)
            if not _is_library_file(source):
                user_sources.append(source)
    best = (user_sources or sources or [c for c in chain if c] or [""])[0]
    message = str(data.get("error_message", ""))
    return OpError(
        op=str((data.get("operator") or {}).get("name", "")) or _op_from_message(message),
        error_code=str(data.get("error_code", "UNKNOWN")),
        message=message,
        location=best,
        call_chain=tuple(chain),
        component=str(data.get("component", "")),
        subcomponent=str(data.get("subcomponent", "")),
    )


def _op_from_message(message: str) -> str:
    m = re.search(r"'(tf\.[A-Za-z0-9_]+)' op", message)
    return m.group(1) if m else ""


_LIST_LINES = (
    (re.compile(r"^\s*TF Select ops:\s*(.+)$", re.M), FLEX),
    (re.compile(r"^\s*Custom ops:\s*(.+)$", re.M), CUSTOM),
)


def op_errors_from_text(text: str) -> list[OpError]:
    """Op names from a converter message's "TF Select ops: ..." / "Custom ops: ..." lines,
    one OpError per op (no location). Returns [] when neither line is there."""
    out: list[OpError] = []
    seen: set[tuple[str, str]] = set()
    for pattern, code in _LIST_LINES:
        for match in pattern.finditer(text):
            for name in match.group(1).split(","):
                name = name.strip()
                if name and (name, code) not in seen:
                    seen.add((name, code))
                    out.append(OpError(op=f"tf.{name}", error_code=code))
    return out


_NODE = re.compile(r"Node number (\d+) \(([A-Za-z0-9_]+)\) failed to (prepare|invoke)")
_KERNEL_CHECK = re.compile(r"tensorflow/lite/kernels/[\w/]+\.cc:\d+\s+(.*?)(?=Node number|$)", re.S)


def failing_node(text: str) -> tuple[str, int, str, str] | None:
    """(op, node index, "prepare" or "invoke", the kernel's check) from a TFLite interpreter
    error ("...reshape.cc:94 num_input_elements != num_output_elements (5 != 0)Node number 0
    (RESHAPE) failed to prepare."), as the calibrator raises it; None when there is none."""
    node = _NODE.search(text)
    if node is None:
        return None
    check = _KERNEL_CHECK.search(text)
    detail = " ".join(check.group(1).split()) if check else ""
    return node.group(2), int(node.group(1)), node.group(3), detail
