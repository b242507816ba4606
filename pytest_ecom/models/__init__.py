"""Every model call: litellm behind one module (``llm``, imported lazily), the per-trial meter of
tokens and cost, record/replay cassettes, the vision model and the run's spending budget."""
