"""crimegraph's vocabulary (schema, entities, provenance) and where it is stored."""

from graph_model.entities import Edge, Node, make_node, merge_edges, merge_nodes, validate_edge, validate_node
from graph_model.errors import CrimegraphError, NotFound, SchemaError, StoreError, ValidationError
from graph_model.model import Model, default_model, load_model
from graph_model.provenance import TLP, Provenance, merge_provenance

__all__ = [
    "TLP",
    "CrimegraphError",
    "Edge",
    "Model",
    "Node",
    "NotFound",
    "Provenance",
    "SchemaError",
    "StoreError",
    "ValidationError",
    "default_model",
    "load_model",
    "make_node",
    "merge_edges",
    "merge_nodes",
    "merge_provenance",
    "validate_edge",
    "validate_node",
]
