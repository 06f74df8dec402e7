"""Issue #11: fuzz the CLI with arguments built from its own click command objects.

For each command, hypothesis draws a subset of the command's options (introspected:
``click.Option`` names, flags, ``click.Choice`` choices, ``click.IntRange`` bounds) and a
value for each, from a vocabulary of valid and invalid values (names, grids, numbers,
NaN/inf, paths to folders, missing folders, odd extensions), plus stray options. Every run
must exit 0 or 2 without a traceback, print valid JSON when ``--json`` was asked and
succeeded, and leave no partial file (temporary file, lock, write probe) in the output
folder; a failed run writes nothing there. Cheap inputs only (CsI 2017, tiny grids;
grids too large are refused before any work), so a few hundred runs take seconds.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from cevns.cli import main

pytestmark = pytest.mark.slow

#: commands fuzzed (limits/plot-limits take seconds per valid run, data fetch goes online)
COMMANDS = ["fit", "profile", "scan2d", "scan", "predict", "models", "recipes", "data check"]

NUMBERS = ["0", "1", "0.5", "-1", "1e9", "nan", "inf", "-inf", "abc", ""]
N_POINTS = ["-1", "0", "1", "2.5", "1000000000"]
PARAMS = ["cevns_norm", "sin2_theta_w", "eps_ee_u", "eps_mumu_u", "m_med_mev", "g", "nope", ""]


def mostly(valid, invalid):
    """A valid value seven times in eight (so that runs get past validation), else an invalid one."""
    return st.integers(0, 7).flatmap(lambda k: invalid if k == 7 else valid)


def _grid(valid: list[str], log: bool = False):
    ends = ["1e-5", "0.1", "100", "1e7", "0", "-1", "nan"] if log else ["0", "0.5", "1", "-1", "20", "inf"]
    bad = st.one_of(st.builds(lambda lo, hi, n: f"{lo}:{hi}:{n}", st.sampled_from(ends), st.sampled_from(ends),
                              st.sampled_from(N_POINTS)),
                    st.sampled_from(["", "1:2", "a:b:c", "1:2:3:4"]))
    return mostly(st.sampled_from(valid), bad)


def _path(ws: Path, valid: list[str]):
    bad = ["out.xyz", "out", "adir", "missing/out.png", "missing/out.csv", "garbage.npz", ""]
    return mostly(st.sampled_from([str(ws / n) for n in valid]), st.sampled_from([str(ws / n) if n else "" for n in bad]))


def value_strategy(cmd: str, opt: click.Option, ws: Path):
    """A value for option ``opt`` of command ``cmd``: from its type, or from the vocabulary for its name."""
    name = opt.name
    if isinstance(opt.type, click.Choice):
        return mostly(st.sampled_from(list(opt.type.choices)), st.just("bogus"))
    if isinstance(opt.type, click.IntRange):
        lo = opt.type.min if opt.type.min is not None else -5
        hi = opt.type.max if opt.type.max is not None else 5
        return mostly(st.integers(lo, hi).map(str), st.sampled_from([str(lo - 1), str(hi + 1), "x"]))
    if name in ("experiments", "experiment", "datasets"):
        return mostly(st.just("csi-2017"), st.sampled_from(["csi-2017,csi-2017", "nope", "", " , "]))
    if name == "recipe":
        return mostly(st.just("banerjee2021"), st.sampled_from(["atzori2022", "nope", str(ws / "missing.toml"),
                                                                 str(ws / "adir")]))
    if name == "model":
        valid = {"scan": "universal", "scan2d": "nsi"}.get(cmd, "sm")
        return mostly(st.just(valid), st.sampled_from(["sm", "nsi", "universal", "nope"]))
    if name == "fixed":
        return mostly(st.sampled_from(["cevns_norm=1.1", "cevns_norm=0.9"]),
                      st.builds(lambda p, v: f"{p}={v}" if v != "-" else p, st.sampled_from(PARAMS),
                                st.sampled_from([*NUMBERS, "-"])))
    if name == "free":
        return mostly(st.sampled_from(["cevns_norm", "sin2_theta_w"]), st.sampled_from(PARAMS))
    if name == "param":
        return mostly(st.sampled_from(["cevns_norm", "sin2_theta_w"]), st.sampled_from(PARAMS))
    if name == "grid":
        return _grid(["0.5:0.6:3", "0.2:0.3:2"])
    if name == "masses":
        return _grid(["1:100:2", "10:1000:3"], log=True)
    if name == "couplings":
        return _grid(["1e-5:1e-2:3", "1e-4:1e-3:2"], log=True)
    if name in ("x_spec", "y_spec"):
        valid = (["eps_ee_u:-0.1:0.1:3", "eps_ee_u:0.01:0.1:2:log", "eps_mumu_u:0:0.2:2"] if name == "x_spec"
                 else ["eps_mumu_u:0:0.2:2", "eps_mumu_u:0.01:0.1:3:log", "eps_ee_u:-0.1:0.1:3"])
        bad = st.builds(lambda p, g, log: f"{p}:{g}{':log' if log else ''}", st.sampled_from(PARAMS),
                        _grid(["0:1:3"]), st.booleans())
        return mostly(st.sampled_from(valid), bad)
    if name == "plot_file":
        return _path(ws, ["out.png", "out.pdf", "out.svg"])
    if name == "out":
        return _path(ws, ["out.csv"] if cmd == "scan" else ["out.png"])
    if name == "checkpoint":
        return _path(ws, ["ck.npz"])
    if name == "cl":
        return mostly(st.sampled_from(["1sigma", "90%", "2sigma,90%", "0.95"]),
                      st.sampled_from(["zero", "150%", "-1", "1sigma,1sigma"]))
    if name == "as_name":
        return st.sampled_from(["mine", "", "atzori2022"])
    return st.sampled_from(NUMBERS)


def _command(path: str) -> click.Command:
    cmd: click.Command = main
    for part in path.split():
        cmd = cmd.commands[part]  # type: ignore[attr-defined]
    return cmd


@st.composite
def argv_for(draw, ws: Path):
    path = draw(st.sampled_from(COMMANDS))
    cmd = _command(path)
    args = path.split()
    for p in cmd.params:
        if isinstance(p, click.Argument):
            args.append(draw(st.sampled_from(["atzori2022", "nope", str(ws / "missing.toml")])))
            continue
        if not isinstance(p, click.Option) or p.name in ("help",):
            continue
        often = p.required or p.name in ("recipe", "model")
        use = draw(st.sampled_from([True] * 9 + [False]) if often else st.booleans())
        if not use:
            continue
        flag = draw(st.sampled_from(p.opts))
        if p.is_flag:
            args.append(flag)
            continue
        for _ in range(draw(mostly(st.just(1), st.just(2))) if p.multiple else 1):
            args += [flag, draw(value_strategy(path, p, ws))]
    if draw(st.integers(0, 29)) == 29:
        args.insert(draw(st.integers(0, len(args))), draw(st.sampled_from(["--bogus", "-z", "--json=1"])))
    return args


def _strict_json(text: str):
    def refuse(token):
        raise ValueError(f"not JSON: {token}")

    return json.loads(text, parse_constant=refuse)


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


# derandomize: CI replays the same 200 examples every run, so a run never fails at random; to
# explore new cases, run it with derandomize=False and more examples (scripts fixed what it found)
@settings(max_examples=200, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_cli_fuzz(data, data_root):
    with tempfile.TemporaryDirectory() as d:
        ws = Path(d)
        (ws / "adir").mkdir()
        (ws / "garbage.npz").write_text("not a checkpoint\n")
        before = _files(ws)
        argv = data.draw(argv_for(ws), label="argv")
        res = CliRunner().invoke(main, argv)
        event(f"{argv[0]}: exit {res.exit_code}")
        assert res.exception is None or isinstance(res.exception, SystemExit), f"{argv}: {res.exception!r}"
        assert res.exit_code in (0, 2), f"{argv}: exit {res.exit_code}\n{res.output}"
        assert "Traceback" not in res.output, argv
        if res.exit_code == 2:
            lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
            assert len(lines) == 1 and lines[0].startswith("cevns: error: "), f"{argv}\n{res.stderr}"
        if res.exit_code == 0 and "--json" in argv:
            _strict_json(res.stdout)
        after = _files(ws)
        partial = [f for f in after if ".tmp" in f or f.endswith(".lock") or ".cevns-probe" in f]
        assert not partial, f"{argv}: partial files left: {partial}"
        if res.exit_code != 0:
            assert after == before, f"{argv}: a failed run wrote {sorted(after - before)}"
