"""The visual model: a Solara app built on Mesa's SolaraViz (``softpower app``, see docs/app.md).

Modules: `app` (the page ``solara run`` serves), `components` (the views), `figures` (what the
views draw, without Solara), `model` (`AppModel`, built from the app's controls), `library` (the
scenario files and the shared world), `server` (serving the app) and `browser` (driving it in
Chromium for tests and screenshots).
"""

__all__: list[str] = []
