"""Issue 16: sweep chunks carry identity and checksum; huge sweeps are refused; workers die
with their parent."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

import incentive_geometry as ig
from incentive_geometry.solvers.numeric.executors import ChunkStore, run_chunks
from incentive_geometry.solvers.numeric.sweep import StabilityMap

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
ENTRENCHMENT = EXAMPLES / "entrenchment.toml"
GRID = {"theta": np.linspace(0.0, 1.0, 20), "gamma": np.linspace(0.0, 2.0, 10)}
CHUNK = 50  # 200 points: chunks 0..3


def _expected_classes() -> np.ndarray:
    # Independent of the sweep: the paper's conditions (DESIGN.md) at each grid point.
    theta, gamma = np.meshgrid(GRID["theta"], GRID["gamma"], indexing="ij")
    alpha, b, c = 1.0, 0.2, 1.0
    aligned = alpha * (1 - theta) * b < theta * c
    entrenched = alpha * (1 - theta) * (b + gamma) > theta * c
    return (aligned.astype(int) + 2 * entrenched.astype(int)).ravel()


def _code(sm: ig.StabilityMap) -> np.ndarray:
    names = sm.classes.ravel()
    aligned = np.array(["aligned" in n and "aligned neutral" not in n for n in names])
    entrenched = np.array(["entrenched" in n and "entrenched neutral" not in n for n in names])
    return aligned.astype(int) + 2 * entrenched.astype(int)


def _sweep(out: Path) -> ig.StabilityMap:
    return ig.sweep(
        ig.load_model(ENTRENCHMENT),
        GRID,
        labels={"aligned": {"x": 0}, "entrenched": {"x": 1}},
        executor="serial",
        chunk_size=CHUNK,
        out=out,
    )


@pytest.fixture
def kept_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A finished sweep whose chunks are still on disk (the final write failed)."""
    out = tmp_path / "map.npz"

    def fail(self: object, path: object, **options: object) -> None:
        raise OSError("disk full")

    with monkeypatch.context() as patch:
        patch.setattr(StabilityMap, "save", fail)
        with pytest.raises(OSError, match="disk full"):
            _sweep(out)
    parts = tmp_path / "map.npz.parts"
    assert sorted(p.name for p in parts.glob("chunk-*.npz")) == [
        f"chunk-{i:06d}.npz" for i in range(4)
    ]
    return out


