"""Pure functions from the model to findings."""
