"""YAML → a checked, runnable unit: a task (store, tools, golden calls, expected state), a sample,
a persona-grid variant; and the cache of checked specs that lets collection skip unchanged files."""
