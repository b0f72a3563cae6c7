-- Staff hours from owners' uploaded files, one row per (tenant, employee_name, shift_date, line_number), typed.
with

source as (

    select * from {{ keel_source('files', 'staff_hours') }}

),

final as (

    select
        -- ids
        tenant_id::uuid as tenant_id,
        employee_name,
        line_number,

        -- strings
        role,
        _file_name as file_name,

        -- numerics
        hours::numeric as hours,
        {{ to_money('hourly_wage') }} as hourly_wage,
        {{ to_money('labor_cost') }} as labor_cost,
        _row_number::integer as file_row_number,

        -- dates
        shift_date::date as shift_date,

        -- times and timestamps
        start_time::time as start_time,
        end_time::time as end_time,
        _keel_cursor_at

    from source

)

select * from final
