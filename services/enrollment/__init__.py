"""Enrollment: the directory of org units, people and leader groups, and who is enrolled where."""
