-- The published peer distributions: one row per month, metric, unit and peer group that passes the
-- k-anonymity rules of int_peer_group_members (at least benchmark_min_peers distinct tenants, no
-- differencing against a wider group). Percentiles are taken over micro-aggregated values and
-- rounded to three significant digits, so no published number is one tenant's value.
-- No tenant_id: every tenant (and analyst) may read every published distribution.
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
        percentile_cont(0.10) within group (order by cluster_value) as p10,
        percentile_cont(0.25) within group (order by cluster_value) as p25,
        percentile_cont(0.50) within group (order by cluster_value) as p50,
        percentile_cont(0.75) within group (order by cluster_value) as p75,
        percentile_cont(0.90) within group (order by cluster_value) as p90
    from members
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
        {{ round_significant('distributions.p10') }} as p10,
        {{ round_significant('distributions.p25') }} as p25,
        {{ round_significant('distributions.p50') }} as p50,
        {{ round_significant('distributions.p75') }} as p75,
        {{ round_significant('distributions.p90') }} as p90,

        -- booleans
        catalogue.higher_is_better,

        -- dates
        distributions.metric_month

    from distributions
    inner join catalogue on distributions.metric = catalogue.metric

)

select * from final
