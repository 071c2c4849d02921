{#-
    The contract opportunity_type (new_business, expansion, renewal) of a CRM
    type value: matched case-insensitively (trimmed) against var
    <source>_opportunity_type_map over the defaults below; contract values
    pass through; null becomes var adapter_default_opportunity_type. Any
    other value is kept lower-cased, so the accepted_values test on
    stg_crm__opportunities names it and the map can be extended.
-#}
{% macro adapter_opportunity_type(source_name, type_column) %}
    {%- set defaults = {
        "salesforce": {
            "new business": "new_business",
            "new": "new_business",
            "existing business - upgrade": "expansion",
            "existing business - upsell": "expansion",
            "upsell": "expansion",
            "upgrade": "expansion",
            "cross-sell": "expansion",
            "existing business - replacement": "renewal",
            "existing business - downgrade": "renewal",
            "existing business - renewal": "renewal",
        },
        "hubspot": {
            "newbusiness": "new_business",
            "new business": "new_business",
            "existingbusiness": "expansion",
            "existing business": "expansion",
            "upsell": "expansion",
        },
    }[source_name] -%}
    {%- set mapping = {} -%}
    {%- for value, mapped in defaults.items() -%}
        {%- do mapping.update({value: mapped}) -%}
    {%- endfor -%}
    {%- for value, mapped in (var(source_name ~ "_opportunity_type_map", {}) or {}).items() -%}
        {%- do mapping.update({value | lower | trim: mapped | lower}) -%}
    {%- endfor -%}
    case
        when {{ type_column }} is null or trim({{ type_column }}) = ''
            then '{{ var("adapter_default_opportunity_type", "new_business") }}'
        {%- for value, mapped in mapping.items() %}
        when lower(trim({{ type_column }})) = '{{ value | replace("'", "''") }}' then '{{ mapped }}'
        {%- endfor %}
        else lower(trim({{ type_column }}))
    end
{%- endmacro %}
