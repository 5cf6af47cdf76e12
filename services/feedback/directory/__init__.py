"""What the feedback service knows of people, units, leader groups and offerings (from events)."""
