"""Disruption: which few takedowns hurt an ecosystem most, what they cost, and what is left afterwards.

Every question is answered twice: a pure function of an undirected simple networkx graph (what the
benchmark and the tests call on plain networks), and a store-level function taking ``store,
clearance, scope`` that reads the graph through the caller's clearance
(:func:`queries.disruption.graph.disruption_graph`) and returns a :class:`queries.results.Plan` or a
list of :class:`queries.results.Target`.
"""
