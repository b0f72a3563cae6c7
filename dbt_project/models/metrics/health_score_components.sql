-- The health score's components per tenant and complete month: each component's score (0-100) is the
-- mean of the tenant's peer percentiles (higher = better) over the component's metrics it has data
-- for (macros/health_score.sql). Components without any metric for the tenant have no row.
with

benchmarks as (

    select * from {{ ref('tenant_benchmarks') }}
    where component is not null

),

components as (

    select * from {{ ref('health_score_weights') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by tenant_id, metric_month, component order by percentile_better desc, metric
        ) as best_rank,
        row_number() over (
            partition by tenant_id, metric_month, component order by percentile_better asc, metric
        ) as worst_rank
    from benchmarks

),

scored as (

    select
        tenant_id,
        metric_month,
        component,
        {{ health_component_score('percentile_better') }} as component_score,
        count(*) as metrics_used,
        min(peer_count) as min_peer_count,
        avg({{ health_peer_factor('peer_count') }}) as peer_factor,
        max(case when best_rank = 1 then metric_label end) as best_metric_label,
        max(case when best_rank = 1 then percentile_better end) as best_metric_percentile,
        max(case when best_rank = 1 then peer_group end) as best_metric_peer_group,
        max(case when best_rank = 1 then peer_count end) as best_metric_peer_count,
        max(case when best_rank = 1 then comparison_label end) as best_metric_comparison,
        max(case when worst_rank = 1 then metric_label end) as worst_metric_label,
        max(case when worst_rank = 1 then percentile_better end) as worst_metric_percentile,
        max(case when worst_rank = 1 then peer_group end) as worst_metric_peer_group,
        max(case when worst_rank = 1 then peer_count end) as worst_metric_peer_count,
        max(case when worst_rank = 1 then comparison_label end) as worst_metric_comparison,
        string_agg(distinct peer_group, '; ') as peer_groups
    from ranked
    group by 1, 2, 3

),

final as (

    select
        -- ids
        scored.tenant_id,

        -- strings
        scored.component,
        components.component_label,
        scored.best_metric_label,
        scored.best_metric_peer_group,
        scored.worst_metric_label,
        scored.worst_metric_peer_group,
        scored.best_metric_comparison,
        scored.worst_metric_comparison,
        scored.peer_groups,

        -- numerics
        components.weight,
        scored.component_score::numeric(4, 1) as component_score,
        scored.metrics_used::integer as metrics_used,
        scored.min_peer_count::integer as min_peer_count,
        round(scored.peer_factor, 4)::numeric(6, 4) as peer_factor,
        scored.best_metric_percentile,
        scored.best_metric_peer_count::integer as best_metric_peer_count,
        scored.worst_metric_percentile,
        scored.worst_metric_peer_count::integer as worst_metric_peer_count,

        -- dates
        scored.metric_month

    from scored
    inner join components on scored.component = components.component

)

select * from final
