"""drsim init: placeholder."""


def init() -> None:
    """Write a starter scenario."""
