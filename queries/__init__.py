"""Link analysis and disruption scoring: pure functions of networkx graphs fetched from a store."""
