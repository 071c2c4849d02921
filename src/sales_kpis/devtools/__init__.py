"""Development tools: what the project's maintainers run to measure it, not
what a build, an export or a report needs. The runtime modules of
``sales_kpis`` never import from here (tests/test_package_layout.py).

- :mod:`sales_kpis.devtools.bench`: the benchmark behind `sales-kpis bench`.
"""
