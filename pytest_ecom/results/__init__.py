"""Trial records → numbers and verdicts: the record type, pass^k, bootstrap intervals, the summary,
the persona ablation, gates, comparison with a baseline, merging shards, the JSON-lines log and
resume. Pure: no pytest, no model calls."""
