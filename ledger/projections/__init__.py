"""Read models: pure folds over event envelopes, and the stores of their rows and positions."""
