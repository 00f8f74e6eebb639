"""The ``crimegraph`` commands of each area, one module each, registered on :data:`backend.console.app`."""
