"""Mutation-killing tests for drsim.sim.capacity (filled in below)."""
