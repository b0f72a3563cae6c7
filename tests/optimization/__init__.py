"""Tests of the optimization engine (models_ml.optimization)."""
