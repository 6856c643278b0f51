"""The embedded broker: kombu's filesystem transport, made safe for several processes.

kombu's own transport writes a message straight into the queue folder, and another
process may take the file while it is still being written: the reader gets an empty or
cut-off file, ``json.loads`` fails, and the worker stops. Here a message is written
to a folder beside the queue and renamed into it when complete (a rename within one
file system is atomic), so a reader sees whole messages only. A message that cannot
be read all the same (a corrupted or foreign file) is moved to the ``bad`` folder
beside the queue and logged; the worker goes on with the next one.

Used when ``CELERY_BROKER_URL`` is ``filesystem://`` (CELERY_BROKER_TRANSPORT).
"""

from __future__ import annotations

import logging
import os
import shutil
import uuid
from functools import cached_property
from pathlib import Path
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.transport.virtual import Empty
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads

log = logging.getLogger(__name__)


class Channel(filesystem.Channel):
    """Whole messages in, unreadable ones set aside."""

    @cached_property
    def incoming_folder(self) -> Path:
        """Where messages are written before they are renamed into the queue."""
        folder = Path(self.data_folder_out).parent / "incoming"
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    @cached_property
    def bad_folder(self) -> Path:
        folder = Path(self.data_folder_in).parent / "bad"
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def _put(self, queue, payload, **kwargs):
        """Put `payload` onto `queue`: written aside, then renamed in."""
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        partial = self.incoming_folder / name
        try:
            with open(partial, "wb") as f:
                f.write(str_to_bytes(dumps(payload)))
                f.flush()
                os.fsync(f.fileno())
            os.replace(partial, os.path.join(self.data_folder_out, name))
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise ChannelError(f"Cannot add {name!r} to the queue folder") from exc

    def _get(self, queue):
        """Get the next readable message from `queue`; set aside unreadable ones."""
        wanted = f"{queue}.msg"
        for filename in sorted(os.listdir(self.data_folder_in)):
            if filename.partition(".")[2] != wanted:
                continue
            taken = os.path.join(self.processed_folder, filename)
            try:
                # the rename is the claim: of several workers, one gets the file
                shutil.move(os.path.join(self.data_folder_in, filename), taken)
            except OSError:
                continue  # taken by another worker in the meantime
            try:
                with open(taken, "rb") as f:
                    payload = f.read()
                message = loads(bytes_to_str(payload))
                if not isinstance(message, dict):
                    raise ValueError("not a message")
            except (OSError, ValueError) as exc:
                self._set_aside(taken, filename, exc)
                continue
            if not self.store_processed:
                os.remove(taken)
            return message
        raise Empty()

    def _set_aside(self, path: str, filename: str, exc: Exception) -> None:
        target = self.bad_folder / filename
        try:
            shutil.move(path, target)
        except OSError:
            target = Path(path)
        log.error(
            "Skipped an unreadable message in the queue folder (%s: %s); "
            "it was moved to %s",
            type(exc).__name__,
            exc,
            target,
        )

    def get_table(self, exchange):
        """The queues bound to a broadcast exchange; an unreadable table is none."""
        try:
            return super().get_table(exchange)
        except ValueError as exc:  # being rewritten by another process
            log.warning("The table of exchange %r could not be read: %s", exchange, exc)
            return []


class Transport(filesystem.Transport):
    Channel = Channel
