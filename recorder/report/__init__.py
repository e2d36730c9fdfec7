"""Rendering findings for people and machines: text, JSON, JUnit, Markdown, HTML."""
from recorder.report.model import Finding, Report, Summary
from recorder.report.render import FORMATS, render, write_report

__all__ = ["FORMATS", "Finding", "Report", "Summary", "render", "write_report"]
