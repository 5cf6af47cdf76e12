"""Feedback: who took part (from enrolment events), surveys and anonymous responses."""
