-- The published peer distributions: one row per month, metric, unit and peer group that passes the
-- k-anonymity rules of int_peer_group_members (at least benchmark_min_peers distinct tenants, no
-- differencing against a wider group).
--
-- Publication rule (docs/health-score.md, "Peer groups and privacy"). A published figure is never one
-- member's value:
--   1. every figure is the mean of one cluster of at least benchmark_min_peers (5) tenants: the group's
--      sorted values cut into consecutive clusters, and each percentile is the cluster mean at that
--      rank (percentile_disc, so no interpolation between clusters lands on a member's value);
--   2. a figure is withheld (NULL) when one member makes up more than benchmark_max_member_share
--      (50 %) of its cluster's absolute total: the mean would mostly be that member's value;
--   3. a figure is withheld when, rounded to three significant digits, it equals any member's value
--      rounded the same way (the mean of evenly spaced values is its middle member's value).
-- No tenant_id: every tenant (and analyst) may read every published distribution.
{%- set max_share = benchmark_max_member_share() %}

with

members as (

    select * from {{ ref('int_peer_group_members') }}
    where is_published

),

catalogue as (

    select * from {{ ref('benchmark_metrics') }}

),

distributions as (

    select
        metric_month,
        metric,
        unit,
        group_level,
        peer_group,
        min(group_rank) as group_rank,
        max(naics_code) as naics_code,
        max(size_band) as size_band,
        max(region) as region,
        count(distinct tenant_id) as peer_count,
        percentile_disc(0.10) within group (order by cluster_value) as p10,
        percentile_disc(0.25) within group (order by cluster_value) as p25,
        percentile_disc(0.50) within group (order by cluster_value) as p50,
        percentile_disc(0.75) within group (order by cluster_value) as p75,
        percentile_disc(0.90) within group (order by cluster_value) as p90
    from members
    group by 1, 2, 3, 4, 5

),

figures as (

    {%- for quantile in ['p10', 'p25', 'p50', 'p75', 'p90'] %}
    select metric_month, metric, unit, group_level, peer_group, '{{ quantile }}' as quantile, {{ quantile }} as figure
    from distributions
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

clusters as (

    select distinct metric_month, metric, unit, group_level, peer_group, cluster_value, cluster_max_share
    from members

),

member_values as (

    select distinct
        metric_month, metric, unit, group_level, peer_group,
        {{ round_significant('metric_value') }} as rounded_value
    from members

),

checked as (

    select
        figures.metric_month,
        figures.metric,
        figures.unit,
        figures.group_level,
        figures.peer_group,
        figures.quantile,
        {{ round_significant('figures.figure') }} as figure,
        coalesce(clusters.cluster_max_share <= {{ max_share }}, false)
        and member_values.rounded_value is null as is_safe
    from figures
    inner join clusters
        on
            figures.metric_month = clusters.metric_month
            and figures.metric = clusters.metric
            and figures.unit = clusters.unit
            and figures.group_level = clusters.group_level
            and figures.peer_group = clusters.peer_group
            and figures.figure = clusters.cluster_value
    left join member_values
        on
            figures.metric_month = member_values.metric_month
            and figures.metric = member_values.metric
            and figures.unit = member_values.unit
            and figures.group_level = member_values.group_level
            and figures.peer_group = member_values.peer_group
            and {{ round_significant('figures.figure') }} = member_values.rounded_value

),

published_figures as (

    select
        metric_month,
        metric,
        unit,
        group_level,
        peer_group,
        {%- for quantile in ['p10', 'p25', 'p50', 'p75', 'p90'] %}
        -- bool_and: a figure shared by two clusters is published only if both are safe
        case when bool_and(is_safe) filter (where quantile = '{{ quantile }}')
            then max(figure) filter (where quantile = '{{ quantile }}') end as {{ quantile }}
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from checked
    group by 1, 2, 3, 4, 5

),

final as (

    select
        -- strings
        distributions.metric,
        catalogue.metric_label,
        distributions.unit,
        distributions.group_level,
        distributions.peer_group,
        distributions.naics_code,
        distributions.size_band,
        distributions.region,

        -- numerics
        distributions.group_rank,
        distributions.peer_count::integer as peer_count,
        published_figures.p10,
        published_figures.p25,
        published_figures.p50,
        published_figures.p75,
        published_figures.p90,

        -- booleans
        catalogue.higher_is_better,

        -- dates
        distributions.metric_month

    from distributions
    inner join catalogue on distributions.metric = catalogue.metric
    inner join published_figures
        on
            distributions.metric_month = published_figures.metric_month
            and distributions.metric = published_figures.metric
            and distributions.unit = published_figures.unit
            and distributions.group_level = published_figures.group_level
            and distributions.peer_group = published_figures.peer_group

)

select * from final
