"""Course catalogue: offerings, their dated sessions, and the seat counts enrollment reports back."""
