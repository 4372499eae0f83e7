"""`incgeo sweep`: the map, its files, its errors, and Ctrl-C followed by a resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

import incentive_geometry as ig

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
ENTRENCHMENT = str(EXAMPLES / "entrenchment.toml")


def test_sweep_writes_the_map_and_the_plot(
    tmp_path: Path, incgeo: Callable[..., tuple[int, str, str]]
) -> None:
    png, npz = tmp_path / "map.png", tmp_path / "map.npz"
    code, out, err = incgeo(
        "sweep",
        ENTRENCHMENT,
        "--grid",
        "theta=0:1:31",
        "--grid",
        "gamma=0:2:21",
        "--label",
        "aligned:x=0",
        "--label",
        "entrenched:x=1",
        "--plot",
        str(png),
        "--out",
        str(npz),
        "--no-progress",
    )
    assert code == 0, err
    assert "aligned + entrenched (bistable)" in out and "entrenched only" in out
    assert png.stat().st_size > 10_000
    sm = ig.StabilityMap.load(npz)
    assert sm.shape == (31, 21) and sm.parameter_names == ("theta", "gamma")


def test_sweep_json_summary_and_fixed_parameters(
    incgeo: Callable[..., tuple[int, str, str]],
) -> None:
    code, out, err = incgeo(
        "sweep",
        ENTRENCHMENT,
        "--grid",
        "theta=0.05:0.95:7",
        "--set",
        "gamma=0",
        "--json",
        "--label",
        "aligned:x=0",
        "--label",
        "entrenched:x=1",
    )
    assert code == 0, err
    summary = json.loads(out)
    assert summary["fixed"]["gamma"] == 0.0 and summary["points"] == 7
    # DESIGN.md: with no recursive feedback there is never bistability.
    assert not any("bistable" in name for name in summary["classes"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--grid", "theta=0:1"], "expected name=lo:hi:n"),
        (["--grid", "thetta=0:1:3"], "unknown parameter `thetta`"),
        (["--grid", "theta=0:2:3"], "outside its domain"),
        ([], "give either --grid"),
        (["--grid", "theta=0:1:3", "--label", "aligned"], "expected name:state=value"),
        (["--grid", "theta=0:1:3", "--set", "c=nan"], "finite"),
    ],
)
def test_sweep_bad_input_exits_2(
    args: list[str], message: str, incgeo: Callable[..., tuple[int, str, str]]
) -> None:
    code, _, err = incgeo("sweep", ENTRENCHMENT, *args)
    assert code == 2
    assert message in err and "Traceback" not in err


def test_sweep_from_a_sample_table(
    tmp_path: Path, incgeo: Callable[..., tuple[int, str, str]]
) -> None:
    table = tmp_path / "sample.csv"
    table.write_text("theta,gamma\n0.05,1.0\n0.5,0.1\n0.9,2.0\n")
    code, out, err = incgeo("sweep", ENTRENCHMENT, "--sample", str(table), "--json")
    assert code == 0, err
    assert json.loads(out)["points"] == 3


@pytest.mark.slow
def test_ctrl_c_keeps_chunks_and_the_same_command_resumes(tmp_path: Path) -> None:
    npz = tmp_path / "map.npz"
    args = [
        sys.executable,
        "-m",
        "incentive_geometry",
        "sweep",
        ENTRENCHMENT,
        "--grid",
        "theta=0:1:60",
        "--grid",
        "gamma=0:2:60",
        "--method",
        "numeric",
        "--chunk-size",
        "40",
        "--workers",
        "0",
        "--out",
        str(npz),
        "--no-progress",
        "--timeout",
        "0",
    ]
    # Run outside the checkout: `python -m` puts the working folder first on sys.path.
    proc = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path
    )
    parts = tmp_path / "map.npz.parts"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(list(parts.glob("chunk-*.npz"))) < 5:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "rerun the same command to resume" in err
    kept = len(list(parts.glob("chunk-*.npz")))
    assert 5 <= kept < 90 and not npz.exists()

    done = subprocess.run(
        args, capture_output=True, text=True, check=False, timeout=300, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    resumed = ig.StabilityMap.load(npz)
    fresh = ig.sweep(
        ig.load_model(ENTRENCHMENT),
        {"theta": np.linspace(0, 1, 60), "gamma": np.linspace(0, 2, 60)},
        method="numeric",
        chunk_size=40,
        executor="serial",
    )
    for name in ("x", "exists", "stable", "eigenvalues", "class_codes"):
        assert np.array_equal(getattr(resumed, name), getattr(fresh, name), equal_nan=True), name
    assert os.path.exists(npz) and not parts.exists()


def test_a_repeated_grid_is_refused_naming_the_parameter(
    incgeo: Callable[..., tuple[int, str, str]],
) -> None:
    # Issue 17: the second --grid theta=... used to replace the first silently.
    code, out, err = incgeo(
        "sweep", ENTRENCHMENT, "--grid", "theta=0:1:3", "--grid", "theta=0:0.5:4",
        "--workers", "0", "--no-progress",
    )  # fmt: skip
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, (code, out, err)
    assert len(lines) == 1 and lines[0].startswith("error:"), err
    assert "`theta`" in lines[0] and "twice" in lines[0]
    assert out == ""


def test_no_eigenvalues_and_compiled_flags(
    tmp_path: Path, incgeo: Callable[..., tuple[int, str, str]]
) -> None:
    # A 3-state flow: --no-eigenvalues decides it by Routh-Hurwitz with the same classes, and
    # --no-compiled / --compiled give the same map.
    lorenz = tmp_path / "lorenz.toml"
    lorenz.write_text(
        'name = "lorenz"\n[equations]\nx = "s*(y - x)"\ny = "x*(r - z) - y"\nz = "x*y - b*z"\n'
        "[parameters]\ns = 10.0\nr = 0.5\nb = 2.6666666666666665\n"
    )
    counts = []
    for flags in (("--no-eigenvalues", "--no-compiled"), ("--eigenvalues",), ("--compiled",)):
        code, out, err = incgeo(
            "sweep", str(lorenz), "--grid", "r=0.5:40:41", "--json", *flags
        )
        assert code == 0, err
        counts.append(json.loads(out)["classes"])
    assert counts[0] == counts[1] == counts[2]
    assert set(counts[0]) >= {"x=0, y=0, z=0 only", "E1 + E2 (bistable)", "none stable"}
