"""sales-kpis: sales KPIs from raw CRM data."""

__version__ = "0.1.0"
