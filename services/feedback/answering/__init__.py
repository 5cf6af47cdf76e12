"""Answering a survey without being linked to the answer: credentials, then anonymous ballots."""
