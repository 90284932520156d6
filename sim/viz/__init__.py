"""The visual model: a Solara app built on Mesa's SolaraViz (``softpower app``, see docs/app.md).

Modules: `app` (the page ``solara run`` serves), `layout` (its frame: app bar, sidebar, the
narrow window's bar), `controller` (Reset, Play, Step under the model's lock), `controls` (the
model's inputs), `components` (the views, each in an error boundary), `worldmap` (the map
card), `wave` (the wave of one event against the run without it), `mapfile` (the map as an SVG
file), `figures` (what the views draw, without Solara), `narrative` and `words` (the
sentences in plain English), `model` (`AppModel`, built from the app's controls, and `advance`),
`share` (the setup in the page's address), `downloads` (the run's tables as a zip), `library`
(the scenario files and the shared world), `server` (serving the app) and `browser` (driving it
in Chromium for tests and screenshots).
"""

__all__: list[str] = []
