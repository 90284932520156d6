"""The visual model: a Solara app built on Mesa's SolaraViz (``softpower app``, see docs/app.md).

Modules: `app` (the page ``solara run`` serves), `controller` (Reset, Play, Step under the
model's lock), `controls` (the model's inputs), `components` (the views, each in an error
boundary), `figures` (what the views draw, without Solara), `narrative` and `words` (the
sentences in plain English), `model` (`AppModel`, built from the app's controls, and `advance`),
`share` (the setup in the page's address), `downloads` (the run's tables as a zip), `library`
(the scenario files and the shared world), `server` (serving the app) and `browser` (driving it
in Chromium for tests and screenshots).
"""

__all__: list[str] = []
