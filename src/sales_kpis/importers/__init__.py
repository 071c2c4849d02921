"""Importers: public datasets and CRM exports mapped onto the raw-data contract."""
