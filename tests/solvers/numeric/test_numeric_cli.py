"""`incgeo simulate` and `incgeo continue`: text, JSON, plots, --set, and bad input."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from incentive_geometry.cli import main

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def test_simulate_text_json_and_plot(
    tmp_path: Path, incgeo: Callable[..., tuple[int, str, str]]
) -> None:
    model = str(EXAMPLES / "brusselator.toml")
    code, out, _ = incgeo(
        "simulate", model, "--x0", "x=1", "--x0", "y=1", "--set", "b=1.5", "--t", "200"
    )
    assert code == 0, out
    assert "final state: x = 1, y = 1.5" in out
    code, out, _ = incgeo("simulate", model, "--set", "b=1.5", "--json", "--points", "11")
    record = json.loads(out)
    assert record["success"] and len(record["t"]) == 11
    assert abs(record["x"]["y"][-1] - 1.5) < 0.05
    png = tmp_path / "ts.png"
    code, out, _ = incgeo(
        "simulate",
        str(EXAMPLES / "logistic_map.toml"),
        "--set",
        "r=2.5",
        "--t",
        "30",
        "--plot",
        str(png),
    )
    assert code == 0 and png.read_bytes()[:4] == b"\x89PNG"
    assert "final state: x = 0.6" in out


def test_continue_lists_the_bifurcations(
    tmp_path: Path, incgeo: Callable[..., tuple[int, str, str]]
) -> None:
    png = tmp_path / "bd.png"
    code, out, _ = incgeo(
        "continue", str(EXAMPLES / "entrenchment.toml"), "theta", "--switch", "--plot", str(png)
    )
    assert code == 0, out
    assert "transcritical   theta = 0.545454545455  (x = 1)" in out
    assert "transcritical   theta = 0.166666666667  (x = 0)" in out
    assert png.exists()
    code, out, _ = incgeo(
        "continue",
        str(EXAMPLES / "brusselator.toml"),
        "b",
        "--range",
        "0.5",
        "4",
        "--set",
        "a=1",
        "--json",
    )
    record = json.loads(out)
    kinds = [
        (b["kind"], round(b["p"], 10)) for br in record["branches"] for b in br["bifurcations"]
    ]
    assert kinds == [("hopf", 2.0)]
    (hopf,) = record["branches"][0]["bifurcations"]
    assert hopf["criticality"] == "supercritical" and abs(hopf["coefficient"] + 0.5) < 1e-9
    code, out, _ = incgeo("continue", str(EXAMPLES / "brusselator.toml"), "b", "--range", "0.5", "4")
    assert code == 0 and "hopf            b = 2  (x = 1, y = 2)  supercritical, coefficient -0.5" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["simulate", "EX/brusselator.toml", "--set", "b=nan"],
            "the value must be a finite number",
        ),
        (["simulate", "EX/brusselator.toml", "--x0", "z=1"], "`z` is not a state"),
        (["simulate", "EX/brusselator.toml", "--plot", "out.gif"], "must end in .png, .svg, .pdf"),
        (["continue", "EX/brusselator.toml", "b"], "give the range with --range LO HI"),
        (["continue", "EX/brusselator.toml", "q", "--range", "0", "1"], "unknown parameter `q`"),
        (["continue", "EX/entrenchment.toml", "theta", "--range", "0", "2"], "outside its domain"),
    ],
)
def test_bad_input_exits_2_with_the_message(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [a.replace("EX", str(EXAMPLES)) for a in args]
    with pytest.raises(SystemExit) as stop:
        main(args)
    assert stop.value.code == 2
    assert message in capsys.readouterr().err


DD2 = """
name = "dd2"
time = "discrete"
[states]
u1 = {}
u2 = {}
[parameters]
p1 = {default = 0.5}
p2 = {default = 0.2}
p3 = {default = 0.1}
[equations]
u1 = "p1*u1*(1 - u1) - p2*u1*u2"
u2 = "(1 - p3)*u2 + p2*u1*u2"
"""


def test_continue_lists_the_points_of_every_switched_branch(
    tmp_path: Path, incgeo: Callable[..., tuple[int, str, str]]
) -> None:
    # AUTO's dd2 from the trivial branch: the branch point at p1 = 1 leads to u1 = 1 - 1/p1,
    # whose branch point at p1 = 2 leads to u1 = 1/2, u2 = 2.5*p1 - 5 with its flip at
    # p1 = 78/19 (exact: the fixed point's Jacobian has the eigenvalue -1 there). That flip lies
    # on a grandchild of the branch followed.
    path = tmp_path / "dd2.toml"
    path.write_text(DD2)
    code, out, _ = incgeo(
        "continue", str(path), "p1", "--range", "0.5", "4.5", "--x0", "u1=0", "--x0", "u2=0",
        "--switch",
    )
    assert code == 0, out
    assert "transcritical   p1 = 1  (u1 = 0, u2 = 0)" in out, out
    assert "transcritical   p1 = 2  (u1 = 0.5, " in out, out  # on the child
    assert "flip            p1 = 3  (u1 = 0.66666667, " in out, out  # on the child: 1 - 1/3
    assert f"flip            p1 = {78 / 19:.12g}  (u1 = 0.5, u2 = 5.2631579)" in out, out
