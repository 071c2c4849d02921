"""The project's own dbt-score rules: layers, names and access by folder.

dbt-score (pinned in requirements.txt) finds this package by its default rule
namespace; the rules' settings live in pyproject.toml ([tool.dbt-score]).
`make lint-dbt` runs them on the manifest of `dbt parse`
(docs/architecture.md, "Layers").
"""
