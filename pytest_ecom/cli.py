"""The ``pytest-ecom`` command: check task files, print the schemas, show a store's tools and data,
serve them over MCP, import a published benchmark's data, merge and compare reports, score a logged
run again."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pytest_ecom.spec import TASK_SUFFIX, SpecError
from pytest_ecom.spec.samples import SAMPLE_SUFFIX

if TYPE_CHECKING:
    from pytest_ecom.domains import Domain


def cmd_validate(args: argparse.Namespace) -> int:
    from pytest_ecom.prepare.sample import load_prepared_sample
    from pytest_ecom.prepare.task import load_prepared
    from pytest_ecom.spec.task_files import TaskIds, expand, find_root, misspelt_suffix

    try:
        files = expand(args.paths)
    except FileNotFoundError as exc:
        print(f"error: no such file or directory: {exc}", file=sys.stderr)
        return 2
    if not files:
        print(f"error: no *{TASK_SUFFIX} or *{SAMPLE_SUFFIX} files found in {' '.join(args.paths)}",
              file=sys.stderr)
        return 2
    ids = TaskIds(find_root(files), shown_from=Path.cwd())  # ids are unique across the project, as in pytest
    bad = 0
    for path in files:
        try:
            problem = misspelt_suffix(path)
            if problem is not None:
                raise problem
            prepared = (load_prepared_sample if path.name.endswith(SAMPLE_SUFFIX) else load_prepared)(path)
            ids.claim(prepared.id, prepared.path)
        except SpecError as exc:
            bad += 1
            print(exc.format(Path.cwd()), file=sys.stderr)
    samples = sum(path.name.endswith(SAMPLE_SUFFIX) for path in files)
    kinds = "task and sample file(s)" if samples else "task file(s)"
    print(f"{len(files) - bad} of {len(files)} {kinds} valid")
    return 1 if bad else 0


def cmd_schema(args: argparse.Namespace) -> int:
    from pytest_ecom.spec.schema import SCHEMAS, render

    if args.http_agent:
        from pytest_ecom.agents.http_agent import http_agent_json_schema

        schema = http_agent_json_schema()
    elif args.report:
        from pytest_ecom.results.report import report_json_schema

        schema = report_json_schema()
    else:
        schema = SCHEMAS["persona" if args.persona else "sample" if args.sample else "task"]()
    sys.stdout.write(render(schema))
    return 0


def cmd_init(args: argparse.Namespace) -> int:
    from pytest_ecom.scaffold import project_scaffold
    from pytest_ecom.spec.schema import render, task_json_schema

    root = Path(args.dir)
    scaffold = project_scaffold(render(task_json_schema()))
    clash = scaffold.existing(root)
    if clash:
        print(f"pytest-ecom init: not writing anything, these files already exist in {root}: {', '.join(clash)}\n"
              "  move them away or run init in another folder (it never overwrites a file)", file=sys.stderr)
        return 1
    for path in scaffold.write(root):
        print(f"wrote {path}")
    print("next: pytest tasks/ --agent=oracle    (every example task passes, offline)\n"
          "then: pytest tasks/ --agent=my_agent --agent-model=openai/gpt-4o-mini --repeat=3")
    return 0


def _domain(name: str) -> Domain | None:
    """The store ``name`` as tasks here would see it, or None after printing why not."""
    from pytest_ecom.domains import load_domain

    try:
        return load_domain(name, Path.cwd())
    except (LookupError, SpecError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None


def cmd_tools(args: argparse.Namespace) -> int:
    from pytest_ecom.tools.describe import argument_lines, signature, summary

    domain = _domain(args.store)
    if domain is None:
        return 2
    if args.json:
        print(json.dumps(domain.tools.schemas(), indent=2, ensure_ascii=False))
        return 0
    today = f"today is {domain.today.isoformat()} (the tools and policy count from it)" if domain.today else \
        "no fixed today"
    print(f"store {domain.name}: {len(list(domain.tools))} tools; {today}")
    print("arguments: name: type — description; * marks a required one (--json: the definitions the agent gets)")
    for tool in domain.tools:
        print(f"\n{'writes' if tool.writes else 'reads '}  {signature(tool)}  {summary(tool)}")
        for line in argument_lines(tool):
            print(f"          {line}")
    return 0


def cmd_data(args: argparse.Namespace) -> int:
    from pytest_ecom.store.browse import find, matches, one_line, records

    domain = _domain(args.store)
    if domain is None:
        return 2
    tables = domain.base
    if args.table is not None and args.table not in tables:
        print(f"error: store {domain.name!r} has no table {args.table!r}; its tables: {', '.join(tables)}",
              file=sys.stderr)
        return 2
    if args.record is not None:
        try:
            record = find(tables[args.table], args.record)
        except KeyError:
            ids = [rid for rid, _ in records(tables[args.table])]
            print(f"error: table {args.table!r} has no record {args.record!r}; ids: {', '.join(ids[:20])}"
                  + (f" and {len(ids) - 20} more" if len(ids) > 20 else ""), file=sys.stderr)
            return 2
        print(json.dumps(record, indent=2, ensure_ascii=False))
        return 0
    grep = args.grep
    if args.table is None and grep is None:  # the tables and their sizes
        for name, table in tables.items():
            print(f"{name:<28} {sum(1 for _ in records(table))} record(s)")
        print(f"\n`pytest-ecom data {domain.name} TABLE` lists a table's records; --grep TEXT finds records")
        return 0
    found = 0
    for name in [args.table] if args.table is not None else list(tables):
        for rid, record in records(tables[name]):
            if grep is None or matches(rid, record, grep):
                found += 1
                print(f"{name}/{rid}  {one_line(record)}" if args.table is None else f"{rid}  {one_line(record)}")
    if not found:
        print(f"no record matches {grep!r}" if grep is not None else f"table {args.table!r} is empty",
              file=sys.stderr)
        return 1
    return 0


def cmd_mcp_server(args: argparse.Namespace) -> int:
    from pytest_ecom.domains import load_domain

    try:
        if args.task:
            from pytest_ecom.prepare.task import load_prepared

            prepared = load_prepared(Path(args.task))
            if prepared.task.store != args.store:
                print(f"error: {args.task} is a task of store {prepared.task.store!r}, not {args.store!r}",
                      file=sys.stderr)
                return 2
            tools, store = prepared.domain.tools, prepared.new_store()
        else:
            domain = load_domain(args.store, Path.cwd())
            tools, store = domain.tools, domain.new_store()
    except (LookupError, SpecError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        from pytest_ecom.serving.stdio import serve_stdio
    except ImportError:
        print("error: serving over MCP needs the mcp SDK: pip install 'pytest-ecom[mcp]'", file=sys.stderr)
        return 2
    serve_stdio(tools, store)
    return 0


def _run_import(module_name: str, function: str, source: str, out: str) -> int:
    """Run an importer: its summary on success; every problem and exit 2 (nothing written) on bad input."""
    import importlib

    from pytest_ecom.importers import BadInput

    module = importlib.import_module(f"pytest_ecom.importers.{module_name}")
    try:
        result = getattr(module, function)(Path(source), Path(out))
    except BadInput as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        print("nothing written", file=sys.stderr)
        return 2
    print(module.summary(result))
    return 0


def cmd_import_ecomstage(args: argparse.Namespace) -> int:
    return _run_import("ecomstage", "import_ecomstage", args.file, args.out)


def cmd_import_ecom_bench(args: argparse.Namespace) -> int:
    return _run_import("ecom_bench", "import_ecom_bench", args.folder, args.out)


def _add_import(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "import", help="convert a published benchmark's data into *.sample.yaml / *.task.yaml files",
        description="Convert a published benchmark's data file into our YAML files: pytest-ecom import <benchmark> ...",
    )
    benchmarks = p.add_subparsers(dest="benchmark", required=True, metavar="<benchmark>")
    e = benchmarks.add_parser(
        "ecomstage", help="EComStage's JSON (stage-wise samples) → <DIR>/<task_type>/<id>.sample.yaml",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Convert EComStage's JSON (an array of {id, task_type, system, conversations, gt_answer})\n"
            "into one <DIR>/<task_type>/ecomstage_<id>.sample.yaml per entry, texts copied exactly.\n\n"
            "Options are read whether they share a line or not (A. / A、 / A: / (A), full-width too).\n"
            "Unsound samples (one option only, an answer not offered or already stated in the prompt)\n"
            "are kept with `malformed: <reason>`; a run skips them. An option list that skips a letter\n"
            "is noted in the sample's source.notes and still runs.\n"
            "A missing field, an unknown task type or a conversation that is not one human turn then\n"
            "one gpt turn is an error (exit code 2) and nothing is written. Running it again gives\n"
            "the same bytes and never deletes other files in DIR."
        ),
    )
    e.add_argument("file", metavar="FILE", help="the EComStage JSON file")
    e.add_argument("--out", required=True, metavar="DIR", help="folder to write the samples into (created if needed)")
    e.set_defaults(func=cmd_import_ecomstage)
    b = benchmarks.add_parser(
        "ecom-bench", help="ECom-Bench's folder (end-to-end tasks) → <DIR>/<NNN>_<scenario>.task.yaml",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Convert ECom-Bench's folder (tasks.json, tools.json, data/) into one\n"
            "<DIR>/<NNN>_<scenario>.task.yaml per task (id ecombench_<NNN>, store ecom_bench,\n"
            "persona ecom_bench_customer), Chinese text kept as is.\n\n"
            "The instruction's persona sections become customer.overrides, its intents the goal\n"
            "(verbatim) and the offline script (one message each); golden actions get the served\n"
            "tool names (manage_order -> manage_order_tool); searches and outputs are copied;\n"
            "a task without golden actions that requires a cashback or exchange query (a\n"
            "refused request) forbids the claims that it was done (expect.forbidden).\n"
            "A missing file or field, invalid JSON or a call to a tool tools.json does not serve\n"
            "is an error naming the task and field (exit code 2) and nothing is written. Running\n"
            "it again gives the same bytes and never deletes other files in DIR."
        ),
    )
    b.add_argument("folder", metavar="FOLDER", help="ECom-Bench's folder (tasks.json, tools.json, data/)")
    b.add_argument("--out", required=True, metavar="DIR", help="folder to write the tasks into (created if needed)")
    b.set_defaults(func=cmd_import_ecom_bench)


def cmd_merge(args: argparse.Namespace) -> int:
    from pytest_ecom.results.gates import Gate, GateSyntaxError
    from pytest_ecom.reporting.json_report import write_report
    from pytest_ecom.results.merge import merge_reports
    from pytest_ecom.results.report import ReportError
    from pytest_ecom.reporting.terminal import summary_lines

    try:
        gates = [Gate.parse(text) for text in args.gate]
        merged, verdicts = merge_reports([Path(p) for p in args.reports], gates,
                                         args.max_errors if gates else None)
    except (GateSyntaxError, ReportError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    write_report(Path(args.out), merged)
    if args.html:
        from pytest_ecom.reporting.html import write_html

        write_html(Path(args.html), merged)
    for line in summary_lines(merged["summary"], merged["fingerprint"]["agent"]):
        print(line)
    for v in verdicts:
        print(f"gate {v.gate}: {'PASS' if v.passed else 'FAIL'} — {v.reason}")
    print(f"merged {len(args.reports)} report(s) into {args.out}" + (f" and {args.html}" if args.html else ""))
    return 0 if all(v.passed for v in verdicts) else 1


def cmd_compare(args: argparse.Namespace) -> int:
    from pytest_ecom.results.compare import common_k, compare_records, incomparable
    from pytest_ecom.results.report import ReportError, load_report
    from pytest_ecom.reporting.comparison import comparison_lines

    try:
        old, new = load_report(Path(args.old)), load_report(Path(args.new))
        problem = incomparable(old["fingerprint"]["options"], new["fingerprint"]["options"], old["trials"],
                               new["trials"])
        if problem:
            raise ReportError(f"{args.old} and {args.new} cannot be compared: {problem}")
    except ReportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    k = common_k(old["fingerprint"]["options"]["repeat"], new["fingerprint"]["options"]["repeat"])
    comparison = compare_records(old["trials"], new["trials"], k)
    for line in comparison_lines(comparison, (args.old, old), (args.new, new), args.all):
        print(line)
    return 0


def cmd_rescore(args: argparse.Namespace) -> int:
    from pytest_ecom.reporting.terminal import summary_lines
    from pytest_ecom.results.log import ResumeError, read_run
    from pytest_ecom.results.report import build_report, keep_transcripts
    from pytest_ecom.runner.rescore import rescore, rescore_lines

    tasks = Path(args.tasks)
    if not tasks.is_dir():
        print(f"error: --tasks: no such folder: {tasks}", file=sys.stderr)
        return 2
    try:
        run = read_run(Path(args.log))
    except ResumeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for problem in run.skipped:
        print(f"warning: {problem}", file=sys.stderr)
    result = rescore(run, tasks)
    agent = run.fingerprint.get("agent")
    options = dict(run.fingerprint.get("options") or {})
    options.setdefault("repeat", max((r["repeat"] for r in result.records), default=1))
    report = build_report(keep_transcripts(result.records, args.transcripts), agent, options["repeat"], options)
    for line in summary_lines(report["summary"], agent):
        print(line)
    for line in rescore_lines(result, Path(args.log)):
        print(line)
    if args.report:
        from pytest_ecom.reporting.json_report import write_report

        write_report(Path(args.report), report)
        print(f"JSON report: {args.report}")
    if args.html:
        from pytest_ecom.reporting.html import write_html

        write_html(Path(args.html), report)
        print(f"HTML report: {args.html}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pytest-ecom", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("validate", help="check task files without running them (exit 1 on problems)")
    p.add_argument("paths", nargs="+", help="task files or folders")
    p.set_defaults(func=cmd_validate)
    p = sub.add_parser("schema", help="print the JSON Schema of *.task.yaml (or of samples, personas, the JSON report)")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--sample", action="store_true", help="the schema of *.sample.yaml (stage-wise samples) instead")
    which.add_argument("--persona", action="store_true", help="the schema of personas/*.yaml instead")
    which.add_argument("--report", action="store_true",
                       help="the schema of the versioned JSON report (--ecom-report) and its trial records")
    which.add_argument("--http-agent", action="store_true",
                       help="the wire format of an HTTP agent (--agent=http://...): its request and reply")
    p.set_defaults(func=cmd_schema)
    p = sub.add_parser("init", help="scaffold a project: example tasks, a conftest.py agent, a CI workflow")
    p.add_argument("dir", nargs="?", default=".", help="the project folder (default: here)")
    p.set_defaults(func=cmd_init)
    p = sub.add_parser("tools", help="a store's tools: arguments with types, allowed values, required ones; "
                                     "the store's today")
    p.add_argument("store", help="e.g. home_appliances")
    p.add_argument("--json", action="store_true", help="print the OpenAI tool definitions the agent gets, as JSON")
    p.set_defaults(func=cmd_tools)
    p = sub.add_parser("data", help="browse a store's seed data: its tables, then a table's records and ids",
                       description="Browse a store's seed data (fixtures/<store>/store.json). With no TABLE: the "
                                   "tables and their sizes; with TABLE: each record's id and plain fields; with "
                                   "TABLE and ID: the record as JSON. --grep keeps records whose JSON contains TEXT "
                                   "(any case), in one table or all. Exit 1 when nothing matches, 2 for an unknown "
                                   "store, table or record.")
    p.add_argument("store", help="e.g. home_appliances")
    p.add_argument("table", nargs="?", help="a table, e.g. orders")
    p.add_argument("record", nargs="?", metavar="id", help="one record's id (nested stores: a path a/b/c)")
    p.add_argument("--grep", metavar="TEXT", help="only records containing TEXT")
    p.set_defaults(func=cmd_data)
    p = sub.add_parser(
        "mcp-server", help="serve a store's tools over MCP on stdin/stdout (for agents that spawn their own server)",
        description="Serve one store's tools over MCP (stdio transport) on a fresh store: the store's seed data, "
                    "or with --task the task's starting store. Writes persist until the process ends; nothing is "
                    "recorded or scored. Tool names, schemas, results and errors are the harness's own.")
    p.add_argument("store", help="e.g. home_appliances (looked up from the current folder, like `tools`)")
    p.add_argument("--task", default=None, metavar="FILE", help="start from this *.task.yaml's store")
    p.set_defaults(func=cmd_mcp_server)
    _add_import(sub)
    p = sub.add_parser("merge", help="merge shard reports (--ecom-shard) into one, optionally gating it")
    p.add_argument("reports", nargs="+", help="JSON reports written with --ecom-report")
    p.add_argument("--out", required=True, help="where to write the merged report")
    p.add_argument("--html", default=None, metavar="PATH", help="also write the merged run's HTML report here")
    p.add_argument("--gate", action="append", default=[], help="as --ecom-gate; exit 1 when one fails")
    p.add_argument("--max-errors", type=int, default=0, help="with gates: trial errors allowed (default 0)")
    p.set_defaults(func=cmd_merge)
    p = sub.add_parser(
        "compare", help="per-task changes between two reports, and the change of pass^k with its interval",
        description="Compare two JSON reports (--ecom-report) task by task: passed trials and pass^k before and "
                    "after, newly failing / newly passing tasks, and the change of pass^k over the shared tasks "
                    "with a 95%% paired bootstrap interval (k: the smaller repeat count of the two runs). "
                    "Exit 0 whatever changed; 2 when a report cannot be read or the runs cannot be compared.")
    p.add_argument("old", help="the report before (e.g. of the main branch)")
    p.add_argument("new", help="the report after")
    p.add_argument("--all", action="store_true", help="list every task, not only those whose pass^k moved")
    p.set_defaults(func=cmd_compare)
    p = sub.add_parser(
        "rescore", help="score the trials of an --ecom-log file again with today's task files and rules",
        description="Score every trial of the last run in an --ecom-log file again, from its logged trajectory, "
                    "with today's task files (found by id under --tasks) and today's rules; no agent, customer "
                    "or model is called. Prints the summary the run would print now, the trials whose outcome "
                    "changed and the tasks whose file changed since the run. Errors and records without a "
                    "trajectory keep their logged verdict. Exit 0; 2 when the log or the folder cannot be read.")
    p.add_argument("log", help="a JSON-lines log written with --ecom-log")
    p.add_argument("--tasks", default="tasks", metavar="DIR", help="folder of the task files (default: tasks)")
    p.add_argument("--report", default=None, metavar="PATH", help="also write the rescored run's JSON report")
    p.add_argument("--html", default=None, metavar="PATH", help="also write the rescored run's HTML report")
    p.add_argument("--transcripts", choices=("failed", "all"), default="failed",
                   help="as --ecom-transcripts: whose conversation the reports keep")
    p.set_defaults(func=cmd_rescore)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except BrokenPipeError:  # e.g. `pytest-ecom data STORE TABLE | head`: the reader has enough
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - Python flushes stdout again at exit
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
