"""Reports built from trial records on the controller: terminal summary and JSON."""
