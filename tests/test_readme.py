"""The README's two commands and the tour: .ci/run runs the test command verbatim, and the
examples the README shows work as written."""

from __future__ import annotations

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


def test_readme_main_job_runs() -> None:
    main_job = _bash_blocks()[0].strip()
    assert main_job.startswith("python -m pip install . && incgeo ")
    args = main_job.split("&& incgeo ", 1)[1].split()
    out = subprocess.run(
        [sys.executable, "-m", "incentive_geometry", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr


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
    assert isinstance(namespace["logistic"], ig.Model)
