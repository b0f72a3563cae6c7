{{ config(materialized="table") }}

{#- Every tenant's value of every metric and month in each of its three peer groups, with the group's
    size and whether the group may be published. The rules (docs/health-score.md, "Privacy"):

    - peer groups, narrowest first: industry (NAICS code) x size band x region; industry; all businesses.
      Values are compared only within one unit (money only between tenants with the same currency);
    - a group with fewer than benchmark_min_peers distinct tenants is never published;
    - nor is a group whose published wider group has 1 to benchmark_min_peers - 1 tenants more: the
      two distributions side by side would single out those few tenants (a differencing attack);
    - published percentiles are computed from micro-aggregated values (cluster_value): the group's
      sorted values cut into consecutive clusters of at least benchmark_min_peers tenants, each value
      replaced by its cluster's mean; cluster_max_share is the largest member's share of the cluster's
      absolute total (peer_benchmarks withholds a figure from a cluster one member dominates). -#}
{%- set min_peers = benchmark_min_peers() -%}

with

metric_values as (

    select * from {{ ref('int_tenant_metric_values') }}

),

tenants as (

    select * from {{ ref('int_tenants_classified') }}

),

memberships as (

    select
        metric_values.*,
        'industry_size_region' as group_level,
        1 as group_rank,
        tenants.naics_code,
        tenants.size_band,
        tenants.region,
        'NAICS ' || tenants.naics_code || ', ' || tenants.size_band || ', ' || tenants.region as peer_group
    from metric_values
    inner join tenants on metric_values.tenant_id = tenants.tenant_id
    where tenants.naics_code is not null and tenants.size_band is not null and tenants.region is not null

    union all

    select
        metric_values.*,
        'industry' as group_level,
        2 as group_rank,
        tenants.naics_code,
        null as size_band,
        null as region,
        'NAICS ' || tenants.naics_code as peer_group
    from metric_values
    inner join tenants on metric_values.tenant_id = tenants.tenant_id
    where tenants.naics_code is not null

    union all

    select
        metric_values.*,
        'all' as group_level,
        3 as group_rank,
        null as naics_code,
        null as size_band,
        null as region,
        'all businesses' as peer_group
    from metric_values
    inner join tenants on metric_values.tenant_id = tenants.tenant_id

),

sized as (

    select
        *,
        -- one value per tenant, month and metric (the grain of int_tenant_metric_values)
        count(*) over (partition by metric_month, metric, unit, group_level, peer_group) as peer_count
    from memberships

),

-- each tenant's group size at every level, side by side, to apply the differencing rule
levels as (

    select
        tenant_id,
        metric_month,
        metric,
        unit,
        max(case when group_rank = 1 then peer_count end) as region_group_count,
        max(case when group_rank = 2 then peer_count end) as industry_group_count,
        max(case when group_rank = 3 then peer_count end) as all_group_count
    from sized
    group by 1, 2, 3, 4

),

publishable as (

    select
        levels.*,
        coalesce(levels.all_group_count >= {{ min_peers }}, false) as all_published,
        coalesce(
            levels.industry_group_count >= {{ min_peers }}
            and (
                levels.all_group_count = levels.industry_group_count
                or levels.all_group_count - levels.industry_group_count >= {{ min_peers }}
            ),
            false
        ) as industry_published
    from levels

),

decided as (

    select
        sized.*,
        case sized.group_rank
            when 3 then publishable.all_published
            when 2 then publishable.industry_published
            else coalesce(
                sized.peer_count >= {{ min_peers }}
                and (
                    not publishable.industry_published
                    or publishable.industry_group_count = sized.peer_count
                    or publishable.industry_group_count - sized.peer_count >= {{ min_peers }}
                )
                and (
                    not publishable.all_published
                    or publishable.all_group_count = sized.peer_count
                    or publishable.all_group_count - sized.peer_count >= {{ min_peers }}
                ),
                false
            )
        end as is_published
    from sized
    inner join publishable
        on
            sized.tenant_id = publishable.tenant_id
            and sized.metric_month = publishable.metric_month
            and sized.metric = publishable.metric
            and sized.unit = publishable.unit

),

ranked as (

    select
        *,
        row_number() over group_window as value_rank,
        -- strictly lower values, and ties: the tenant's mid-rank percentile in its group, in (0, 1)
        (rank() over value_window - 1 + 0.5 * count(*) over (
            partition by metric_month, metric, unit, group_level, peer_group, metric_value
        ))::numeric / peer_count as tenant_percentile,
        greatest(1, floor(peer_count / {{ min_peers }}::numeric))::integer as cluster_count
    from decided
    window
        group_window as (
            partition by metric_month, metric, unit, group_level, peer_group order by metric_value, tenant_id
        ),
        value_window as (partition by metric_month, metric, unit, group_level, peer_group order by metric_value)

),

clustered as (

    select
        *,
        floor((value_rank - 1) * cluster_count::numeric / peer_count)::integer as cluster_number
    from ranked

),

final as (

    select
        -- ids
        tenant_id,

        -- strings
        metric,
        unit,
        group_level,
        peer_group,
        naics_code,
        size_band,
        region,

        -- numerics
        group_rank,
        peer_count,
        metric_value,
        round(tenant_percentile, 4)::numeric(6, 4) as tenant_percentile,
        cluster_number,
        avg(metric_value) over cluster_window as cluster_value,
        (max(abs(metric_value)) over cluster_window
            / nullif(sum(abs(metric_value)) over cluster_window, 0))::numeric(9, 6) as cluster_max_share,

        -- booleans
        is_published,

        -- dates
        metric_month

    from clustered
    window cluster_window as (partition by metric_month, metric, unit, group_level, peer_group, cluster_number)

)

select * from final
