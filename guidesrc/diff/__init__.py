"""Change sets between two compiled states of a library."""
