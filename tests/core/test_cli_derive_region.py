"""`incgeo derive`: the stability of an equilibrium read where it exists.

The expected region is worked by hand: for dx/dt = x (1 - x) G(x) with G linear in x, the
interior point x* has f'(x*) = x* (1 - x*) G'(x*), so where x* lies in (0, 1) it is stable
exactly when G'(x*) < 0 (for the canonical model: alpha (1 - theta) gamma < 0, i.e. gamma < 0).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

Run = Callable[..., tuple[int, str, str]]

MODEL = """name = "feedback"
[equations]
x = "x*(1 - x)*(alpha*(1 - theta)*(b + gamma*x) - theta*c)"
[parameters]
alpha = { default = 1.0, domain = "positive" }
theta = { default = 0.3, domain = [0, 1] }
b = { default = 0.2, domain = "nonnegative" }
gamma = { default = -1.0, domain = "real" }
c = { default = 1.0, domain = "positive" }
[states]
x = { domain = [0, 1] }
"""


def test_interior_stability_is_combined_with_existence(incgeo: Run, tmp_path: Path) -> None:
    path = tmp_path / "m.toml"
    path.write_text(MODEL)
    code, out, err = incgeo("derive", str(path), "--timeout", "60")
    assert code == 0, err
    block = out.split("[3] equilibrium")[1]
    assert "stable when   gamma < 0 (where it exists; decided exactly)" in block
    code, out, err = incgeo("derive", str(path), "--json", "--timeout", "60")
    assert code == 0, err
    third = json.loads(out)["equilibria"][2]
    assert third["stable_where_exists_simplified"] == "gamma < 0"


def test_never_stable_where_it_exists_is_said_in_words(incgeo: Run) -> None:
    # The canonical model (gamma >= 0): the interior point is never stable where it exists.
    examples = Path(__file__).resolve().parents[2] / "examples"
    code, out, err = incgeo("derive", str(examples / "entrenchment.toml"), "--timeout", "60")
    assert code == 0, err
    block = out.split("[3] equilibrium")[1]
    assert "stable when   never (where it exists; decided exactly)" in block
    assert "0 == 1" not in out and "0 == 0" not in out
