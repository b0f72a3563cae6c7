-- The business health score, 0-100, per tenant and complete month: the weighted mean of the component
-- scores (health_score_components), with its confidence and, in plain words, the three components
-- that move it most away from the middle of the peer group and the three that changed it most since
-- last month. The formula: macros/health_score.sql; the weights: seed health_score_weights;
-- for owners: docs/health-score.md.
with

components as (

    select * from {{ ref('health_score_components') }}

),

weights as (

    select sum(weight) as total_weight from {{ ref('health_score_weights') }}

),

months as (

    select * from {{ ref('int_tenant_months') }}

),

peer_group_names as (

    select
        components.tenant_id,
        components.metric_month,
        string_agg(distinct group_name, '; ' order by group_name) as peer_groups
    from components
    cross join lateral unnest(string_to_array(components.peer_groups, '; ')) as group_name
    group by 1, 2

),

weighted as (

    select
        components.*,
        components.weight / sum(components.weight) over (
            partition by components.tenant_id, components.metric_month
        ) as normalized_weight
    from components

),

with_points as (

    select
        *,
        {{ health_driver_points('normalized_weight', 'component_score') }} as points
    from weighted

),

score_sentences as (

    select
        *,
        case
            when points >= 0
                then component_label || ' lifts your score by ' || points || ' points: your '
                    || best_metric_label || ' is better than ' || round(100 * best_metric_percentile)
                    || '% of the ' || best_metric_comparison || '.'
            else component_label || ' holds your score back by ' || abs(points) || ' points: your '
                || worst_metric_label || ' is better than only ' || round(100 * worst_metric_percentile)
                || '% of the ' || worst_metric_comparison || '.'
        end as sentence,
        row_number() over (
            partition by tenant_id, metric_month order by abs(points) desc, component
        ) as impact_rank
    from with_points

),

changes as (

    select
        coalesce(now_.tenant_id, before.tenant_id) as tenant_id,
        coalesce(now_.metric_month, (before.metric_month + interval '1 month')::date) as metric_month,
        coalesce(now_.component, before.component) as component,
        coalesce(now_.points, 0) - coalesce(before.points, 0) as points_change,
        case
            when before.component is null
                then now_.component_label || ' counts in your score this month for the first time ('
                    || case when now_.points >= 0 then '+' else '' end || now_.points || ' points).'
            when now_.component is null
                then before.component_label || ' has no data this month; last month it counted '
                    || case when before.points >= 0 then '+' else '' end || before.points || ' points.'
            else now_.component_label || case when now_.points >= before.points then ' raised' else ' lowered' end
                || ' your score by ' || abs(now_.points - before.points) || ' points since last month (its score went from '
                || round(before.component_score) || ' to ' || round(now_.component_score) || ').'
        end as sentence
    from with_points as now_
    full outer join with_points as before
        on
            now_.tenant_id = before.tenant_id
            and now_.component = before.component
            and before.metric_month = (now_.metric_month - interval '1 month')::date

),

change_drivers as (

    select
        changes.tenant_id,
        changes.metric_month,
        array_agg(changes.sentence order by abs(changes.points_change) desc, changes.component)
            filter (where changes.change_rank <= 3) as change_drivers
    from (
        select
            changes.*,
            row_number() over (
                partition by changes.tenant_id, changes.metric_month
                order by abs(changes.points_change) desc, changes.component
            ) as change_rank
        from changes
        where changes.points_change <> 0
    ) as changes
    group by 1, 2

),

scored as (

    select
        score_sentences.tenant_id,
        score_sentences.metric_month,
        {{ health_total_score('score_sentences.weight', 'score_sentences.component_score') }} as health_score,
        sum(score_sentences.weight) / max(weights.total_weight) as weight_coverage,
        sum(score_sentences.weight * score_sentences.peer_factor) / sum(score_sentences.weight) as peer_factor,
        min(score_sentences.min_peer_count) as min_peer_count,
        max(case when score_sentences.component = 'growth' then score_sentences.component_score end)
            as growth_score,
        max(case when score_sentences.component = 'profitability' then score_sentences.component_score end)
            as profitability_score,
        max(case when score_sentences.component = 'liquidity' then score_sentences.component_score end)
            as liquidity_score,
        max(case when score_sentences.component = 'efficiency' then score_sentences.component_score end)
            as efficiency_score,
        max(case when score_sentences.component = 'customers' then score_sentences.component_score end)
            as customers_score,
        array_agg(score_sentences.sentence order by score_sentences.impact_rank)
            filter (where score_sentences.impact_rank <= 3) as score_drivers
    from score_sentences
    cross join weights
    group by 1, 2

),

final as (

    select
        -- ids
        scored.tenant_id,

        -- strings
        {{ health_confidence_label(health_confidence(
            'scored.weight_coverage', 'scored.peer_factor', 'coalesce(months.complete_months_so_far, 1)')) }}
            as confidence_label,
        peer_group_names.peer_groups,

        -- numerics
        scored.health_score::numeric(4, 1) as health_score,
        (scored.health_score - last_month.health_score)::numeric(5, 1) as health_score_change,
        scored.growth_score,
        scored.profitability_score,
        scored.liquidity_score,
        scored.efficiency_score,
        scored.customers_score,
        {{ health_confidence('scored.weight_coverage', 'scored.peer_factor',
                             'coalesce(months.complete_months_so_far, 1)') }}::numeric(3, 2) as confidence,
        round(scored.weight_coverage, 3)::numeric(4, 3) as weight_coverage,
        scored.min_peer_count::integer as min_peer_count,
        coalesce(months.complete_months_so_far, 1)::integer as complete_months,

        -- arrays of plain-language sentences, most important first
        scored.score_drivers,
        case
            when last_month.tenant_id is not null then coalesce(change_drivers.change_drivers, array[]::text[])
            else array[]::text[]
        end as change_drivers,

        -- dates
        scored.metric_month

    from scored
    left join months
        on scored.tenant_id = months.tenant_id and scored.metric_month = months.metric_month
    left join change_drivers
        on scored.tenant_id = change_drivers.tenant_id and scored.metric_month = change_drivers.metric_month
    left join peer_group_names
        on scored.tenant_id = peer_group_names.tenant_id and scored.metric_month = peer_group_names.metric_month
    left join scored as last_month
        on
            scored.tenant_id = last_month.tenant_id
            and last_month.metric_month = (scored.metric_month - interval '1 month')::date

)

select * from final
