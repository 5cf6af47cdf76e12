"""Course catalogue: offerings, their dated sessions, and the seat counts enrolment reports back."""
