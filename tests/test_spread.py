"""The wave of each event (issue 25.2-25.4): in a chain and a star of nations the change falls with
distance in hops; carriers, determinism, counterfactual plans and `softpower spread`.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.analysis.spread import COLUMNS, carriers, spread, without_event, write_spread
from sim.errors import SoftPowerError
from sim.model.plan import CredibilityShock, NewsShock, Plan, PlannedEvent, RandomShock, Threat
from sim.world.world import World

ROOT = Path(__file__).resolve().parents[1]
SOFTPOWER = Path(sys.executable).with_name("softpower")
STEPS = 10


def _world(n: int, ties: list[tuple[int, int]]) -> World:
    """A world whose only ties are equal two-way trade ties: nation 0, the actor, has none; every
    nation is alone in its region, with no alliance, rivalry or group.
    """
    base = World.synthetic(n, np.random.default_rng(7))
    trade = np.zeros((n, n))
    for a, b in ties:
        trade[a, b] = trade[b, a] = 0.3
    return replace(
        base,
        trade=trade,
        imports=trade.copy(),
        alliance=np.zeros((n, n)),
        rivalry=np.zeros((n, n)),
        groups={},
        region=tuple(f"Region {i}" for i in range(n)),
    )


CHAIN = _world(7, [(i, i + 1) for i in range(1, 6)])  # 1 - 2 - 3 - 4 - 5 - 6
STAR = _world(8, [(1, leaf) for leaf in range(2, 8)])  # hub 1, leaves 2..7


def _threat(target: int) -> Plan:
    return Plan(steps=STEPS, events=(PlannedEvent(1, Threat(0, (target,), 1.0)),))


def _by_hops(world: World, target: int) -> pd.DataFrame:
    table = spread(_threat(target), world=world, seed=3).table()
    return table.pivot(index="step", columns="hops", values="mean_change")


@pytest.mark.parametrize(
    ("world", "target", "observers"),
    [(CHAIN, 1, [1, 1, 1, 1, 1, 1]), (STAR, 2, [1, 1, 5])],
    ids=["chain", "star"],
)
def test_the_change_falls_with_every_hop_from_the_threatened_nation(world, target, observers):
    table = spread(_threat(target), world=world, seed=3).table()
    assert list(table.columns) == list(COLUMNS)
    first = table[table["step"] == 1]
    assert first["observers"].tolist() == observers  # the actor is no observer of itself
    assert first["direct"].tolist() == [1] + [0] * (len(observers) - 1)
    assert (first["mean_change"] == 0.0).all()  # nothing differs before the event acts
    # No ally or region shares the target: beyond it the whole change came through ties.
    assert table.loc[table["hops"] == 0, "indirect_change"].isna().all()
    beyond = table[table["hops"] > 0]
    assert (beyond["indirect_change"] == beyond["mean_change"]).all()
    wave = table.pivot(index="step", columns="hops", values="mean_change").loc[2:]
    assert (wave[0] < 0).all()
    size = wave.abs().to_numpy()
    assert (np.diff(size, axis=1) <= 0).all(), wave  # never larger one hop further
    assert (np.diff(size[-1]) < 0).all(), wave  # by the end, strictly smaller at every hop
    assert (size[-1] > 0).all()  # and the wave has reached the far end
    # One hop per quarter: the event acts in step 1 (recorded at 2) and the kernel step after
    # the jump carries it one hop, so h hops away it first shows at step 1 + h.
    for h in wave.columns[1:]:
        assert (wave.loc[2:h, h] == 0).all() and wave.loc[1 + h, h] < 0, (h, wave[h])


def test_the_same_seed_gives_the_same_spread_and_files(tmp_path):
    one = write_spread(spread(_threat(2), world=STAR, seed=5), tmp_path / "a")
    two = write_spread(spread(_threat(2), world=STAR, seed=5), tmp_path / "b")
    for a, b in zip(one, two, strict=True):
        assert a.read_bytes() == b.read_bytes()
    assert [p.name for p in one] == ["spread.csv", "carriers.csv"]


def test_only_the_kinds_asked_for_are_followed_and_none_is_refused():
    plan = Plan(
        steps=4,
        events=(
            PlannedEvent(0, Threat(0, (1,), 1.0)),
            PlannedEvent(1, NewsShock(0, (2,), (0, 1, 2), (0, 1, 2, 3), -0.3)),
        ),
    )
    result = spread(plan, world=STAR, kinds=["news_shock"])
    assert [ev.kind for ev in result.events] == ["news_shock"]
    assert result.events[0].hit == (2,)
    with pytest.raises(SoftPowerError, match="no event to follow of kind war"):
        spread(plan, world=STAR, kinds=["war"])


def test_carriers_name_the_only_bridge_of_a_chain():
    n = 7
    w = np.eye(n) * 0.5
    for i in range(1, 6):
        w[i, i + 1] = w[i + 1, i] = 0.25
    w /= w.sum(axis=1, keepdims=True)
    share = carriers(w, [1], actor=0, stubbornness=0.1, steps=12)
    assert share[2] == pytest.approx(1.0)  # beyond 2 nothing arrives without it
    assert share[2] > share[3] > share[4] > share[5] > 0
    assert share[0] == share[1] == 0.0  # neither the actor nor the hit nation is a carrier


def test_leaving_out_a_random_event_keeps_its_draws():
    shock = RandomShock(0.5, "fixed", CredibilityShock(0, (1,), 0.3), value=0.3)
    plan = Plan(steps=4, events=(PlannedEvent(0, Threat(0, (1,), 1.0)), PlannedEvent(0, shock)))
    assert len(without_event(plan, 0).events) == 1
    kept = without_event(plan, 1).events
    assert len(kept) == 2 and isinstance(kept[1].event, RandomShock)
    assert kept[1].event.template.observers == () and kept[1].event.hazard == 0.5


def _softpower(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SOFTPOWER), *map(str, args)], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


@pytest.mark.slow  # about 20 s: the command's imports, the world and five runs
def test_softpower_spread_writes_its_table_carriers_and_figures(tmp_path):
    out = tmp_path / "wave"
    done = _softpower(
        "spread",
        "scenarios/america_first.yaml",
        "--world",
        "core60",
        "--steps",
        "4",
        "--kind",
        "threat",
        "--seed",
        "2",
        "--out",
        out,
    )
    assert done.returncode == 0, done.stderr
    with (out / "spread.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == list(COLUMNS)
    assert {r["actor"] for r in rows} == {"USA"}
    assert any("threat USA→DNK" in r["event"] for r in rows)
    for name in ("carriers.csv", "spread.png", "spread.svg", "spread_maps.png"):
        assert (out / name).stat().st_size > 0, name


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["scenarios/america_first.yaml", "--kind", "wars"], "no event to follow of kind wars"),
        (["scenarios/nope.yaml"], "nope.yaml"),
        (["scenarios/america_first.yaml", "--world", "core61"], "unknown world 'core61'"),
    ],
)
def test_softpower_spread_refuses_bad_input_in_one_line(tmp_path, args, message):
    from click.testing import CliRunner

    from sim.cli import cli

    args = [str(ROOT / a) if a.startswith("scenarios/") else a for a in args]
    done = CliRunner().invoke(cli, ["spread", *args, "--steps", "2", "--out", str(tmp_path / "x")])
    assert done.exit_code == 2
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1
    if "--kind" not in args:  # refused before --out is made (the kinds need the run's plan)
        assert not (tmp_path / "x").exists()


@pytest.mark.slow  # about 15 s: ten runs of a core60 world, twice
def test_softpower_spread_writes_the_same_files_on_one_and_two_workers(tmp_path):
    from click.testing import CliRunner

    from sim.cli import cli

    args = ["spread", str(ROOT / "scenarios" / "america_first.yaml"), "--world", "core60"]
    args += ["--steps", "4", "--kind", "threat", "--seed", "2", "--no-maps"]
    for workers in ("1", "2"):
        result = CliRunner().invoke(cli, [*args, "--workers", workers, "--out", tmp_path / workers])
        assert result.exit_code == 0, result.output
    for name in ("spread.csv", "carriers.csv"):
        one = (tmp_path / "1" / name).read_text(encoding="utf-8")
        assert one == (tmp_path / "2" / name).read_text(encoding="utf-8"), name
    assert len(one.splitlines()) > 1
