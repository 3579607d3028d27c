"""`honk eval`: the real agent scored on a suite of repository tasks, with hidden tests.

Suites (built-in or SWE-bench JSONL), one task run (the task's repository, the production
prompts, sandbox and test-driven session, then the hidden tests), the oracle model that
applies each task's reference fix, the report (Markdown table, report.json), compare and
progress. May import: core, workspace, sandbox, agent, flows, metrics.
"""
