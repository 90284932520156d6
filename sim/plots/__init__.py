"""Drawing shared by the report and the app: the palette, the world map and charts."""

__all__: list[str] = []
