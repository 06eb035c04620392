"""Compile metric requests into Ibis expressions (engine-neutral)."""
