"""Machine-learning assets: forecasts of every tenant metric (``ml.forecasts``, ``ml.forecast_accuracy``)."""
