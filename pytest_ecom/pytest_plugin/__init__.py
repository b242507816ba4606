"""The pytest adapter: the only package of pytest-ecom that imports pytest.

Hooks (plugin), options, collection of task and sample files, the trial item, its failure text,
the run's state, xdist integration, the progress line and the hooks pytest-ecom adds. Everything
here is a thin view over the pure core: a trial item asks ``runner.run_trial`` for a record.
"""
