-- Metadata of the loaded FRED series.
with

source as (

    select * from {{ keel_source('fred', 'series') }}

),

final as (

    select
        -- ids
        id as series_id,

        -- strings
        title,
        frequency,
        frequency_short,
        units,
        units_short,
        seasonal_adjustment,
        seasonal_adjustment_short,
        notes,

        -- dates
        observation_start::date as observation_start_date,
        observation_end::date as observation_end_date,

        -- timestamps
        _keel_cursor_at as last_updated_at

    from source

)

select * from final
