"""Decisions from trials: compare, sweep, invest (costs), sensitivity."""
