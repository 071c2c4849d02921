{#-
    Structural checks of the adapters' source tables (part of
    check_raw_tables): every required table of every connection exists and
    has the columns the build cannot do without. Returns the problems as a
    list of sentences. Optional tables that feed a KPI family are reported
    in the log when absent.
-#}
{% macro adapter_table_problems() %}
    {%- set problems = [] -%}
    {%- for connection in crm_connections() -%}
        {%- for table, spec in adapter_tables(connection.source).items() -%}
            {%- set relation = adapter_relation(connection, table) -%}
            {%- set label = connection.source ~ " table '" ~ adapter_identifier(connection.source, table) ~ "'"
                ~ (" (connection " ~ connection.source_relation ~ ")" if crm_connections() | length > 1 else "") -%}
            {%- if relation is none -%}
                {%- if spec.required -%}
                    {%- do problems.append(label ~ " is missing (expected " ~ adapter_location(connection, table) ~ ")") -%}
                {%- elif table in ["opportunity_history", "deal_stage"] -%}
                    {%- do log("warning: " ~ label ~ " is absent: every opportunity is taken as having entered its current stage at creation", info=true) -%}
                {%- endif -%}
            {%- else -%}
                {%- set present = [] -%}
                {%- for column in adapter.get_columns_in_relation(relation) -%}
                    {%- do present.append(adapter_normalise(column.name)) -%}
                {%- endfor -%}
                {%- set missing = [] -%}
                {%- for column in spec.columns if adapter_normalise(column) not in present -%}
                    {%- do missing.append(column) -%}
                {%- endfor -%}
                {%- if table == "opportunity_history" and "opportunityid" not in present and "fivetranstart" not in present -%}
                    {%- do missing.append("opportunity_id (OpportunityHistory object) or _fivetran_start (history mode)") -%}
                {%- endif -%}
                {%- if missing -%}
                    {%- do problems.append(label ~ " lacks column(s) " ~ missing | join(", ")) -%}
                {%- endif -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {{- return(problems) -}}
{% endmacro %}
