"""The three domain services and the kernel they share."""
