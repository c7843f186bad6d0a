"""The ecosystem model: manifests in, frozen dataclasses out; compatibility and the graph."""