def _rerun(out: Path) -> tuple[ig.StabilityMap, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sm = _sweep(out)
    return sm, [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]


def test_clean_resume_uses_every_chunk_and_matches_the_conditions(kept_chunks: Path) -> None:
    sm, messages = _rerun(kept_chunks)
    assert not [m for m in messages if "chunk file" in m]
    np.testing.assert_array_equal(_code(sm), _expected_classes())
    assert not kept_chunks.with_name("map.npz.parts").exists()


def test_swapped_chunks_are_named_and_recomputed(kept_chunks: Path) -> None:
    parts = kept_chunks.with_name("map.npz.parts")
    a, b = parts / "chunk-000000.npz", parts / "chunk-000003.npz"
    # Chunk 0 (theta near 0: entrenched only) and chunk 3 (theta near 1: aligned only) differ.
    data_a, data_b = a.read_bytes(), b.read_bytes()
    a.write_bytes(data_b)
    b.write_bytes(data_a)
    sm, messages = _rerun(kept_chunks)
    bad = [m for m in messages if "chunk file" in m]
    assert len(bad) == 2, messages
    assert any(str(a) in m and "another chunk" in m for m in bad)
    assert any(str(b) in m and "another chunk" in m for m in bad)
    np.testing.assert_array_equal(_code(sm), _expected_classes())


@pytest.mark.parametrize("damage", ["truncated", "bit_flip", "zero_length", "garbage"])
def test_damaged_chunk_is_named_recomputed_and_the_run_goes_on(
    kept_chunks: Path, damage: str
) -> None:
    path = kept_chunks.with_name("map.npz.parts") / "chunk-000001.npz"
    data = bytearray(path.read_bytes())
    if damage == "truncated":
        data = data[: len(data) // 2]
    elif damage == "bit_flip":
        # A bit in the middle of the stored arrays (np.savez does not compress).
        data[len(data) // 2] ^= 0x10
    elif damage == "zero_length":
        data = bytearray()
    else:
        data = bytearray(b"not a zip file at all" * 10)
    path.write_bytes(bytes(data))
    sm, messages = _rerun(kept_chunks)
    bad = [m for m in messages if "chunk file" in m]
    assert len(bad) == 1 and str(path) in bad[0] and "recomputing chunk 1" in bad[0], messages
    np.testing.assert_array_equal(_code(sm), _expected_classes())


def test_chunk_of_another_job_with_a_matching_name_is_refused(tmp_path: Path) -> None:
    # A chunk written by another job (other fingerprint), copied into this store.
    other = ChunkStore(tmp_path / "other.npz", "job A")
    other.save(0, {"v": np.array([1.0])})
    store = ChunkStore(tmp_path / "this.npz", "job B")
    (store.parts / "chunk-000000.npz").write_bytes((other.parts / "chunk-000000.npz").read_bytes())
    with pytest.warns(RuntimeWarning, match="another chunk"):
        got = run_chunks(_square, [0, 1], store=store)
    assert [float(got[i]["v"][0]) for i in (0, 1)] == [0.0, 1.0]


def test_chunk_with_edited_values_fails_its_checksum(tmp_path: Path) -> None:
    store = ChunkStore(tmp_path / "out.npz", "job")
    store.save(0, {"v": np.array([5.0])})
    path = store.parts / "chunk-000000.npz"
    with np.load(path) as data:
        arrays = {k: data[k] for k in data.files}
    arrays["v"] = np.array([6.0])  # identity and checksum kept, contents changed
    np.savez(path, **arrays)
    with pytest.warns(RuntimeWarning, match="checksum"):
        assert store.load(0) is None
    assert not path.exists()


def test_chunk_without_identity_is_recomputed(tmp_path: Path) -> None:
    store = ChunkStore(tmp_path / "out.npz", "job")
    np.savez(store.parts / "chunk-000002.npz", v=np.array([99.0]))  # the old format
    with pytest.warns(RuntimeWarning, match="no identity"):
        got = run_chunks(_square, [2], store=store)
    assert float(got[2]["v"][0]) == 4.0


def _square(i: int) -> dict[str, np.ndarray]:
    return {"v": np.array([float(i * i)])}


@pytest.mark.parametrize("text", ["{not json", "", "[1, 2]", "\x00\xff\xfe"])
def test_garbage_manifest_is_a_model_error_naming_the_file(tmp_path: Path, text: str) -> None:
    parts = tmp_path / "map.npz.parts"
    parts.mkdir()
    (parts / "manifest.json").write_bytes(text.encode("latin-1"))
    with pytest.raises(ig.ModelError, match=r"manifest\.json` is not a chunk manifest"):
        _sweep(tmp_path / "map.npz")


def test_manifest_of_another_job_is_refused(tmp_path: Path) -> None:
    parts = tmp_path / "map.npz.parts"
    parts.mkdir()
    (parts / "manifest.json").write_text(json.dumps({"fingerprint": "other"}))
    with pytest.raises(ig.ModelError, match="different job"):
        _sweep(tmp_path / "map.npz")


def test_huge_sweep_is_refused_before_any_allocation() -> None:
    m = ig.load_model(ENTRENCHMENT)
    axis = np.linspace(0.0, 1.0, 10**5)
    with pytest.raises(ig.ModelError) as info:
        ig.sweep(m, {"theta": axis, "gamma": axis})
    msg = str(info.value)
    # 10^10 points of at least 8 bytes each: the estimate is in terabytes.
    assert "10,000,000,000 points" in msg and " TB of memory" in msg and "fewer points" in msg


def test_memory_limit_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INCENTIVE_GEOMETRY_MAX_MEMORY", "1k")
    m = ig.load_model(ENTRENCHMENT)
    with pytest.raises(ig.ModelError, match="INCENTIVE_GEOMETRY_MAX_MEMORY"):
        ig.sweep(m, {"theta": np.linspace(0, 1, 100)})


@pytest.mark.parametrize("timeout", [-1, 0, float("nan"), "5", True])
def test_bad_timeout_is_refused(timeout: object) -> None:
    m = ig.load_model(ENTRENCHMENT)
    with pytest.raises(ig.ModelError, match="`timeout` must be a positive number"):
        ig.sweep(m, {"theta": np.array([0.5])}, timeout=timeout)


def test_out_in_a_missing_folder_is_refused_and_nothing_is_created(tmp_path: Path) -> None:
    target = tmp_path / "nonexistent" / "dir" / "m.npz"
    with pytest.raises(ig.ModelError, match="nonexistent/dir` does not exist"):
        _sweep(target)
    assert not (tmp_path / "nonexistent").exists()


def test_cli_out_in_a_missing_folder_exits_2(
    tmp_path: Path, incgeo: Callable[..., tuple[int, str, str]]
) -> None:
    target = tmp_path / "nonexistent" / "m.npz"
    code, _out, err = incgeo(
        "sweep", str(ENTRENCHMENT), "--grid", "theta=0:1:5", "--out", str(target), "--no-progress"
    )
    assert code == 2 and "does not exist" in err and "Traceback" not in err
    assert not target.parent.exists()


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_workers_exit_after_kill_9_of_the_cli(tmp_path: Path) -> None:
    # A numeric sweep long enough that both workers are busy when the parent is killed.
    cmd = [
        sys.executable,
        "-m",
        "incentive_geometry.cli",
        "sweep",
        str(ENTRENCHMENT),
        "--grid",
        "theta=0:1:300",
        "--grid",
        "gamma=0:2:300",
        "--method",
        "numeric",
        "--workers",
        "2",
        "--chunk-size",
        "2000",
        "--no-progress",
        "--timeout",
        "0",
        "--out",
        str(tmp_path / "m.npz"),
    ]
    # From tmp_path: in the checkout's root the source folder `incentive_geometry/` would
    # shadow the installed package (the solver layers live elsewhere in the source tree).
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path)
    try:
        workers: set[int] = set()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(workers) < 2:
            time.sleep(0.2)
            workers = _descendants(proc.pid)
            assert proc.poll() is None, "the sweep ended before its workers were seen"
        assert len(workers) >= 2, workers
        time.sleep(1.0)  # let the workers take tasks
        workers = _descendants(proc.pid)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_alive(p) for p in workers):
            time.sleep(0.2)
        left = [p for p in workers if _alive(p)]
        for p in left:  # do not leave them behind even when the test fails
            os.kill(p, signal.SIGKILL)
        assert not left, f"workers {left} still alive 10 s after kill -9 of the parent"
    finally:
        if proc.poll() is None:
            proc.kill()


@pytest.mark.parametrize("damage", ["truncated", "zero_length", "garbage", "meta_list"])
def test_damaged_map_file_is_a_model_error_naming_it(tmp_path: Path, damage: str) -> None:
    m = ig.Model.from_equations({"x": "x*(r - x)"}, parameters={"r": 1.0})
    path = ig.sweep(m, {"r": np.array([-1.0, 1.0])}).save(tmp_path / "map.npz")
    data = path.read_bytes()
    if damage == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "zero_length":
        path.write_bytes(b"")
    elif damage == "garbage":
        path.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    else:
        with np.load(path) as npz:
            arrays = {k: npz[k] for k in npz.files}
        arrays["meta"] = np.array(json.dumps([1, 2]))
        np.savez(path, **arrays)
    with pytest.raises(ig.ModelError, match="is not a stability map file") as info:
        ig.StabilityMap.load(path)
    assert str(path) in str(info.value)


def test_cli_names_a_damaged_chunk_and_goes_on(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    incgeo: Callable[..., tuple[int, str, str]],
) -> None:
    out = tmp_path / "m.npz"
    args = (
        "sweep", str(ENTRENCHMENT), "--grid", "theta=0:1:20", "--grid", "gamma=0:2:10",
        "--chunk-size", "50", "--workers", "0", "--no-progress", "--out", str(out),
        "--label", "aligned:x=0", "--label", "entrenched:x=1",
    )  # fmt: skip

    def fail(self: object, path: object, **options: object) -> None:
        raise OSError("disk full")

    with monkeypatch.context() as patch:
        patch.setattr(StabilityMap, "save", fail)
        code, _out, err = incgeo(*args)
    assert code == 1 and "disk full" in err
    chunk = tmp_path / "m.npz.parts" / "chunk-000002.npz"
    chunk.write_bytes(chunk.read_bytes()[:100])
    code, _text, err = incgeo(*args)
    assert code == 0, err
    assert f"warning: chunk file `{chunk}` is not used" in err and "recomputing chunk 2" in err
    assert "Traceback" not in err and "BadZipFile" not in err.replace("(BadZipFile", "")
    np.testing.assert_array_equal(_code(ig.StabilityMap.load(out)), _expected_classes())
