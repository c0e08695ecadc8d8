"""Walking a folder of the default storage (local files or object storage alike)."""

from datetime import datetime

from django.core.files.storage import default_storage


def delete_older_than(folder: str, cutoff: datetime) -> int:
    """Delete the files directly in ``folder`` last changed before ``cutoff``; return how many.

    Only the storage API both backends support is used (``listdir``, ``get_modified_time``,
    ``delete``). A missing folder holds nothing; a file that vanishes meanwhile is skipped.
    """
    try:
        _folders, files = default_storage.listdir(folder)
    except FileNotFoundError:
        return 0
    removed = 0
    for name in files:
        path = f"{folder.rstrip('/')}/{name}"
        try:
            if default_storage.get_modified_time(path) >= cutoff:
                continue
        except FileNotFoundError:
            continue
        default_storage.delete(path)
        removed += 1
    return removed
