"""The README's two commands and the tour: .ci/run runs the test command verbatim, and the
examples the README shows work as written."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import incentive_geometry as ig

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def _bash_blocks() -> list[str]:
    return re.findall(r"```bash\n(.*?)```", README, flags=re.S)


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    test_command = _bash_blocks()[1].strip()
    assert test_command == "python -m pip install '.[test]' && pytest"
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test_command in [line.strip() for line in ci]


@pytest.mark.slow
def test_readme_main_job_runs(tmp_path: Path) -> None:
    main_job = _bash_blocks()[0].strip()
    assert main_job == "python -m pip install . && incgeo verify"
    args = main_job.split("&& incgeo ", 1)[1].split()
    out = subprocess.run(
        [sys.executable, "-m", "incentive_geometry", *args, "--no-progress"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    report = tmp_path / "verify-report"
    record = json.loads((report / "report.json").read_text())
    # How long it takes is measured in benchmarks/, not asserted here (shared, noisy machines);
    # the record must say it, as the README's figure comes from it.
    assert record["seconds"] > 0
    assert {c["verdict"] for c in record["claims"]} <= {"confirmed", "refuted", "inconclusive"}
    assert "![stability_map](figures/stability_map.png)" in (report / "report.md").read_text()


def _command_lines() -> list[str]:
    """The `incgeo ...` lines of the README's command-line block (continuations joined)."""
    block = _bash_blocks()[2]
    joined = block.replace("\\\n", " ")
    lines = []
    for line in joined.splitlines():
        code = line.split("#", 1)[0].strip()
        if code.startswith("incgeo"):
            lines.append(code)
    return lines


def test_readme_command_block_is_found() -> None:
    lines = _command_lines()
    assert lines[0] == "incgeo --help" and any(ln.startswith("incgeo verify") for ln in lines)
    assert any("--cycles" in ln for ln in lines)


@pytest.mark.slow
@pytest.mark.parametrize("line", _command_lines())
def test_readme_command_runs(line: str, tmp_path: Path) -> None:
    import shlex
    import shutil

    # As a user would run it from a checkout: the examples next to the current directory.
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    args = shlex.split(line)[1:]
    if args[:1] in (["verify"], ["sweep"]) and "--no-progress" not in args:
        args.append("--no-progress")
    out = subprocess.run(
        [sys.executable, "-m", "incentive_geometry", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert out.returncode == 0, f"{line}\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}"
    for token in args:
        if token.endswith((".png", ".npz")):
            assert (tmp_path / token).exists(), f"{line}: {token} not written"


def test_readme_model_file_example_loads(tmp_path: Path) -> None:
    block = re.findall(r"```toml\n(.*?)```", README, flags=re.S)[0]
    path = tmp_path / "readme.toml"
    path.write_text(block)
    m = ig.load_model(path)
    assert m.name == "entrenchment" and m.is_stochastic
    assert m.parameter("theta").domain == ig.Domain.parse([0, 1])


def test_readme_tour_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    block = re.findall(r"```python\n(.*?)```", README, flags=re.S)[0]
    namespace: dict[str, object] = {}
    monkeypatch.chdir(ROOT)
    # The tour is our own documentation, run as a user would paste it.
    exec(compile(block, "README.md", "exec"), namespace)
    assert isinstance(namespace["m"], ig.Model)
    # What the tour's comments promise.
    a, b = namespace["m"].symbol("a"), namespace["m"].symbol("b")  # type: ignore[attr-defined]
    assert namespace["eqs"].complete  # type: ignore[attr-defined]
    assert namespace["st"].condition == (a**2 + 1 > b)  # type: ignore[attr-defined]
    hopf = [c for c in namespace["bif"] if c.kind == "hopf"]  # type: ignore[attr-defined]
    assert hopf and hopf[0].supercritical
    kinds = [(p.kind, round(p.p, 10)) for p in namespace["br"].bifurcations]  # type: ignore[attr-defined]
    assert ("hopf", 2.0) in kinds
    assert "aligned + entrenched (bistable)" in namespace["sm"].counts  # type: ignore[attr-defined]
    assert namespace["report"].verdict == "confirmed"  # type: ignore[attr-defined]
