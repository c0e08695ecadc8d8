"""Back up the whole site to a folder, and restore it into an empty instance.

A backup does not depend on the database engine: every row is written as JSON Lines (Django
serialization, one file a model, streamed in chunks so memory stays flat), every stored file
is copied out through the default storage (local disk or S3), and ``manifest.json`` records
the SHA-256 of each part, the row counts and the migration state. Restore checks all of it
before it changes anything, then loads the rows and writes the files back, all or nothing.

Folder layout::

    manifest.json               format, version, created_at, migrations, data, files
    data/<app>.<model>.jsonl    one serialized row a line, by primary key
    files.jsonl                 one stored file a line: name, size, sha256
    files/<storage name>        the stored files' bytes
"""

import hashlib
import json
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, time
from pathlib import Path, PurePosixPath

import django
from django.apps import apps
from django.core import serializers
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.management.color import no_style
from django.core.serializers.base import DeserializationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.serializers.jsonl import Serializer as JSONLinesSerializer
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, models, transaction
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from tracker.reports.summaries import forget_every_summary

FORMAT = "coursework-tracker-backup"
VERSION = 1
MANIFEST = "manifest.json"
FILE_INDEX = "files.jsonl"
READ_ROWS = 2000
INSERT_ROWS = 1000
COPY_BYTES = 1024 * 1024

# Left out: sign-in sessions, sign-in throttling logs and the background task queue are
# short-lived; content types and permissions are made by migrate on every instance; the
# centre dashboard's summaries are worked out again from the rows after a restore.
SKIPPED_APPS = {"sessions", "axes", "django_tasks_db", "contenttypes"}
SKIPPED_MODELS = {
    "auth.permission",
    "tracker.enrolmentsummary",
    "tracker.groupsummary",
    "tracker.summarymarker",
}
# Each instance numbers these itself, so rows refer to them by natural key, not by id.
BY_NATURAL_KEY = {"contenttypes.contenttype", "auth.permission"}
# The unit catalogue (load_specs) is replaced by the backup's, so the ids rows use match.
CATALOGUE_APPS = {"criteria"}


class BackupError(Exception):
    """The backup or restore cannot go ahead; the message says why."""


@dataclass
class Summary:
    rows: dict[str, int]
    files: int
    bytes: int

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def backed_up_models() -> list[type[models.Model]]:
    """Return the models a backup holds, each after the models its foreign keys point to."""
    remaining = [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed
        and not model._meta.proxy
        and model._meta.app_label not in SKIPPED_APPS
        and model._meta.label_lower not in SKIPPED_MODELS
    ]
    ordered = []
    while remaining:
        waiting = set(remaining)
        ready = [model for model in remaining if not (_targets(model) & waiting)]
        # A cycle would only affect the order: constraints are checked after the load.
        ordered.extend(ready or remaining[:1])
        remaining = [model for model in remaining if model not in ordered]
    return ordered


def _targets(model: type[models.Model]) -> set[type[models.Model]]:
    return {
        field.related_model
        for field in model._meta.local_fields
        if field.is_relation and field.related_model is not model
    }


def migration_state(using: str = DEFAULT_DB_ALIAS) -> dict[str, str]:
    """Return the latest applied migration of each app in the database."""
    loader = MigrationLoader(connections[using])
    applied = {key for key in loader.applied_migrations if key in loader.graph.node_map}
    latest: dict[str, list[str]] = {}
    for app_label, name in sorted(applied):
        children = loader.graph.node_map[app_label, name].children
        if not any(child.key in applied and child.key[0] == app_label for child in children):
            latest.setdefault(app_label, []).append(name)
    return {app_label: ", ".join(names) for app_label, names in latest.items()}


class _ExactJSONEncoder(DjangoJSONEncoder):
    """Keep the microseconds DjangoJSONEncoder drops, so times come back exactly."""

    def default(self, o):
        if isinstance(o, datetime | time):
            return o.isoformat()
        return super().default(o)


class _RowSerializer(JSONLinesSerializer):
    """Write JSON Lines, one write a row; content types and permissions by natural key."""

    def start_serialization(self):
        super().start_serialization()
        self.rows = 0

    def handle_fk_field(self, obj, field):
        if field.related_model._meta.label_lower in BY_NATURAL_KEY:
            related = getattr(obj, field.name)
            self._current[field.name] = related.natural_key() if related else None
        else:
            super().handle_fk_field(obj, field)

    def end_object(self, obj):
        self.stream.write(json.dumps(self.get_dump_object(obj), **self.json_kwargs) + "\n")
        self._current = None
        self.rows += 1


