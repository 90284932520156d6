"""The wave of one event on the app's map: how each nation's view of the event's actor differs
from the same run without the event (issue 25, item 3).

The counterfactual is `sim.analysis.spread`'s: the run's plan without the event
(`sim.analysis.spread.without_event`: a random event keeps a placeholder that draws the same
numbers), the same world, parameters and seed; the event's actor and the nations it moves
itself come from `sim.analysis.spread.event_reach`. So the change shown at a step is the
``change`` that ``softpower spread`` follows for that event (``tests/test_viz_wave.py`` checks
it). The run without the event is made once per event and run to the last quarter (a fraction
of a second on core60, about a second on un193), off the page's thread; every later step only
subtracts.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from sim.analysis.attribution import components_of
from sim.analysis.spread import event_reach, without_event
from sim.model.model import SoftPowerModel
from sim.plots import svgmap
from sim.viz import figures
from sim.viz.app_model import model_lock

__all__ = [
    "KIND_WORDS",
    "Wave",
    "event_wave",
    "fired_events",
    "wave_change",
    "wave_map",
]

#: Event kinds in a student's words, for the event picker.
KIND_WORDS: dict[str, str] = {
    "threat": "threat",
    "tariff": "tariff",
    "war": "war",
    "leader_change": "new leader",
    "leave": "leaves a group",
    "join": "joins a group",
    "capacity": "change of means",
    "aid_policy": "aid policy",
    "edge": "ties changed",
    "credibility_shock": "scandal or trust shock",
    "news_shock": "news shock",
    "restriction": "restriction",
    "random": "random shock",
}


@dataclass(frozen=True, eq=False)
class Wave:
    """One event's wave, for every step of the run.

    Attributes:
        index: The event's position in the run's plan.
        label: The event in words (``2025-Q1 · threat: United States → Denmark``).
        actor: ISO3 of the nation whose attraction is followed.
        step: The step during which the event acts (its effect shows from step + 1).
        hit: ISO3 of the nations the event names (or its actor when it names none).
        direct: ISO3 of the nations the event moves itself (the others move through ties).
        without: (step, observer) attraction to the actor in the run without the event.
    """

    index: int
    label: str
    actor: str
    step: int
    hit: tuple[str, ...]
    direct: frozenset[str]
    without: np.ndarray


def _name(model: SoftPowerModel, i: int) -> str:
    return model.world.name[i]


def fired_events(model: SoftPowerModel) -> list[tuple[int, str]]:
    """Return the events of the run that have acted so far, newest first, in words.

    Returns:
        ``[(plan index, label)]``, labels such as ``2025-Q1 · threat: United States → Denmark``.
    """
    plan = model.plan
    kinds = {
        i: name.split()[0]
        for name, members in components_of(model.spec, plan, "kind")
        for i in members
    }
    rows = []
    for i, planned in enumerate(plan.events):
        if planned.step >= model.steps:
            continue
        actor, hit, _ = event_reach(planned.event, model)
        kind = kinds.get(i, type(planned.event).__name__.lower())
        targets = [_name(model, h) for h in hit if h != actor]
        shown = ", ".join(targets[:3]) + (
            f" and {len(targets) - 3} more" if len(targets) > 3 else ""
        )
        label = f"{plan.date(planned.step)} · {KIND_WORDS.get(kind, kind)}: {_name(model, actor)}"
        rows.append((planned.step, i, label + (f" → {shown}" if shown else "")))
    rows.sort(key=lambda row: (-row[0], row[1]))
    return [(i, label) for _, i, label in rows]


def event_wave(model: SoftPowerModel, index: int) -> Wave:
    """Run the model's scenario without its event ``index`` to the last quarter.

    Reads the model's plan, world, parameters and seed under its lock, then runs without it
    (Play goes on meanwhile).

    Args:
        model: The app's run (an `AppModel` or any `SoftPowerModel` with a ``seed``).
        index: The event's position in ``model.plan.events``.

    Returns:
        The `Wave`.
    """
    with model_lock(model):
        plan, world = model.plan, model.world
        planned = plan.events[index]
        actor, hit, direct = event_reach(planned.event, model)
        seed = int(getattr(model, "seed", 0))
        labels = dict((i, label) for i, label in fired_events(model))
    other = SoftPowerModel(world, without_event(plan, index), rng=seed)
    other.run()
    iso3 = model.iso3
    return Wave(
        index=index,
        label=labels.get(index, f"event {index}"),
        actor=iso3[actor],
        step=planned.step,
        hit=tuple(iso3[h] for h in hit),
        direct=frozenset(iso3[i] for i in np.flatnonzero(direct)),
        without=np.array(other.recorder.attraction[:, :, actor]),
    )


def wave_change(model: SoftPowerModel, wave: Wave) -> np.ndarray:
    """Return each nation's attraction to the wave's actor now, this run minus the run without
    the event (NaN for the actor itself; 0 everywhere before the event acts).
    """
    k = model.iso3.index(wave.actor)
    step = model.steps
    change = model.recorder.attraction[step][:, k] - wave.without[step]
    change[k] = np.nan
    return change


def wave_map(
    model: SoftPowerModel,
    wave: Wave,
    pole_a: str = "USA",
    pole_b: str = "CHN",
    layers: tuple[str, ...] | frozenset[str] = ("rivalry",),
    floor: float = 0.0,
) -> figures.MapView:
    """Return the world map coloured by the wave of one event at the model's step.

    Args:
        model: The app's run.
        wave: The event's `Wave` (`event_wave`).
        pole_a: Pole A of the tooltips' lean.
        pole_b: Pole B.
        layers: Edge layers to draw.
        floor: Smallest colour-scale limit (the largest shown so far: the scale only grows).

    Returns:
        A `sim.viz.figures.MapView` whose colours, values, tips and legend are the wave's.
    """
    base = figures.map_view(model, pole_a, pole_b, layers, "change", wave.actor, floor=floor)
    change = wave_change(model, wave)
    limit = max(figures.change_limit(np.nan_to_num(change), floor=0.01), floor)
    colours = svgmap.diverging_hex(change, limit)
    actor = _name(model, model.iso3.index(wave.actor))
    fills = dict(zip(model.iso3, colours, strict=True))
    tips, titles = {}, dict(base.titles)
    for i, code in enumerate(model.iso3):
        name = f"{model.world.name[i]} ({code})"
        if not np.isfinite(change[i]):
            tips[code] = f"{name}: the nation that acted"
            continue
        how = "moved by the event itself" if code in wave.direct else "moved only through its ties"
        tips[code] = (
            f"{name}: attraction to {actor} {_signed(change[i])} against the same run without the "
            f"event ({how})"
        )
        titles[code] = tips[code] + ". Click for details."
    dots = tuple({**d, "fill": fills[d["iso3"]]} for d in base.dots)
    finite = change[np.isfinite(change)]
    warmer, cooler = int((finite > 1e-9).sum()), int((finite < -1e-9).sum())
    what = f"The wave of one event ({wave.label}): each nation's view of {actor}"
    return dataclasses.replace(
        base,
        fills=fills,
        titles=titles,
        tips=tips,
        dots=dots,
        values={c: float(v) for c, v in zip(model.iso3, change, strict=True)},
        colour="wave",
        limit=float(limit),
        low=f"likes {actor} less",
        high=f"likes {actor} more",
        what=what,
        alt=(
            f"World map of {model.n} nations, {base.date}: {what}, against the same run without "
            f"the event: {warmer} like {actor} more, {cooler} less."
        ),
        ticks=tuple(
            (0.5 + x / 2, f"{_signed(x * limit)}" if x else "no difference") for x in (-1, 0, 1)
        ),
    )


def _signed(value: float) -> str:
    value = round(float(value), 3)
    return "0.000" if value == 0 else f"{value:+.3f}".replace("-", "−")
