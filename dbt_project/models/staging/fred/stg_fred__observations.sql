-- FRED observations, typed: "." (no value for the period) becomes null.
with

source as (

    select * from {{ keel_source('fred', 'observations') }}

),

final as (

    select
        -- ids
        series_id,

        -- numerics
        nullif(value, '.')::numeric as value,

        -- dates
        date::date as observation_date,
        realtime_start::date as realtime_start_date,

        -- timestamps
        _keel_cursor_at

    from source

)

select * from final
