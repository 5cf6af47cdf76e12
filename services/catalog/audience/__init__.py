"""Who may enroll, as the catalogue shows it: the directory's audience facts, read from the enrollment
service's events, judged by the shared rules (`kernel.audience`)."""
