"""Starter projects for ``northstar init --template NAME``.

A template is a commented ``northstar.yml`` kept as package data in
``northstar/templates/<name>/northstar.yml`` plus a sample data set generated for it by
:mod:`northstar.scaffold.template_data`. :func:`init_project` writes both into a directory,
atomically: everything is first written into a temporary directory beside the target and only
then moved in, so a failure never leaves a half-written project behind.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from northstar.errors import UserError
from northstar.scaffold.template_data import generate, write_tables
from northstar.spec.suggest import did_you_mean

PROJECT_FILE = "northstar.yml"
IGNORED_ENTRIES = frozenset({".git"})
"""Entries that do not make a target directory "non-empty" (``git init`` first is fine)."""


@dataclass(frozen=True)
class TemplateInfo:
    """What ``northstar init --list`` shows for one template."""

    name: str
    label_en: str
    label_zh: str
    description: str
    north_star: str

    def label(self, lang: str = "en") -> str:
        return self.label_zh if lang == "zh" else self.label_en


TEMPLATES: dict[str, TemplateInfo] = {
    info.name: info
    for info in (
        TemplateInfo(
            "ecommerce",
            "E-commerce",
            "电商",
            "Online shop: 30-day repurchase rate, add-to-cart conversion, return rate, revenue and AOV.",
            "repurchase_30d",
        ),
        TemplateInfo(
            "saas-support",
            "SaaS customer support",
            "SaaS 客服",
            "Help desk: first-contact resolution, resolution time (median, p90), CSAT and ticket volume.",
            "first_contact_resolution",
        ),
        TemplateInfo(
            "education",
            "Education lead generation",
            "教育获客",
            "Course sales: cost per lead, qualified leads, lead-to-deal conversion and sales-cycle length.",
            "lead_to_deal_conversion",
        ),
        TemplateInfo(
            "content",
            "Content platform",
            "内容平台",
            "Videos and articles: completion at 3/15/30 seconds, scroll depth and plays.",
            "scroll_depth",
        ),
        TemplateInfo(
            "delivery",
            "On-demand delivery",
            "即时配送",
            "Deliveries: minutes ahead of the promised time, on-time share and delivery time.",
            "minutes_ahead",
        ),
    )
}


def template_text(template: str) -> str:
    """The commented ``northstar.yml`` of ``template``, as shipped in the package."""
    _check_name(template)
    ref = resources.files("northstar").joinpath("templates", template, PROJECT_FILE)
    return ref.read_text(encoding="utf-8")


def init_project(target: Path, template: str, *, seed: int = 1, overwrite: bool = False) -> list[Path]:
    """Write the starter project ``template`` into ``target``; returns the files written.

    ``target`` must not exist or be an empty directory (a lone ``.git`` is allowed); with
    ``overwrite`` the template's files replace existing ones of the same name and every other
    file is left alone. ``seed`` makes the sample data reproducible.
    """
    _check_name(template)
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise UserError(f"cannot create a project in {target}: it is a file, not a directory")
    if target.is_dir() and not overwrite:
        existing = sorted(p.name for p in target.iterdir() if p.name not in IGNORED_ENTRIES)
        if existing:
            shown = ", ".join(existing[:5]) + (" …" if len(existing) > 5 else "")
            raise UserError(
                f"{target} is not empty ({shown}): choose a new or empty directory, "
                "or allow overwriting the template's files there (northstar init --force)"
            )
    text = template_text(template)
    tables = generate(template, seed)

    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.northstar-init-", dir=target.parent))
    try:
        staging.chmod(0o755)  # mkdtemp makes it private; a project folder is shared with the team
        (staging / PROJECT_FILE).write_text(text, encoding="utf-8", newline="\n")
        relative = [Path(PROJECT_FILE)] + [p.relative_to(staging) for p in write_tables(tables, staging)]
        if not target.exists():
            os.replace(staging, target)
        else:
            for rel in relative:
                dest = target / rel
                if dest.is_dir():
                    raise UserError(f"cannot write {dest}: a directory of that name is in the way")
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.replace(staging / rel, dest)
    finally:
        if staging.exists():
            with contextlib.suppress(OSError):
                shutil.rmtree(staging)
    return [target / rel for rel in relative]


def _check_name(template: str) -> None:
    if template not in TEMPLATES:
        hint = did_you_mean(template, TEMPLATES)
        raise UserError(f"unknown template {template!r}{hint}: choose one of {', '.join(TEMPLATES)}")
