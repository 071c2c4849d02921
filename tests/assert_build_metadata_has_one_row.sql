{#-
    build_metadata has exactly one row: exports stamp every file from it
    (sales_kpis.export.read_stamp reads the first row), so a second row
    (a join that fans out) or none (a filter) would stamp files with an
    arbitrary build, or fail the export. Returns the row count when it is
    not 1.
-#}
select count(*) as build_metadata_rows
from {{ ref('build_metadata') }}
having count(*) <> 1
