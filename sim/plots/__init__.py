"""Drawing shared by the report and the app: the palette, the world map and charts (waterfalls,
the wave of an event).
"""

__all__: list[str] = []
