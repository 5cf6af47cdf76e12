"""Survey templates, surveys, invitations and anonymous responses."""
