"""The recording node: drivers to storage, events, and (later) its HTTP API."""
