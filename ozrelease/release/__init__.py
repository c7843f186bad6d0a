"""Release preparation and the backport matrix."""
