"""Turning results into things people read: text, JSON, tables."""
