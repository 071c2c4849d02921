{#- The raw-data directory (DuckDB): var raw_dir, else env SALES_KPIS_RAW_DIR, else data/raw. -#}
{% macro raw_dir() %}
    {%- set configured = var("raw_dir", none) or env_var("SALES_KPIS_RAW_DIR", "data/raw") -%}
    {{- return(configured.rstrip("/")) -}}
{% endmacro %}
