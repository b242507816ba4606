"""Serving a store's tools to agents that call them themselves: over MCP (streamable HTTP on
127.0.0.1, one path per trial, or stdio for ``pytest-ecom mcp-server``).

Importing this package imports the ``mcp`` SDK (the ``mcp`` extra); the runner imports it only
when a trial uses MCP, so a run without MCP never does.
"""
