"""`change-missing`: the watched categories (migrations, API documents, settings, pins)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ozrelease.changelog.globs import Globs
from ozrelease.changelog.grouping import Change
from ozrelease.changelog.schema import CHECK_RULES
from ozrelease.checks.api_spec import SpecCheck
from ozrelease.checks.context import Context, RangeCommit, Stage, by_change, no_stage, show_issue
from ozrelease.checks.dependencies import check_dependencies, pin_changes
from ozrelease.checks.files import FileVersions, Watched, commit_files, range_files
from ozrelease.checks.image import check_image, image_changes, is_dockerfile
from ozrelease.checks.issues import change_covered, headline
from ozrelease.checks.migrations import Migrations, naming_block
from ozrelease.checks.report import Finding
from ozrelease.checks.settings import check_settings, variable_changes

_NAME_BASED = ("settings", "dependencies")


def check_categories(
    commits: Sequence[RangeCommit],
    changes: Sequence[Change],
    context: Context,
    since: str | None,
    tip: str,
    stage: Stage = no_stage,
) -> None:
    check = context.config.check
    matchers = {name: Globs(globs) for name, globs in check.categories.items() if globs}
    internal = Globs((*context.config.changelog.internal_paths, *check.internal_paths))
    watched: dict[str, Watched] = {name: Watched() for name in matchers}
    # Migrations releases shipped, edited in place: no schema change for an upgraded install.
    new_code = {path for c in commits for path, _ in c.created}
    edited: dict[int, list[tuple[str, str]]] = {}  # change -> (sha, path)
    for commit in commits:
        if commit.is_merge:
            continue
        for path in commit.paths:
            tooling = internal(path)
            for name, matches in matchers.items():
                # (Pins are read by name even in a tooling file: setup.cfg's install_requires.)
                if (tooling and name != "dependencies") or not matches(path):
                    continue
                entry = watched[name]
                entry.files.add(path)
                entry.commits.setdefault(path, set()).add(commit.sha)
                if commit.internal is not None:
                    continue
                if (
                    name == "migration"
                    and path in commit.modified
                    and path not in new_code
                    and context.on("edited-migrations")
                ):
                    edited.setdefault(commit.change, []).append((commit.sha, path))
                    continue
                entry.hits.setdefault(commit.change, []).append((commit, path))
    diffed = sorted(
        {p for name in ("api-spec", *_NAME_BASED) if name in watched for p in watched[name].files}
    )
    versions: FileVersions = {}
    settings = watched.get("settings")
    pins = watched.get("dependencies")
    spec = None
    attributed: dict[str, dict[str, set[str]]] = {"settings": {}, "dependencies": {}, "image": {}}
    if diffed:
        stage(f"Reading {len(diffed)} watched files over the range")
        versions = range_files(context.history, since, tip, diffed)
        changed = [p for p in diffed if p in versions]
        if "api-spec" in watched:
            stage("Comparing API documents")
            spec = SpecCheck(versions, watched["api-spec"], stage)
        if changed:
            label = f"Checking the commits that changed {len(changed)} watched files"
            wanted = set(changed)
            total = sum(1 for c in commits if not c.is_merge and any(p in wanted for p in c.paths))
            stage(label)
            # One streamed pass: each commit's versions are read, used and dropped.
            for done, (sha, files) in enumerate(commit_files(context.history, since, tip, changed)):
                stage(label, min(done, total), total, "commits")
                if spec is not None:
                    spec.feed(sha, files)
                if settings is not None:
                    mine = [p for p in files if p in settings.files]
                    for item in variable_changes(files, mine):
                        attributed["settings"].setdefault(item, set()).add(sha)
                if pins is not None:
                    mine = [p for p in files if p in pins.files]
                    for item in pin_changes(files, mine):
                        attributed["dependencies"].setdefault(item, set()).add(sha)
                    for item in image_changes(files, {p for p in mine if is_dockerfile(p)}):
                        attributed["image"].setdefault(item, set()).add(sha)
    migrations = watched.get("migration")
    schema = Migrations({})
    if migrations is not None and migrations.hits:
        stage("Reading the range's migrations")
        hit = sorted({path for hits in migrations.hits.values() for _, path in hits})
        schema = Migrations(range_files(context.history, since, tip, hit))
    for change, edits in edited.items():
        if migrations is not None and change not in migrations.hits:
            paths = sorted({path for _, path in edits})
            context.suppress(
                "edited-migrations",
                f"migration {', '.join(paths[:3])}{' ...' if len(paths) > 3 else ''}",
                CHECK_RULES["edited-migrations"],
                list(dict.fromkeys(sha for sha, _ in edits)),
            )
    members = by_change(commits)
    order = {c.sha: i for i, c in enumerate(commits)}
    spec_commits = spec.finish(changes, context, order) if spec is not None else set()
    for name, entry in watched.items():
        stage(f"Checking {name}")
        if name == "settings":
            check_settings(versions, attributed["settings"], entry, context, order, since, tip)
        elif name == "dependencies":
            check_dependencies(
                versions,
                attributed["dependencies"],
                entry,
                context,
                order,
                first=since is None,
                settings=settings.files if settings is not None else (),
            )
            check_image(versions, attributed["image"], entry, context, order)
        else:
            for done, (change_index, hits) in enumerate(entry.hits.items()):
                stage(f"Checking {name}", done, len(entry.hits), "changes")
                if (
                    name == "api-spec"
                    and context.on("spec-descriptions")
                    and not any(c.sha in spec_commits for c, _ in hits)
                ):
                    paths = sorted({p for _, p in hits})
                    context.suppress(
                        "spec-descriptions",
                        f"api-spec {', '.join(paths)}",
                        CHECK_RULES["spec-descriptions"],
                        [c.sha for c, _ in reversed(hits)],
                    )
                    continue
                _change_category(name, change_index, hits, changes, members, context, schema)


def _change_category(
    category: str,
    change_index: int,
    hits: Sequence[tuple[RangeCommit, str]],
    changes: Sequence[Change],
    members: Mapping[int, Sequence[RangeCommit]],
    context: Context,
    schema: Migrations,
) -> None:
    """A change touching a watched category (a migration, an API document) must be
    documented: one of its issues in the section, or what the rules accept instead."""
    paths = tuple(dict.fromkeys(path for _, path in reversed(hits)))
    shas = tuple(dict.fromkeys(c.sha for c, _ in reversed(hits)))
    change = changes[change_index] if 0 <= change_index < len(changes) else None
    issues = tuple(
        dict.fromkeys(
            (
                *(change.issues if change is not None else ()),
                *(i for c in members.get(change_index, ()) for i in c.ids),
            )
        )
    )
    subject = f"{category} {', '.join(paths[:3])}{' ...' if len(paths) > 3 else ''}"
    if any(context.section.has(issue) for issue in issues):
        return
    for issue in issues:
        index = context.issue_findings.get(issue)
        if index is not None:
            old = context.findings[index]
            note = f" (it touches {category}: {', '.join(paths[:3])})"
            context.findings[index] = Finding(
                old.kind,
                old.issue,
                old.commits,
                tuple(dict.fromkeys((*old.paths, *paths))),
                old.category,
                old.message if note in old.message else old.message + note,
                old.names,
            )
            return
    for suppressed in context.suppressed:
        if any(suppressed.subject == show_issue(i) for i in issues):
            context.suppress(suppressed.rule, subject, suppressed.reason, shas)
            return
    public = [c for c in members.get(change_index, ()) if not c.is_merge and c.internal is None]
    covered = change_covered(public or [c for c, _ in hits], members, context)
    if covered is not None:
        context.suppress(covered[0], subject, covered[1], shas)
        return
    if category == "migration" and _migration_covered(paths, shas, subject, context, schema):
        return
    first = hits[-1][0]
    what = {
        "migration": "adds or changes a database migration",
        "api-spec": "changes the API document",
    }.get(category, f"touches {category}")
    context.findings.append(
        Finding(
            kind="change-missing",
            issue=None,
            commits=shas,
            paths=paths,
            category=category,
            message=f"{first.sha[:10]} {what} ({', '.join(paths[:3])}) and the section does "
            f"not document its change: {headline(public or [first], members)}",
        )
    )


def _migration_covered(
    paths: Sequence[str],
    shas: Sequence[str],
    subject: str,
    context: Context,
    schema: Migrations,
) -> bool:
    """Migrations that need no entry of their own: they change only models other new
    migrations create, or the section names the model and field they change."""
    if context.on("migrations-of-new-models") and schema.on_new_models(paths):
        context.suppress(
            "migrations-of-new-models", subject, CHECK_RULES["migrations-of-new-models"], shas
        )
        return True
    if context.on("migration-names"):
        block = naming_block((b for b, _ in context.section.blocks), schema.of(paths))
        if block is not None:
            said = " ".join(block.split())[:80]
            reason = f"{CHECK_RULES['migration-names']} ({said})"
            context.suppress("migration-names", subject, reason, shas)
            return True
    return False