class _HashingWriter:
    """A text stream onto a binary file that keeps the SHA-256 of what it wrote."""

    def __init__(self, handle):
        self.handle = handle
        self.sha256 = hashlib.sha256()

    def write(self, text: str) -> None:
        encoded = text.encode()
        self.sha256.update(encoded)
        self.handle.write(encoded)


def _relative_path(name: str) -> PurePosixPath:
    """Return a stored or listed name as a path that cannot leave its folder."""
    path = PurePosixPath(name)
    if not name or path.is_absolute() or ".." in path.parts or "\\" in name:
        raise BackupError(f"Refusing the unsafe file name {name!r}.")
    return path


def _sha256_of(handle) -> tuple[str, int]:
    sha256, size = hashlib.sha256(), 0
    while chunk := handle.read(COPY_BYTES):
        sha256.update(chunk)
        size += len(chunk)
    return sha256.hexdigest(), size


# Backup


def write_backup(target: Path, using: str = DEFAULT_DB_ALIAS) -> Summary:
    """Write the database and every stored file to the new folder ``target``.

    Everything is written to a temporary folder beside it, renamed at the end: a failed
    backup leaves nothing behind.
    """
    target = Path(target)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BackupError(f"{target} already exists and is not empty: choose a new folder.")
    target.parent.mkdir(parents=True, exist_ok=True)
    # mkdtemp makes the folder readable by its owner only: a backup holds personal data.
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent))
    try:
        manifest = _write(work, using)
        if target.exists():
            target.rmdir()
        work.rename(target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return Summary(
        rows={entry["model"]: entry["rows"] for entry in manifest["data"]},
        files=manifest["files"]["count"],
        bytes=manifest["files"]["bytes"],
    )


def _write(work: Path, using: str) -> dict:
    connection = connections[using]
    outermost = not connection.in_atomic_block
    with transaction.atomic(using=using):
        if outermost and connection.vendor == "postgresql":
            # One snapshot for every table while the site carries on.
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        chosen = backed_up_models()
        data = [_dump_model(model, work, using) for model in chosen]
        files = _copy_files(chosen, work, using)
        migrations = migration_state(using)
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "created_at": timezone.now().isoformat(),
        "django": django.get_version(),
        "database": connection.vendor,
        "migrations": migrations,
        "data": data,
        "files": files,
    }
    (work / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def _dump_model(model: type[models.Model], work: Path, using: str) -> dict:
    label = model._meta.label_lower
    relative = f"data/{label}.jsonl"
    (work / "data").mkdir(exist_ok=True)
    queryset = model._base_manager.using(using).order_by("pk")
    # Fetch what natural keys are made of with the rows, not a query a row.
    related = []
    for field in model._meta.local_fields:
        target = field.related_model._meta.label_lower if field.is_relation else ""
        if target == "auth.permission":
            related.append(f"{field.name}__content_type")
        elif target == "contenttypes.contenttype":
            related.append(field.name)
    if related:
        queryset = queryset.select_related(*related)
    serializer = _RowSerializer()
    with (work / relative).open("wb") as handle:
        writer = _HashingWriter(handle)
        serializer.serialize(
            queryset.iterator(chunk_size=READ_ROWS),
            stream=writer,
            # Many-to-many links are backed up as the rows of their own through tables.
            fields=[field.name for field in model._meta.local_fields],
            cls=_ExactJSONEncoder,
        )
    return {
        "model": label,
        "path": relative,
        "rows": serializer.rows,
        "sha256": writer.sha256.hexdigest(),
    }


def _copy_files(chosen: list[type[models.Model]], work: Path, using: str) -> dict:
    """Copy every file a FileField names out of the default storage; list it in the index."""
    count = total = 0
    with (work / FILE_INDEX).open("wb") as handle:
        index = _HashingWriter(handle)
        for model in chosen:
            for field in model._meta.local_fields:
                if not isinstance(field, models.FileField):
                    continue
                named = (
                    model._base_manager.using(using)
                    .exclude(**{field.name: ""})
                    .exclude(**{f"{field.name}__isnull": True})
                    .order_by("pk")
                    .values_list("pk", field.name)
                )
                for pk, name in named.iterator(chunk_size=READ_ROWS):
                    copy = work / "files" / _relative_path(name)
                    if copy.exists():  # named by an earlier row too
                        continue
                    sha256, size = _copy_out(name, copy, f"{model._meta.label} {pk}")
                    entry = {"name": name, "size": size, "sha256": sha256}
                    index.write(json.dumps(entry) + "\n")
                    count += 1
                    total += size
    return {"index": FILE_INDEX, "sha256": index.sha256.hexdigest(), "count": count, "bytes": total}


def _copy_out(name: str, copy: Path, owner: str) -> tuple[str, int]:
    copy.parent.mkdir(parents=True, exist_ok=True)
    sha256, size = hashlib.sha256(), 0
    try:
        with default_storage.open(name, "rb") as source, copy.open("wb") as out:
            while chunk := source.read(COPY_BYTES):
                sha256.update(chunk)
                out.write(chunk)
                size += len(chunk)
    except Exception as error:
        raise BackupError(
            f"Cannot copy {name} (the file of {owner}) out of the file storage: {error}. "
            "No backup was written."
        ) from error
    return sha256.hexdigest(), size


# Restore


def restore_backup(source: Path, using: str = DEFAULT_DB_ALIAS) -> Summary:
    """Load the backup in ``source`` into this instance's empty database and file storage.

    Every checksum, the migration state and the database's emptiness are checked before
    anything changes; the rows are loaded and the files written in one transaction, and the
    files written so far are removed again if anything fails.
    """
    source = Path(source)
    manifest = read_manifest(source)
    verify_backup(source, manifest)
    _check_migrations(manifest, using)
    chosen = [_model(entry["model"]) for entry in manifest["data"]]
    if set(chosen) != set(backed_up_models()):
        raise BackupError("The backup's tables are not this version's. Nothing was restored.")
    _check_empty(chosen, using)
    written: list[str] = []
    try:
        with transaction.atomic(using=using):
            rows = _load(source, manifest, chosen, using)
            forget_every_summary(using)
            files, total = _write_files(source, manifest, written)
    except BaseException:
        for name in written:
            with suppress(Exception):  # keep the error that stopped the restore
                default_storage.delete(name)
        raise
    return Summary(rows=rows, files=files, bytes=total)


def read_manifest(source: Path) -> dict:
    """Return the manifest of the backup in ``source``, refusing anything else."""
    path = source / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(f"{source} is not a backup: it has no {MANIFEST}.") from None
    except (OSError, ValueError) as error:
        raise BackupError(f"Cannot read {path}: {error}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path} is not the manifest of a coursework tracker backup.")
    if manifest.get("version") != VERSION:
        raise BackupError(
            f"{source} is a version {manifest.get('version')} backup; "
            f"this restore reads version {VERSION}."
        )
    if {"migrations", "data", "files"} - set(manifest):
        raise BackupError(f"{path} is incomplete.")
    return manifest


def verify_backup(source: Path, manifest: dict) -> None:
    """Check every data file, the file index and every stored file against the manifest."""
    for entry in manifest["data"]:
        _check(source, entry["path"], entry["sha256"])
    _check(source, manifest["files"]["index"], manifest["files"]["sha256"])
    for entry in _file_index(source, manifest):
        _check(source, f"files/{entry['name']}", entry["sha256"], entry["size"])


def _check(source: Path, relative: str, sha256: str, size: int | None = None) -> None:
    try:
        with (source / _relative_path(relative)).open("rb") as handle:
            found, found_size = _sha256_of(handle)
    except FileNotFoundError:
        raise BackupError(f"{relative} is missing from the backup. Nothing was restored.") from None
    if found != sha256 or size not in (None, found_size):
        raise BackupError(
            f"{relative} does not match its SHA-256 in the manifest: the backup is damaged "
            "or was changed. Nothing was restored."
        )


def _file_index(source: Path, manifest: dict) -> Iterator[dict]:
    with (source / _relative_path(manifest["files"]["index"])).open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def _model(label: str) -> type[models.Model]:
    try:
        return apps.get_model(label)
    except LookupError:
        raise BackupError(f"The backup holds {label}, which this version does not have.") from None


def _check_migrations(manifest: dict, using: str) -> None:
    expected, found = manifest["migrations"], migration_state(using)
    differences = [
        f"  {app_label}: the backup is at {expected.get(app_label, 'no migrations')}, "
        f"this database at {found.get(app_label, 'no migrations')}"
        for app_label in sorted(set(expected) | set(found))
        if expected.get(app_label) != found.get(app_label)
    ]
    if differences:
        raise BackupError(
            "This database is not migrated to the backup's state:\n"
            + "\n".join(differences)
            + "\nRun `python manage.py migrate` with the version of the tracker that made "
            "the backup, then restore again. Nothing was restored."
        )


def _check_empty(chosen: list[type[models.Model]], using: str) -> None:
    holding = [
        model._meta.label
        for model in chosen
        # A link table has rows only when both sides have: name the models only.
        if model._meta.app_label not in CATALOGUE_APPS
        and not model._meta.auto_created
        and model._base_manager.using(using).exists()
    ]
    if holding:
        raise BackupError(
            f"This database already holds data ({', '.join(holding)}). Restore only into a "
            "freshly migrated, empty database (the unit catalogue may be loaded: the "
            "backup's replaces it). Nothing was restored."
        )


def _load(source: Path, manifest: dict, chosen: list, using: str) -> dict[str, int]:
    connection = connections[using]
    for model in reversed(chosen):
        if model._meta.app_label in CATALOGUE_APPS:
            model._base_manager.using(using).all().delete()
    rows = {}
    with connection.constraint_checks_disabled():
        for entry, model in zip(manifest["data"], chosen, strict=True):
            rows[entry["model"]] = _load_model(source / _relative_path(entry["path"]), model, using)
    try:
        connection.check_constraints(table_names=[model._meta.db_table for model in chosen])
    except IntegrityError as error:
        raise BackupError(f"The backup's rows do not fit together: {error}") from error
    # Rows came with their ids: move each table's id sequence past them (PostgreSQL).
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), chosen):
            cursor.execute(sql)
    return rows


