"""A deterministic synthetic criminal ecosystem, written as the CSV tables of :mod:`loaders.csv_tables`."""
