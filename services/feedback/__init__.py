"""Feedback: who took part (from enrollment events), surveys and anonymous responses."""
