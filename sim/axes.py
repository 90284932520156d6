"""The named axes of every array: audiences and channels (docs/ODD.md §2).

Arrays keep one axis order everywhere, (observer, audience, actor, channel); these tuples give
the labels of the audience and channel axes.
"""

__all__ = ["AUDIENCES", "CHANNELS"]

#: Audience segments of each observer nation, in array order.
AUDIENCES: tuple[str, ...] = ("youth", "public", "elite")

#: Channels through which an actor projects, in array order.
CHANNELS: tuple[str, ...] = ("culture", "tech", "aid", "diplomacy")
