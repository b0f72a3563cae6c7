-- One row per timecard: who worked, in which role, on which day (the business's own calendar day
-- of the clock-in), paid hours and labor cost as the shift tool computed them; and the shifts of an
-- owner's uploaded staff hours (cost: the file's, or hours times the hourly wage).
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

files_staff_hours as (

    select * from {{ ref('stg_files__staff_hours') }}

),

erpnext_time_logs as (

    select * from {{ ref('stg_erpnext__time_logs') }}

),

erpnext_employees as (

    select * from {{ ref('stg_erpnext__employees') }}

),

shift_tool as (

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

),

-- ids of file shifts: stable numbers from the file's own key (its rows have no numeric ids)
files as (

    select
        -- ids
        files_staff_hours.tenant_id,
        hashtextextended(
            'files|' || files_staff_hours.employee_name || '|' || files_staff_hours.shift_date::text
            || '|' || files_staff_hours.line_number,
            0
        ) as timecard_id,
        hashtextextended('files|' || files_staff_hours.employee_name, 0) as employee_id,

        -- strings
        files_staff_hours.employee_name,
        files_staff_hours.role,
        null::text as department,
        'hourly' as wage_type,

        -- numerics
        files_staff_hours.hours::numeric(10, 2) as paid_hours,
        0::numeric(10, 2) as scheduled_hours,
        0::numeric(10, 2) as overtime_hours,
        0::numeric(10, 2) as unpaid_break_hours,
        files_staff_hours.hourly_wage as wage_rate,
        coalesce(
            files_staff_hours.labor_cost,
            (files_staff_hours.hours * files_staff_hours.hourly_wage)::numeric(14, 2)
        ) as labor_cost,

        -- booleans
        true as is_approved,
        false as is_open,

        -- dates
        files_staff_hours.shift_date,

        -- timestamps
        (files_staff_hours.shift_date + files_staff_hours.start_time) at time zone tenants.timezone
            as clocked_in_at,
        (files_staff_hours.shift_date + files_staff_hours.end_time) at time zone tenants.timezone
            as clocked_out_at,
        files_staff_hours._keel_cursor_at

    from files_staff_hours
    inner join tenants on files_staff_hours.tenant_id = tenants.tenant_id

),

-- ERPNext timesheets: one shift per time log, its cost as the timesheet's costing computed it (draft
-- timesheets are not approved; cancelled ones are left out). Ids: stable numbers from the names. The
-- person's name and department are the Employee's now (a timesheet keeps the ones it was written
-- with); the role is the log's activity, else the employee's job title.
erpnext as (

    select
        -- ids
        erpnext_time_logs.tenant_id,
        hashtextextended(
            'erpnext|' || erpnext_time_logs.timesheet_id || '|' || erpnext_time_logs.log_position::text, 0
        ) as timecard_id,
        hashtextextended('erpnext|' || erpnext_time_logs.employee_id, 0) as employee_id,

        -- strings
        coalesce(erpnext_employees.employee_name, erpnext_time_logs.employee_name) as employee_name,
        coalesce(erpnext_time_logs.activity_type, erpnext_employees.designation) as role,
        coalesce(erpnext_employees.department, erpnext_time_logs.department) as department,
        'hourly' as wage_type,

        -- numerics
        erpnext_time_logs.hours as paid_hours,
        0::numeric(10, 2) as scheduled_hours,
        0::numeric(10, 2) as overtime_hours,
        0::numeric(10, 2) as unpaid_break_hours,
        erpnext_time_logs.costing_rate as wage_rate,
        erpnext_time_logs.costing_amount as labor_cost,

        -- booleans
        erpnext_time_logs.is_submitted as is_approved,
        erpnext_time_logs.to_local is null as is_open,

        -- dates
        erpnext_time_logs.from_local::date as shift_date,

        -- timestamps
        erpnext_time_logs.from_local at time zone tenants.timezone as clocked_in_at,
        erpnext_time_logs.to_local at time zone tenants.timezone as clocked_out_at,
        erpnext_time_logs._keel_cursor_at

    from erpnext_time_logs
    inner join tenants on erpnext_time_logs.tenant_id = tenants.tenant_id
    left join erpnext_employees
        on
            erpnext_time_logs.tenant_id = erpnext_employees.tenant_id
            and erpnext_time_logs.employee_id = erpnext_employees.employee_id
    where erpnext_time_logs.docstatus in (0, 1)

),

final as (

    select * from shift_tool
    union all
    select * from erpnext
    union all
    select * from files

)

select * from final
