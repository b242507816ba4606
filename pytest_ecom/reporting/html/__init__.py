"""The HTML report (``--ecom-html``): one self-contained file a person reads when a run says no.

Built from the JSON report's dict (:func:`~pytest_ecom.results.report.build_report`), so
a run and a merge of shard reports give the same page. Inline CSS, a small vanilla script and
an SVG drawn here: it opens from disk or a CI artifact with no network at all.

The page (:mod:`.page`) stacks the views: :mod:`.overview` (header, gates, pass^k curve,
dimensions), :mod:`.breakdowns`, :mod:`.costs` (slowest and most expensive) and :mod:`.trials`
(every trial, its conversation and store diff), built from the helpers in :mod:`.format`; its
stylesheet and script are the package files ``report.css`` and ``report.js``.
"""

from pytest_ecom.reporting.html.breakdowns import group_rows
from pytest_ecom.reporting.html.format import trial_anchor
from pytest_ecom.reporting.html.overview import dimension_rates, pass_curve_svg
from pytest_ecom.reporting.html.page import render_html, write_html

__all__ = ["dimension_rates", "group_rows", "pass_curve_svg", "render_html", "trial_anchor", "write_html"]
