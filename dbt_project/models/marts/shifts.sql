-- One row per timecard: who worked, in which role, on which day (the business's own calendar day
-- of the clock-in), paid hours and labor cost as the shift tool computed them.
with

timecards as (

    select * from {{ ref('stg_shifts__timecards') }}

),

employees as (

    select * from {{ ref('stg_shifts__employees') }}

),

tenants as (

    select * from {{ ref('int_tenants_classified') }}

),

final as (

    select
        -- ids
        timecards.tenant_id,
        timecards.timecard_id,
        timecards.employee_id,

        -- strings
        employees.employee_name,
        timecards.role,
        timecards.department,
        timecards.wage_type,

        -- numerics
        timecards.paid_hours,
        timecards.scheduled_hours,
        timecards.overtime_hours,
        timecards.unpaid_break_hours,
        timecards.wage_rate,
        timecards.labor_cost,

        -- booleans
        timecards.is_approved,
        timecards.clocked_out_at is null as is_open,

        -- dates
        {{ local_date('timecards.clocked_in_at', 'tenants.timezone') }} as shift_date,

        -- timestamps
        timecards.clocked_in_at,
        timecards.clocked_out_at,
        timecards._keel_cursor_at

    from timecards
    inner join tenants on timecards.tenant_id = tenants.tenant_id
    left join employees
        on
            timecards.tenant_id = employees.tenant_id
            and timecards.employee_id = employees.employee_id

)

select * from final
