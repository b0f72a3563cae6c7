-- Who worked when, for the staffing plan: every completed timecard with its start and end as hours of
-- the shift's day in the tenant's time zone (an end past midnight is above 24).

with

shifts as (

    select * from {{ ref('shifts') }}

),

tenants as (

    select * from {{ ref('stg_app__tenants') }}

),

final as (

    select
        shifts.tenant_id,
        shifts.employee_id::text as employee_id,
        shifts.employee_name,
        shifts.role,
        shifts.wage_rate::double precision as wage_rate,
        shifts.shift_date,
        extract(
            epoch from (shifts.clocked_in_at at time zone coalesce(nullif(tenants.timezone, ''), 'UTC'))
            - shifts.shift_date::timestamp
        )::double precision / 3600 as start_hour,
        extract(
            epoch from (shifts.clocked_out_at at time zone coalesce(nullif(tenants.timezone, ''), 'UTC'))
            - shifts.shift_date::timestamp
        )::double precision / 3600 as end_hour

    from shifts
    left join tenants on shifts.tenant_id = tenants.tenant_id
    where shifts.clocked_out_at is not null

)

select * from final
