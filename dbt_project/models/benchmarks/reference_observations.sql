-- Public reference series, one row per series and month: what the FRED source has loaded, and for
-- the months FRED has not (or never was) loaded, the snapshot shipped as seeds. `value_source` says
-- which; where both have a month, FRED wins. Series metadata and the snapshot's provenance come
-- from seed reference_series.
with

fred as (

    select * from {{ ref('stg_fred__observations') }}

),

fred_series as (

    select * from {{ ref('stg_fred__series') }}

),

snapshot as (

    select * from {{ ref('reference_observations_snapshot') }}

),

series as (

    select * from {{ ref('reference_series') }}

),

unioned as (

    select
        series_id,
        observation_date,
        value,
        'fred' as value_source,
        1 as source_priority,
        realtime_start_date
    from fred
    where value is not null

    union all

    select
        series_id,
        observation_date,
        value,
        'snapshot' as value_source,
        2 as source_priority,
        null::date as realtime_start_date
    from snapshot

),

deduplicated as (

    -- FRED first; of several FRED vintages of one month, the latest
    select distinct on (series_id, observation_date) *
    from unioned
    order by series_id, observation_date, source_priority, realtime_start_date desc nulls last

),

final as (

    select
        -- ids
        deduplicated.series_id,

        -- strings
        series.series_role,
        coalesce(series.title, fred_series.title) as title,
        coalesce(series.units, fred_series.units) as units,
        coalesce(series.seasonal_adjustment, fred_series.seasonal_adjustment) as seasonal_adjustment,
        coalesce(series.publisher, 'FRED') as publisher,
        deduplicated.value_source,
        case
            when deduplicated.value_source = 'snapshot'
                then series.snapshot_dataset || ' (' || series.snapshot_retrieved_with || ')'
            else 'FRED API'
        end as retrieved_from,

        -- numerics
        deduplicated.value::numeric(14, 3) as value,

        -- dates
        deduplicated.observation_date

    from deduplicated
    left join series on deduplicated.series_id = series.series_id
    left join fred_series on deduplicated.series_id = fred_series.series_id

)

select * from final
