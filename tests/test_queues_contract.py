"""The layers hold: ``webapp`` hands work to ``jobs`` only by job name, and never imports it."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
JOB_NAME = re.compile(r'"(jobs\.[a-z_]+\.[a-z_]+)"')


def test_every_job_name_handed_to_the_queues_is_a_job_function():
    names = set()
    for path in (ROOT / "webapp").rglob("*.py"):
        names |= set(JOB_NAME.findall(path.read_text()))
    assert "jobs.sending.send_batch" in names and "jobs.imports.run_import" in names
    for name in sorted(names):
        module, _, function = name.rpartition(".")
        assert callable(getattr(importlib.import_module(module), function, None)), name


def test_no_module_under_webapp_imports_jobs():
    offenders = []
    for path in (ROOT / "webapp").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                modules = [node.module or ""]
            elif isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            else:
                continue
            if any(m == "jobs" or m.startswith("jobs.") for m in modules):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


def test_services_are_grouped_by_domain():
    """Every module directly under webapp/services is a single-purpose helper used across
    domains; everything else lives in a domain package (docs/architecture.md)."""
    services = ROOT / "webapp" / "services"
    loose = sorted(p.stem for p in services.glob("*.py") if p.stem != "__init__")
    assert loose == [
        "addresses",
        "audit",
        "crypto",
        "csv_export",
        "demo",
        "devinbox",
        "egress",
        "events",
        "json_body",
        "languages",
        "links",
        "metrics",
        "queues",
        "ratelimit",
        "scheduling",
        "tokens",
    ]
    documented = (ROOT / "docs" / "architecture.md").read_text()
    packages = sorted(p.name for p in services.iterdir() if p.is_dir() and p.name[0] != "_")
    for package in packages:
        assert (services / package / "__init__.py").exists(), package
        assert f"`{package}/`" in documented, package
