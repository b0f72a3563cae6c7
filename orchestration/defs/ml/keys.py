"""Asset keys of the ML domain: the ``ml.*`` tables its assets write, and the upstream assets they read.

dbt models are keyed by their name (``orchestration/defs/dbt``), so the ``ml_features`` views and marts the
assets read are named here as dbt names them; the graph then draws marts -> features -> ML tables.
"""

import dagster as dg

# What the ML assets write.
ML_FORECASTS = dg.AssetKey("ml_forecasts")
ML_FORECAST_ACCURACY = dg.AssetKey("ml_forecast_accuracy")
ML_EVIDENCE_NODES = dg.AssetKey("ml_evidence_nodes")
ML_EVIDENCE_EDGES = dg.AssetKey("ml_evidence_edges")
ML_PLANS = dg.AssetKey("ml_plans")
ML_GOAL_EVALUATIONS = dg.AssetKey("ml_goal_evaluations")

# What they read: the daily metrics mart, the owners' recorded interventions, the dbt feature views.
BUSINESS_METRICS_DAILY = dg.AssetKey("business_metrics_daily")
APP_INTERVENTIONS = dg.AssetKey("app_interventions")
#: The owners' goals (the demo sets its owners' goals in this asset).
APP_GOALS = dg.AssetKey("app_goals")
EVIDENCE_FEATURES = [
    dg.AssetKey("ml_product_daily_sales"),
    dg.AssetKey("ml_subscription_daily_starts"),
    dg.AssetKey("ml_product_names"),
]
PLAN_FEATURES = [
    dg.AssetKey("ml_plan_products"),
    dg.AssetKey("ml_product_daily_net_sales"),
    dg.AssetKey("ml_stock_daily"),
    dg.AssetKey("ml_shift_hours"),
    dg.AssetKey("ml_hourly_orders"),
    dg.AssetKey("ml_marketing_spend_daily"),
]
