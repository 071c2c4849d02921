{#- The logical type (text, timestamp, date, decimal, integer, float, boolean) of a warehouse type name, else 'other'. -#}
{% macro type_family(dtype) %}
    {%- set name = (dtype or "") | lower | trim -%}
    {%- set base = name.split("(")[0] | trim -%}
    {%- if base in ("boolean", "bool") -%}{{ return("boolean") }}
    {%- elif base == "date" -%}{{ return("date") }}
    {%- elif base.startswith("timestamp") or base == "datetime" -%}{{ return("timestamp") }}
    {%- elif base in ("tinyint", "smallint", "integer", "int", "bigint", "hugeint", "int2", "int4", "int8",
                     "utinyint", "usmallint", "uinteger", "ubigint", "uhugeint", "byte", "short", "long") -%}{{ return("integer") }}
    {%- elif base in ("decimal", "numeric", "dec") -%}{{ return("decimal") }}
    {%- elif base in ("double", "float", "real", "float4", "float8", "double precision") -%}{{ return("float") }}
    {%- elif base in ("varchar", "text", "string", "char", "character varying", "character", "bpchar") -%}{{ return("text") }}
    {%- else -%}{{ return("other") }}
    {%- endif -%}
{% endmacro %}
