-- One row per timesheet time log (timesheets.time_logs unnested): who worked, on what, from when to
-- when (local wall-clock time), the hours and their cost.
with

source as (

    select * from {{ keel_source('erpnext', 'timesheets') }}

),

logs as (

    select
        source.tenant_id,
        source.name as timesheet_id,
        source.docstatus,
        source.employee,
        source.employee_name,
        source.department,
        source._keel_cursor_at,
        log.time_log,
        log.log_position
    from source
    cross join lateral
        jsonb_array_elements(coalesce(source.time_logs, '[]')::jsonb)
        with ordinality as log (time_log, log_position)

),

final as (

    select
        -- ids
        tenant_id::uuid as tenant_id,
        timesheet_id,
        log_position::integer as log_position,
        employee as employee_id,

        -- strings
        coalesce(employee_name, employee) as employee_name,
        time_log ->> 'activity_type' as activity_type,
        department,

        -- numerics
        docstatus,
        coalesce((time_log ->> 'hours')::numeric, 0)::numeric(10, 2) as hours,
        (time_log ->> 'costing_rate')::numeric(14, 2) as costing_rate,
        {{ to_money("coalesce((time_log ->> 'costing_amount')::numeric, 0)") }} as costing_amount,

        -- booleans
        docstatus = 1 as is_submitted,

        -- timestamps (local wall-clock time)
        (time_log ->> 'from_time')::timestamp as from_local,
        (time_log ->> 'to_time')::timestamp as to_local,
        _keel_cursor_at

    from logs

)

select * from final
