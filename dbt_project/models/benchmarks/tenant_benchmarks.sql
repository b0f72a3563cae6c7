-- Each tenant's metrics against its peers, like for like: one row per tenant, complete month and metric
-- it has data for (metrics that fit its kind of business), with the narrowest published peer group of
-- its own industry (industry x size band x region, industry x size band, industry, then the nearest
-- wider industry levels by NAICS prefix; never a cross-industry group), that group's size and published
-- percentiles, the tenant's own percentile in it, and the group in an owner's words (comparison_label).
-- `percentile_better` turns the percentile so that higher is better (lower costs, faster payment).
-- A metric whose every group is withheld has no row. Row-level security: a tenant sees its own rows.
with

members as (

    select * from {{ ref('int_peer_group_members') }}
    where is_published

),

published as (

    select * from {{ ref('peer_benchmarks') }}

),

catalogue as (

    select * from {{ ref('benchmark_metrics') }}

),

industry_labels as (

    select * from {{ ref('industry_labels') }}

),

chosen as (

    select distinct on (tenant_id, metric_month, metric)
        *
    from members
    order by tenant_id, metric_month, metric, group_rank

),

final as (

    select
        -- ids
        chosen.tenant_id,

        -- strings
        chosen.metric,
        catalogue.metric_label,
        catalogue.component,
        chosen.unit,
        chosen.group_level,
        chosen.peer_group,
        chosen.peer_count || ' ' || case chosen.group_rank
            when 1 then plural.noun || ' of your size in your region (' || chosen.region || ')'
            when 2 then plural.noun || ' of your size'
            when 3 then plural.noun || ' (all sizes: too few of your size)'
            when 4 then 'businesses in closely related industries (too few ' || plural.noun || ')'
            else 'businesses in the wider industry (too few ' || plural.noun || ')'
        end as comparison_label,

        -- numerics
        chosen.group_rank,
        chosen.peer_count::integer as peer_count,
        chosen.metric_value,
        published.p10,
        published.p25,
        published.p50,
        published.p75,
        published.p90,
        chosen.tenant_percentile,
        {{ health_oriented_percentile('chosen.tenant_percentile', 'catalogue.higher_is_better') }}
            as percentile_better,

        -- booleans
        catalogue.higher_is_better,
        chosen.group_rank > 2 as is_fallback,

        -- dates
        chosen.metric_month

    from chosen
    inner join catalogue on chosen.metric = catalogue.metric
    left join industry_labels on chosen.industry = industry_labels.industry
    cross join lateral (
        select coalesce(industry_labels.industry_plural, 'businesses in your industry') as noun
    ) as plural
    inner join published
        on
            chosen.metric_month = published.metric_month
            and chosen.metric = published.metric
            and chosen.unit = published.unit
            and chosen.group_level = published.group_level
            and chosen.peer_group = published.peer_group

)

select * from final
