"""Shared fixtures: random kernel problems, the bundled world, a tiny batch, the app's server for
the browser tests; puts the reference on the path."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import settings

from sim.axes import AUDIENCES, CHANNELS
from sim.model.dynamics import Inputs, KernelParameters, State

# `import reference` works whether or not tests/ is a package and whatever pytest's import mode.
TESTS_DIR = Path(__file__).resolve().parent
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))

Problem = tuple[State, Inputs, KernelParameters]

# Property tests draw the same examples on every run (CI must not pass or fail by luck);
# `HYPOTHESIS_PROFILE=explore make test-fast` draws new ones to look for bugs.
settings.register_profile("repeatable", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


def _sparse(rng: np.random.Generator, shape: tuple[int, ...], density: float) -> np.ndarray:
    """Uniform [0, 1] values, zero outside a random ``density`` share of entries."""
    return rng.uniform(0.0, 1.0, size=shape) * (rng.random(shape) < density)


def random_problem(rng: np.random.Generator, n: int, *, per_observer_theta: bool = True) -> Problem:
    """Return a random valid (state, inputs, params) for the kernel with ``n`` nations.

    Every input is drawn inside its documented range, with zeros where they matter: some actors
    with no capacity on a channel, zero self-exposure, withdrawn capacity (cuts), good and bad
    events, and per-observer stubbornness θ. Axes (observer, audience, actor, channel).
    """
    n_aud, n_ch = len(AUDIENCES), len(CHANNELS)
    capacity = rng.uniform(0.0, 2.0, size=(n, n_ch)) * (rng.random((n, n_ch)) < 0.8)
    exposure = rng.uniform(0.0, 1.0, size=(n, n_aud, n, n_ch)) * (
        rng.random((n, n_aud, n, n_ch)) < 0.85
    )
    exposure[np.arange(n), :, np.arange(n), :] = 0.0
    ties = rng.random((n, n)) * (rng.random((n, n)) < 0.6) + np.eye(n) * rng.uniform(0, 1, n)
    ties /= ties.sum(axis=1, keepdims=True)
    inputs = Inputs(
        capacity=capacity,
        exposure=exposure,
        anchor=rng.uniform(-1.0, 1.0, size=(n, n_aud, n, n_ch)),
        ties=ties,
        valence=rng.uniform(-1.0, 1.0, size=(n, n_ch)),
        cut=_sparse(rng, (n, n_ch), 0.4),
        credibility_target=rng.uniform(0.0, 1.0, size=(n, n)),
        good=_sparse(rng, (n, n), 0.3),
        bad=_sparse(rng, (n, n), 0.3),
    )
    params = KernelParameters(
        stubbornness=rng.uniform(0.0, 1.0, size=n) if per_observer_theta else rng.uniform(),
        receptivity=rng.uniform(0.0, 1.0, size=(n_aud, n_ch)),
        saturation=rng.uniform(0.01, 2.0, size=n_ch),
        loss_aversion=float(rng.uniform(0.0, 5.0)),
        credibility_recovery=float(rng.uniform()),
        credibility_gain=float(rng.uniform()),
        credibility_loss=float(rng.uniform()),
        credibility_weight=rng.uniform(0.0, 1.0, size=n_ch),
    )
    state = State(
        perception=rng.uniform(-1.0, 1.0, size=(n, n_aud, n, n_ch)),
        credibility=rng.uniform(0.0, 1.0, size=(n, n)),
    )
    return state, inputs, params


@pytest.fixture(scope="session")
def make_problem() -> Callable[..., Problem]:
    """Factory ``make_problem(rng, n, per_observer_theta=True)`` of random kernel problems."""
    return random_problem


@pytest.fixture(scope="session")
def bundled_world():
    """The bundled 60-nation world, core60 (read once per session; treat as read-only)."""
    from sim.world.bundled import WORLDS
    from sim.world.world import World

    return World.load(WORLDS["core60"])


_SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


@pytest.fixture(scope="session")
def tiny_batch(tmp_path_factory) -> tuple[Path, Path]:
    """A 4-run batch on core60 (two scenarios × two LHS points, two quarters): (experiment, dir)."""
    from sim.batch.experiment import load_experiment
    from sim.batch.runner import run_batch

    folder = tmp_path_factory.mktemp("tiny")
    experiment = folder / "experiment.yaml"
    experiment.write_text(
        f"name: tiny\nscenarios: [{_SCENARIOS / 'baseline.yaml'}, "
        f"{_SCENARIOS / 'us_aid_cuts.yaml'}]\n"
        "replications: 1\nseed: 3\nsteps: 2\nworld: core60\n"
        "design: {method: lhs, samples: 2, parameters: {stubbornness: [0.05, 0.3]}}\n"
        "record: {every: 1, perception_targets: [USA, CHN]}\n",
        encoding="utf-8",
    )
    out = folder / "batch"
    run_batch(load_experiment(experiment), out, workers=1, progress=False)
    return experiment, out


@pytest.fixture(scope="session")
def app_server():
    """``softpower app`` on a free port of 127.0.0.1, started once for every browser test of the
    session (``tests/test_browser.py``, ``tests/test_app_browser.py``): it takes 10-30 s to start.

    The tests share the process, not its state: every page a test opens is an app session of its
    own, with its own model built from the address and the default inputs. Stopped with its
    process group when the session ends.
    """
    from sim.viz.server import AppServer

    with AppServer(timeout=180) as server:
        yield server


@pytest.fixture(scope="module")
def app_browser(request):
    """(server, browser): the session's `app_server` and a headless Chromium of the module's own,
    closed when the module ends; None when Chromium is not installed (the tests then fail with
    the install instruction, never skip).
    """
    from sim.viz.browser import ChromiumMissing, chromium_path, launch_chromium

    try:
        chromium_path()
    except ChromiumMissing:
        yield None
        return
    from playwright.sync_api import sync_playwright

    server = request.getfixturevalue("app_server")
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            yield server, browser
        finally:
            browser.close()
