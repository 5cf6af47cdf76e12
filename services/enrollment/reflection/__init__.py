"""Reflection groups: top leaders divided into small groups across agencies and sectors."""
