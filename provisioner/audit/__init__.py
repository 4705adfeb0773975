"""The pre-approval audit report (`azprov audit`): model, and Markdown/HTML/JSON renderers."""

from provisioner.audit.html_page import render_html
from provisioner.audit.images import (
    ImageChange,
    ImageRef,
    ImageStatus,
    RunningImage,
    addresses_by_id,
    images_in,
    images_in_bodies,
    images_in_plan,
    images_in_state,
    same_build,
    split_image,
)
from provisioner.audit.json_doc import render_json, report_dict
from provisioner.audit.markdown import GITHUB_SUMMARY_LIMIT, render_markdown
from provisioner.audit.report import (
    AuditReport,
    ChangeItem,
    Comparison,
    ComparisonResult,
    ComparisonRow,
    DriftFate,
    DriftItem,
    build_report,
    compare_images,
    drift_items,
)
from provisioner.audit.sarif import render_sarif
from provisioner.audit.terminal import render_terminal

__all__ = [
    "GITHUB_SUMMARY_LIMIT",
    "AuditReport",
    "ChangeItem",
    "Comparison",
    "ComparisonResult",
    "ComparisonRow",
    "DriftFate",
    "DriftItem",
    "ImageChange",
    "ImageRef",
    "ImageStatus",
    "RunningImage",
    "addresses_by_id",
    "build_report",
    "compare_images",
    "drift_items",
    "images_in",
    "images_in_bodies",
    "images_in_plan",
    "images_in_state",
    "render_html",
    "render_json",
    "render_markdown",
    "render_sarif",
    "render_terminal",
    "report_dict",
    "same_build",
    "split_image",
]
