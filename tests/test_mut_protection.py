"""Mutation-killing tests for drsim.sim.protection (filled in below)."""
