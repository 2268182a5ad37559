"""A connector's declared offsets request (reset, or set positions), applied once per token."""
