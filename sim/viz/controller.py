"""Playing the model: Reset, Play/Pause and Step, and the quarter the run has reached.

The app's own controller in place of Mesa's ``ModelController``: it steps the model through
`sim.viz.app_model.advance`, which holds the model's lock, so the views (which read the model
holding the same lock) never see a step half made while Play steps in its own thread; it stops
at the last quarter whatever the render interval; and Reset refuses, with the reason on screen,
while an input is invalid (a seed such as ``abc``) instead of building a run from a stale value.
After each step it bumps `step_counter`, which the views listen to (the app's own counter, not
Mesa's ``mesa.visualization.utils.update_counter``, which is outside Mesa's public API).
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import solara
import solara.lab

from sim.errors import SoftPowerError
from sim.viz.app_model import AppModel, advance, model_lock

__all__ = [
    "PlayButtons",
    "PlayControls",
    "Player",
    "QuarterStatus",
    "bump",
    "quarter_text",
    "step_counter",
    "use_player",
]

#: Bumped after each step and at Reset; the views that redraw per step read it (one value per
#: browser session, as every Solara reactive variable).
step_counter = solara.reactive(0)


def bump() -> None:
    """Tell the views that the model moved (a step or a new run)."""
    step_counter.value += 1


def quarter_text(model: AppModel) -> str:
    """Return where the run is, for students, and in which world:
    ``"Quarter 2026-Q3 · step 6 of 40 · world un193"``.
    """
    with model_lock(model):
        step = model.steps
    world = getattr(model, "world_name", None)
    where = f" · world {world}" if world else ""
    return f"Quarter {model.spec.date(step)} · step {step} of {model.horizon}{where}"


@solara.component
def QuarterStatus(model: AppModel, narrow: bool = False, step: int | None = None):
    """The quarter the run has reached (re-drawn at each step).

    Args:
        model: The running model.
        narrow: The copy in the bar of a narrow window (class ``softpower-quarter-narrow``;
            the sidebar's is ``softpower-quarter``).
        step: The step, from a view that listens to `step_counter` and draws this line (the
            narrow bar, in `sim.viz.components.Dashboard`); None: listen to the counter
            itself. Each listener costs the page one more pass over all its widgets at every
            step.
    """
    if step is None:
        step_counter.get()
    return solara.HTML(
        tag="div",
        unsafe_innerHTML=html.escape(quarter_text(model)),
        style="font-weight:bold;margin-bottom:4px",
        classes=["softpower-quarter-narrow" if narrow else "softpower-quarter"],
    )


@dataclass(frozen=True)
class Player:
    """The session's play state and actions (one per page, shared by every set of buttons).

    Attributes:
        playing: True while Play runs.
        running: False once the run reached its last quarter.
        problem: The last failed Reset or step, in one line ("" when none).
        blocked: Why Reset is off now (an invalid input), or "".
        reset: Builds a new model from the inputs (refused while an input is invalid).
        toggle: Plays or pauses.
        step: Steps the render interval's quarters.
    """

    playing: bool
    running: bool
    problem: str
    blocked: str
    reset: Callable[[], None]
    toggle: Callable[[], None]
    step: Callable[[], None]


def use_player(
    model: solara.Reactive[AppModel],
    inputs: solara.Reactive[dict[str, Any]],
    play_interval: solara.Reactive[int],
    render_interval: solara.Reactive[int],
    validate: Callable[[dict[str, Any]], str] | None = None,
) -> Player:
    """Reset, Play/Pause and Step for the session's model: a hook, called once per page, whose
    `Player` any number of `PlayButtons` show (the sidebar's, and the bar above the map in a
    narrow window), so there is one play loop whatever the buttons on screen.

    Args:
        model: The session's model; Reset replaces it with ``AppModel(**inputs)``.
        inputs: The keyword arguments of the next model (the sidebar's inputs).
        play_interval: Milliseconds between two beats of Play.
        render_interval: Quarters stepped per beat of Play or click of Step.
        validate: Returns why ``inputs`` cannot build a model (an invalid seed), or "";
            Reset is off while it says so, and checks again when clicked.
    """
    blocked = validate(inputs.value) if validate is not None else ""
    playing = solara.use_reactive(False)
    running = solara.use_reactive(model.value.running)
    problem = solara.use_reactive("")

    def beat() -> None:
        advance(model.value, render_interval.value)
        running.set(model.value.running)
        bump()

    def play() -> None:
        try:
            while playing.value and model.value.running:
                time.sleep(play_interval.value / 1000)
                if not playing.value:
                    break
                beat()
        except Exception as exc:  # one line on the page, never a traceback
            problem.set(f"The run stopped: {exc}".splitlines()[0])
        playing.set(False)

    solara.lab.use_task(play, dependencies=[playing.value], prefer_threaded=True)

    def step() -> None:
        try:
            beat()
        except Exception as exc:
            problem.set(f"The step failed: {exc}".splitlines()[0])

    def reset() -> None:
        playing.set(False)
        refused = validate(inputs.value) if validate is not None else ""
        if refused:  # typed after the button was drawn: refuse, never reuse an old value
            problem.set(f"Reset refused: {refused}")
            return
        try:
            fresh = AppModel(**inputs.value)
        except (SoftPowerError, ValueError, TypeError) as exc:
            one_line = exc.one_line() if isinstance(exc, SoftPowerError) else str(exc)
            problem.set(f"Reset refused: {one_line}".splitlines()[0])
            return
        problem.set("")
        model.set(fresh)
        running.set(fresh.running)
        bump()

    def toggle() -> None:
        playing.set(not playing.value)

    return Player(
        playing=playing.value,
        running=running.value,
        problem=problem.value,
        blocked=blocked,
        reset=reset,
        toggle=toggle,
        step=step,
    )


@solara.component
def PlayButtons(player: Player, messages: bool = True):
    """The Reset, ▶/❚❚ and Step buttons of a `Player`, each with its accessible name.

    Args:
        player: What the buttons do and show (`use_player`).
        messages: Also show why Reset is off and the last failure under the buttons.
    """
    with solara.Column(gap="4px") as main:
        with solara.Row(justify="space-between"):
            solara.Button(
                label="Reset",
                color="primary",
                on_click=player.reset,
                disabled=bool(player.blocked),
                attributes={"title": "Start a new run from the inputs below"},
            )
            solara.Button(
                label="❚❚" if player.playing else "▶",
                color="primary",
                on_click=player.toggle,
                disabled=not player.running,
                attributes={
                    "title": "Pause" if player.playing else "Play",
                    "aria-label": "Pause" if player.playing else "Play",
                },
            )
            solara.Button(
                label="Step",
                color="primary",
                on_click=player.step,
                disabled=player.playing or not player.running,
                attributes={"title": "Move on by as many quarters as Quarters per step says"},
            )
        if messages and player.blocked:
            solara.Warning(
                f"Reset is off: {player.blocked}", dense=True, classes=["softpower-blocked"]
            )
        problem = player.problem
        if messages and problem and not (player.blocked and problem.endswith(player.blocked)):
            solara.Error(problem, dense=True, classes=["softpower-controller-error"])
    return main


@solara.component
def PlayControls(
    model: solara.Reactive[AppModel],
    inputs: solara.Reactive[dict[str, Any]],
    play_interval: solara.Reactive[int],
    render_interval: solara.Reactive[int],
    validate: Callable[[dict[str, Any]], str] | None = None,
):
    """Reset, Play/Pause and Step buttons for the session's model (`use_player` and one set
    of `PlayButtons`; the arguments are `use_player`'s).
    """
    player = use_player(model, inputs, play_interval, render_interval, validate)
    return PlayButtons(player)
