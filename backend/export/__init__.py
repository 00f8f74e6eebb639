"""Findings leaving crimegraph: STIX 2.1, GEXF, GraphML and CSV files, and per-party takedown packages.

Every export reads the graph through :func:`queries.scope.scope_graph` with the requester's clearance,
so nothing above it can leave.
"""
