with

source as (

    select * from {{ keel_source('shifts', 'employees') }}

),

final as (

    select
        -- ids
        tenant_id::uuid as tenant_id,
        id as employee_id,
        (job::jsonb ->> 'id')::bigint as job_id,

        -- strings
        nullif(trim(concat_ws(' ', first_name, last_name)), '') as employee_name,
        email,
        job::jsonb ->> 'default_role' as default_role,
        job::jsonb ->> 'level' as job_level,
        job::jsonb ->> 'wage_type' as wage_type,

        -- numerics
        {{ to_money("job::jsonb ->> 'wage_rate'") }} as wage_rate,

        -- booleans
        job::jsonb ->> 'archived_at' is not null as is_archived,

        -- timestamps
        (job::jsonb ->> 'archived_at')::timestamptz as archived_at,
        created_at::timestamptz as created_at,
        updated_at::timestamptz as updated_at,
        _keel_cursor_at

    from source

)

select * from final
