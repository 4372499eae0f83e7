"""Issue 16: the exit-code contract of every ``incgeo`` command.

0 success; 2 bad input, with one message on stderr, no traceback and no doubled prefix; 1 an
internal failure (reported in one line, no traceback).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import incentive_geometry.errors as errors

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
E = str(EXAMPLES / "entrenchment.toml")
CLAIM = ["--claim", "alpha*(1 - theta)*b < theta*c", "--observe", "stable", "--at", "x=0"]
Run = Callable[..., tuple[int, str, str]]

LOGISTIC = 'name = "logistic"\n[equations]\nx = "x*(r - x)"\n[parameters]\nr = 1.0\n'
BAD_SYNTAX = '[equations]\nx = "x**"\n'


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    good = tmp_path / "m.toml"
    good.write_text(LOGISTIC)
    bad = tmp_path / "bad.toml"
    bad.write_text(BAD_SYNTAX)
    return {"good": str(good), "bad": str(bad), "tmp": str(tmp_path)}


def _success_args(command: str, f: dict[str, str]) -> list[str]:
    return {
        "show": ["show", f["good"]],
        "derive": ["derive", f["good"], "--timeout", "30"],
        "simulate": ["simulate", f["good"], "--t", "5", "--points", "5"],
        "continue": ["continue", f["good"], "r", "--range", "-1", "1", "--max-steps", "50"],
        "sweep": ["sweep", f["good"], "--grid", "r=-1:1:5", "--no-progress"],
        "check": ["check", E, *CLAIM, "--domain", "theta=0:0.98", "--samples", "16"],
        "verify": [
            "verify",
            "--only",
            "C6.depth_1",
            "--samples",
            "8",
            "--no-figures",
            "--out",
            f["tmp"] + "/report",
            "--no-progress",
        ],
        "models": ["models"],
        "graph": ["graph", f["good"]],
    }[command]


COMMANDS = ["show", "derive", "simulate", "continue", "sweep", "check", "verify", "models", "graph"]


@pytest.mark.parametrize("command", COMMANDS)
def test_success_exits_0(command: str, files: dict[str, str], incgeo: Run) -> None:
    code, out, err = incgeo(*_success_args(command, files))
    assert code == 0, err
    assert out.strip()
    assert "Traceback" not in err and "internal error" not in err


def _assert_bad_input(code: int, err: str, *needles: str) -> None:
    assert code == 2, err
    assert "Traceback" not in err and "internal error" not in err
    # One message: a single "error:" line (click usage errors: a single "Error:" line).
    heads = [line for line in err.splitlines() if line.startswith(("error:", "Error:"))]
    assert len(heads) == 1, err
    for needle in needles:
        assert needle in err, err
        assert err.count(f"{needle}: {needle}:") == 0, f"doubled prefix in {err!r}"


# Bad input of each command: (arguments, text the message must contain).
BAD = {
    "show": [(["show", "{bad}"], "{bad}"), (["show", "no-such-model"], "no-such-model")],
    "derive": [
        (["derive", "{bad}"], "{bad}"),
        (["derive", "{good}", "--set", "q=1"], "`q` is not a parameter"),
        (["derive", "{good}", "--timeout", "-1"], "--timeout"),
    ],
    "simulate": [
        (["simulate", "{bad}"], "{bad}"),
        (["simulate", "{good}", "--x0", "x=abc"], "`abc` is not a number"),
        (["simulate", "{good}", "--t", "-1"], "`t`"),
        (["simulate", "{good}", "--plot", "{tmp}/missing/x.png"], "missing` does not exist"),
    ],
    "continue": [
        (["continue", "{bad}", "r"], "{bad}"),
        (["continue", "{good}", "q"], "unknown parameter `q`"),
        (["continue", "{good}", "r", "--range", "0", "1", "--max-steps", "-1"], "`max_steps`"),
        (
            ["continue", "{good}", "r", "--range", "0", "1", "--plot", "{tmp}/missing/x.png"],
            "missing` does not exist",
        ),
    ],
    "sweep": [
        (["sweep", "{bad}", "--grid", "r=0:1:3"], "{bad}"),
        (["sweep", "{good}", "--grid", "r=0:1:0"], "--grid r=0:1:0"),
        (["sweep", "{good}"], "--grid"),
        (
            ["sweep", "{good}", "--grid", "r=0:1:3", "--out", "{tmp}/missing/m.npz"],
            "missing` does not exist",
        ),
        (
            ["sweep", "{good}", "--grid", "r=0:1:3", "--plot", "{tmp}/missing/m.png"],
            "missing` does not exist",
        ),
    ],
    "check": [
        (["check", "{bad}"], "{bad}"),
        (["check", E, *CLAIM, "--domain", "q=0:1", "--samples", "8"], "unknown parameter `q`"),
    ],
    "verify": [
        (
            ["verify", "--only", "zzz-no-such-claim", "--no-figures", "--out", "{tmp}/r"],
            "zzz-no-such-claim",
        ),
        (["verify", "--samples", "3"], "--samples"),
    ],
    "models": [(["models", "extra"], "extra")],
    "graph": [
        (["graph", "{bad}"], "{bad}"),
        (["graph", "{good}", "--set", "r=abc"], "`abc` is not a number"),
    ],
}
BAD_CASES = [
    pytest.param(command, args, needle, id=f"{command}-{i}")
    for command in COMMANDS
    for i, (args, needle) in enumerate(BAD[command])
]


@pytest.mark.parametrize(("command", "args", "needle"), BAD_CASES)
def test_bad_input_exits_2_with_one_message(
    command: str, args: list[str], needle: str, files: dict[str, str], incgeo: Run
) -> None:
    code, _out, err = incgeo(*(a.format(**files) for a in args))
    _assert_bad_input(code, err, needle.format(**files))


def test_graph_plot_into_a_missing_folder_exits_2(files: dict[str, str], incgeo: Run) -> None:
    code, _out, err = incgeo("graph", files["good"], "--plot", files["tmp"] + "/missing/g.png")
    _assert_bad_input(code, err, "missing")


def test_check_bad_claim_has_one_prefix(incgeo: Run) -> None:
    code, _out, err = incgeo("check", E, "--claim", "alpha >", "--observe", "stable", "--at", "x=0")
    _assert_bad_input(code, err, "claim `claim`")


# Where each command can be made to fail from inside: (module attribute, command).
INTERNAL = {
    "show": "incentive_geometry.cli.show.resolve_model",
    "derive": "incentive_geometry.cli.derive.resolve_model",
    "simulate": "incentive_geometry.cli.simulate.resolve_model",
    "continue": "incentive_geometry.cli.continuation.resolve_model",
    "sweep": "incentive_geometry.cli.sweep.resolve_model",
    "check": "incentive_geometry.cli.check.resolve_model",
    "verify": "incentive_geometry.proofs.report.verify",
    "models": "incentive_geometry.cli.models.library",
    "graph": "incentive_geometry.cli.graph.resolve_model",
}


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize(
    "failure",
    [RuntimeError("boom: a bug"), errors.ConvergenceError("boom: did not converge")],
    ids=["bug", "convergence"],
)
def test_internal_failure_exits_1_without_traceback(
    command: str,
    failure: Exception,
    files: dict[str, str],
    incgeo: Run,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise failure

    module, _, name = INTERNAL[command].rpartition(".")
    # By module object: `incentive_geometry.cli.show` as an attribute is the click command.
    importlib.import_module(module)
    monkeypatch.setattr(sys.modules[module], name, fail)
    code, _out, err = incgeo(*_success_args(command, files))
    assert code == 1, err
    assert "Traceback" not in err
    assert err.count("boom:") == 1, err