def _load_model(path: Path, model: type[models.Model], using: str) -> int:
    count, batch = 0, []
    with path.open(encoding="utf-8") as handle:
        try:
            for restored in serializers.deserialize("jsonl", handle, using=using):
                if type(restored.object) is not model:
                    raise BackupError(f"{path.name} holds a row of another model.")
                batch.append(restored.object)
                if len(batch) == INSERT_ROWS:
                    count += _insert(model, batch, using)
                    batch = []
        except DeserializationError as error:
            raise BackupError(f"Cannot load {path.name}: {error}") from error
    return count + _insert(model, batch, using)


def _insert(model: type[models.Model], rows: list, using: str) -> int:
    """Insert rows exactly as they were: their ids, and timestamps auto_now would reset."""
    fields = model._meta.local_concrete_fields
    size = max(1, connections[using].ops.bulk_batch_size(fields, rows))
    for start in range(0, len(rows), size):
        # A raw insert, as Model.save_base(raw=True) in loaddata, a batch at a time.
        model._base_manager.using(using)._insert(
            rows[start : start + size], fields=fields, using=using, raw=True
        )
    return len(rows)


def _write_files(source: Path, manifest: dict, written: list[str]) -> tuple[int, int]:
    """Write each file back under its name, checking the stored bytes' SHA-256."""
    count = total = 0
    for entry in _file_index(source, manifest):
        name = entry["name"]
        if default_storage.exists(name):
            if _stored_sha256(name) != entry["sha256"]:
                raise BackupError(
                    f"The file storage already holds a different {name}: restore needs an "
                    "empty file storage. Nothing was restored."
                )
        else:
            with (source / "files" / _relative_path(name)).open("rb") as handle:
                saved = default_storage.save(name, File(handle))
            written.append(saved)
            if saved != name or _stored_sha256(name) != entry["sha256"]:
                raise BackupError(
                    f"{name} did not arrive intact in the file storage. Nothing was restored."
                )
        count += 1
        total += entry["size"]
    return count, total


def _stored_sha256(name: str) -> str:
    with default_storage.open(name, "rb") as handle:
        return _sha256_of(handle)[0]
