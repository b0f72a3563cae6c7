{#- The health score's formula: every step is one of these macros; the weights and which metric feeds
    which component (and whether higher is better) are seeds (health_score_weights,
    benchmark_metrics). docs/health-score.md explains it for owners and analysts.

    1. percentile_better: the tenant's mid-rank percentile in its peer group, turned so that higher is
       better (1 - p for costs and days to get paid).
    2. component score = 100 x the mean percentile_better of the component's metrics the tenant has:
       raising one metric's percentile never lowers its component.
    3. health score = the weighted mean of the component scores the tenant has, weights re-normalized
       over those components.
    4. confidence = share of the weights covered x peer factor x history factor (0..1).
    5. a driver's points = its re-normalized weight x (component score - 50): how far it pulls the
       score away from the middle of the peer group. -#}

{% macro health_oriented_percentile(percentile, higher_is_better) -%}
    (case when {{ higher_is_better }} then {{ percentile }} else 1 - {{ percentile }} end)
{%- endmacro %}

{#- Aggregate over a component's metrics. -#}
{% macro health_component_score(percentile_better) -%}
    round(100 * avg({{ percentile_better }}), 1)
{%- endmacro %}

{#- Aggregate over a tenant-month's components. -#}
{% macro health_total_score(weight, component_score) -%}
    round(sum({{ weight }} * {{ component_score }}) / nullif(sum({{ weight }}), 0), 1)
{%- endmacro %}

{#- How much a peer group of this size can be trusted: 0.47 at 5 peers, 0.78 at 14, 1 from 30. -#}
{% macro health_peer_factor(peer_count) -%}
    least(1.0, ln(greatest({{ peer_count }}, 1)::numeric) / ln(30::numeric))
{%- endmacro %}

{#- 0..1: the share of the weights the tenant has data for, times the mean peer factor of the metrics
    used, times a history factor (half credit for a first complete month, full from 12 months on). -#}
{% macro health_confidence(weight_coverage, peer_factor, complete_months) -%}
    round(
        ({{ weight_coverage }}) * ({{ peer_factor }})
        * (0.5 + 0.5 * least(1.0, ({{ complete_months }})::numeric / 12)),
        2
    )
{%- endmacro %}

{% macro health_confidence_label(confidence) -%}
    (case when {{ confidence }} >= 0.6 then 'high' when {{ confidence }} >= 0.35 then 'medium' else 'low' end)
{%- endmacro %}

{% macro health_driver_points(normalized_weight, component_score) -%}
    round(({{ normalized_weight }}) * ({{ component_score }} - 50), 1)
{%- endmacro %}
