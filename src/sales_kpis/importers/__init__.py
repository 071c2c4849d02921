"""Importers: map public or vendor datasets onto the raw-data contract.

Each module exposes ``import_<name>(source_dir, out_dir) -> {table: rows}``
writing a raw-data directory the project builds from (``sales-kpis build
--raw-dir out_dir``).
"""
