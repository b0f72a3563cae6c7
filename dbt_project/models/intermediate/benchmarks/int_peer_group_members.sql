{{ config(materialized="table") }}

{#- Every tenant's value of every metric and month in each of its peer groups, with the group's size and
    whether the group may be published. The rules (docs/health-score.md, "Privacy" and "Like for like"):

    - peer groups, narrowest first, all within one industry: industry (NAICS code) x size band x region;
      industry x size band; industry; then the nearest wider industry levels, NAICS industry group (the
      code's first 4 digits) and subsector (first 3). There is no cross-industry group: a tenant whose
      every group is too small has no comparison. Values are compared only within one unit (money only
      between tenants with the same currency);
    - a group with fewer than benchmark_min_peers distinct tenants is never published;
    - nor is a group that a wider group of the tenant with at least benchmark_min_peers tenants exceeds
      by 1 to benchmark_min_peers - 1 tenants: the two distributions side by side would single out those
      few tenants (a differencing attack);
    - published percentiles are computed from micro-aggregated values (cluster_value): the group's
      sorted values cut into consecutive clusters of at least benchmark_min_peers tenants, each value
      replaced by its cluster's mean; cluster_max_share is the largest member's share of the cluster's
      absolute total (peer_benchmarks withholds a figure from a cluster one member dominates). -#}
{%- set min_peers = benchmark_min_peers() -%}
{%- set levels = [
    ('industry_size_region', 1, 'tenants.naics_code', 'tenants.size_band', 'tenants.region'),
    ('industry_size', 2, 'tenants.naics_code', 'tenants.size_band', 'null'),
    ('industry', 3, 'tenants.naics_code', 'null', 'null'),
    ('industry_group', 4, 'left(tenants.naics_code, 4)', 'null', 'null'),
    ('industry_subsector', 5, 'left(tenants.naics_code, 3)', 'null', 'null'),
] -%}

with

metric_values as (

    select * from {{ ref('int_tenant_metric_values') }}

),

tenants as (

    select * from {{ ref('int_tenants_classified') }}

),

memberships as (

    {%- for level, rank, naics, size, region in levels %}
    select
        metric_values.*,
        '{{ level }}' as group_level,
        {{ rank }} as group_rank,
        tenants.industry,
        {{ naics }} as naics_code,
        {{ size }}::text as size_band,
        {{ region }}::text as region,
        'NAICS ' || {{ naics }}
        {%- if size != 'null' %} || ', ' || {{ size }}{% endif %}
        {%- if region != 'null' %} || ', ' || {{ region }}{% endif %} as peer_group
    from metric_values
    inner join tenants on metric_values.tenant_id = tenants.tenant_id
    where
        tenants.naics_code is not null
        {%- if size != 'null' %} and {{ size }} is not null{% endif %}
        {%- if region != 'null' %} and {{ region }} is not null{% endif %}
        {%- if rank == 4 %} and length(tenants.naics_code) > 4{% endif %}
        {%- if rank == 5 %} and length(tenants.naics_code) > 3{% endif %}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

sized as (

    select
        *,
        -- one value per tenant, month and metric (the grain of int_tenant_metric_values)
        count(*) over (partition by metric_month, metric, unit, group_level, peer_group) as peer_count
    from memberships

),

-- the differencing rule: each group of a tenant against every wider group of the same tenant
decided as (

    select
        sized.*,
        sized.peer_count >= {{ min_peers }}
        and not exists (
            select 1
            from sized as wider
            where
                wider.tenant_id = sized.tenant_id
                and wider.metric_month = sized.metric_month
                and wider.metric = sized.metric
                and wider.unit = sized.unit
                and wider.group_rank > sized.group_rank
                and wider.peer_count >= {{ min_peers }}
                and wider.peer_count > sized.peer_count
                and wider.peer_count - sized.peer_count < {{ min_peers }}
        ) as is_published
    from sized

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
        industry,
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
