"""Operations on the recording index (SQLite through SQLAlchemy, WAL, one writer at a time)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine, delete, event, select, text
from sqlalchemy.orm import Session

from argus_storage_segments.schema import (
    SCHEMA_VERSION,
    Base,
    DiskRow,
    FragmentRow,
    GarbageRow,
    SegmentRow,
)


@dataclass(frozen=True, slots=True)
class FragmentInfo:
    offset: int
    size: int
    start_us: int
    end_us: int
    keyframe: bool


@dataclass(frozen=True, slots=True)
class SegmentInfo:
    """A closed segment as the index knows it."""

    id: int
    disk_id: int
    camera: str
    stream: str
    path: str
    start_us: int
    end_us: int
    bytes: int


def _info(row: SegmentRow) -> SegmentInfo:
    return SegmentInfo(
        row.id, row.disk_id, row.camera, row.stream, row.path, row.start_us, row.end_us, row.bytes
    )


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


_SEGMENT_FRAGMENTS = """
SELECT s.id, s.disk_id, s.camera, s.stream, s.path, s.start_us, s.end_us, s.bytes,
       f.offset, f.size, f.start_us, f.end_us, f.keyframe
FROM segment s JOIN fragment f ON f.segment_id = s.id
WHERE s.id = (SELECT id FROM segment WHERE camera = ? AND stream = ? AND start_us <= ?
              ORDER BY start_us DESC LIMIT 1)
ORDER BY f.seq
"""

_SEGMENTS_FRAGMENTS_BETWEEN = """
SELECT s.id, s.disk_id, s.camera, s.stream, s.path, s.start_us, s.end_us, s.bytes,
       f.offset, f.size, f.start_us, f.end_us, f.keyframe
FROM segment s JOIN fragment f ON f.segment_id = s.id
WHERE s.camera = ? AND s.stream = ? AND s.start_us > ? AND s.start_us < ? AND s.end_us > ?
ORDER BY s.start_us, f.seq
"""

SegmentWithFragments = tuple[SegmentInfo, list[FragmentInfo]]


def _group(rows: Iterable[tuple[int, ...]]) -> Iterator[SegmentWithFragments]:
    current: SegmentInfo | None = None
    fragments: list[FragmentInfo] = []
    for row in rows:
        if current is None or current.id != row[0]:
            if current is not None:
                yield current, fragments
            current = SegmentInfo(*row[:8])  # type: ignore[arg-type]
            fragments = []
        fragments.append(FragmentInfo(row[8], row[9], row[10], row[11], bool(row[12])))
    if current is not None:
        yield current, fragments


class RecordingIndex:
    """The index of one node. Thread-safe: reads run concurrently, writes one at a time.

    The playback path (:meth:`at`, :meth:`after`) reads through a plain sqlite3
    connection per thread: a seek costs one indexed query, not an ORM session.
    """

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.engine: Engine = create_engine(
            f"sqlite:///{path}", connect_args={"check_same_thread": False}
        )
        event.listen(self.engine, "connect", _sqlite_pragmas)
        self._write = threading.Lock()
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self.rebuilt_schema = self._ensure_schema()

    def _ensure_schema(self) -> bool:
        """Create the tables; drop them first if they are of another schema version.

        :returns: whether the index was (re)created empty and must be filled from the disks.
        """
        with self.engine.begin() as conn:
            version = conn.execute(text("PRAGMA user_version")).scalar_one()
            tables = conn.execute(text("SELECT count(*) FROM sqlite_master")).scalar_one()
            fresh = bool(version != SCHEMA_VERSION)
            if fresh and tables:
                Base.metadata.drop_all(conn)
            Base.metadata.create_all(conn)
            conn.execute(text(f"PRAGMA user_version = {SCHEMA_VERSION}"))
        return fresh

    def close(self) -> None:
        for conn in self._readers:
            conn.close()
        self.engine.dispose()

    # -- the playback path ------------------------------------------------------

    def _reader(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
            self._local.conn = conn
            with self._write:
                self._readers.append(conn)
        return conn

    def at(self, camera: str, stream: str, at_us: int) -> SegmentWithFragments | None:
        """The segment of a stream starting at or before ``at_us``, with its fragments."""
        return next(
            _group(self._reader().execute(_SEGMENT_FRAGMENTS, (camera, stream, at_us))), None
        )

    def after(
        self, camera: str, stream: str, after_start_us: int, start_us: int, end_us: int
    ) -> Iterator[SegmentWithFragments]:
        """Segments starting after ``after_start_us`` that overlap ``[start_us, end_us)``."""
        rows = self._reader().execute(
            _SEGMENTS_FRAGMENTS_BETWEEN, (camera, stream, after_start_us, end_us, start_us)
        )
        return _group(rows)

    # -- disks --------------------------------------------------------------

    def disk_id(self, uuid: str, path: str) -> int:
        """The id of disk ``uuid``, registering it (or its new path) as needed."""
        with self._write, Session(self.engine) as session, session.begin():
            row = session.scalars(select(DiskRow).where(DiskRow.uuid == uuid)).first()
            if row is None:
                row = DiskRow(uuid=uuid, path=path)
                session.add(row)
                session.flush()
            elif row.path != path:
                row.path = path
            return row.id

    def known_disk_paths(self) -> dict[str, str]:
        """path → uuid of every disk the index has seen."""
        with Session(self.engine) as session:
            return {r.path: r.uuid for r in session.scalars(select(DiskRow))}

    # -- segments -----------------------------------------------------------

    def add_segment(
        self,
        disk_id: int,
        camera: str,
        stream: str,
        path: str,
        size: int,
        fragments: Sequence[FragmentInfo],
    ) -> int:
        """Index a closed, durable segment file with its fragments, in one transaction."""
        with self._write, Session(self.engine) as session, session.begin():
            row = SegmentRow(
                disk_id=disk_id,
                camera=camera,
                stream=stream,
                path=path,
                start_us=fragments[0].start_us,
                end_us=fragments[-1].end_us,
                bytes=size,
            )
            session.add(row)
            session.flush()
            session.add_all(
                FragmentRow(
                    segment_id=row.id,
                    seq=i,
                    start_us=f.start_us,
                    end_us=f.end_us,
                    offset=f.offset,
                    size=f.size,
                    keyframe=f.keyframe,
                )
                for i, f in enumerate(fragments)
            )
            return row.id

    def segments(self, camera: str, stream: str, start_us: int, end_us: int) -> list[SegmentInfo]:
        """Segments of a stream overlapping ``[start_us, end_us)``, oldest first."""
        query = (
            select(SegmentRow)
            .where(
                SegmentRow.camera == camera,
                SegmentRow.stream == stream,
                SegmentRow.start_us < end_us,
                SegmentRow.end_us > start_us,
            )
            .order_by(SegmentRow.start_us)
        )
        with Session(self.engine) as session:
            return [_info(r) for r in session.scalars(query)]

    def segment_before(self, camera: str, stream: str, at_us: int) -> SegmentInfo | None:
        """The last segment of a stream starting at or before ``at_us``."""
        query = (
            select(SegmentRow)
            .where(
                SegmentRow.camera == camera,
                SegmentRow.stream == stream,
                SegmentRow.start_us <= at_us,
            )
            .order_by(SegmentRow.start_us.desc())
            .limit(1)
        )
        with Session(self.engine) as session:
            row = session.scalars(query).first()
            return _info(row) if row is not None else None

    def fragments(self, segment_id: int) -> list[FragmentInfo]:
        query = (
            select(FragmentRow)
            .where(FragmentRow.segment_id == segment_id)
            .order_by(FragmentRow.seq)
        )
        with Session(self.engine) as session:
            return [
                FragmentInfo(r.offset, r.size, r.start_us, r.end_us, r.keyframe)
                for r in session.scalars(query)
            ]

    def disk_segments(self, disk_id: int) -> list[SegmentInfo]:
        query = select(SegmentRow).where(SegmentRow.disk_id == disk_id)
        with Session(self.engine) as session:
            return [_info(r) for r in session.scalars(query)]

    def oldest_on_disk(self, disk_id: int, limit: int) -> list[SegmentInfo]:
        query = (
            select(SegmentRow)
            .where(SegmentRow.disk_id == disk_id)
            .order_by(SegmentRow.start_us)
            .limit(limit)
        )
        with Session(self.engine) as session:
            return [_info(r) for r in session.scalars(query)]

    def ended_before(self, camera: str, before_us: int, limit: int) -> list[SegmentInfo]:
        query = (
            select(SegmentRow)
            .where(SegmentRow.camera == camera, SegmentRow.end_us <= before_us)
            .order_by(SegmentRow.start_us)
            .limit(limit)
        )
        with Session(self.engine) as session:
            return [_info(r) for r in session.scalars(query)]

    def cameras(self) -> list[str]:
        with Session(self.engine) as session:
            return list(session.scalars(select(SegmentRow.camera).distinct()))

    def all_segments(self) -> list[tuple[SegmentInfo, list[FragmentInfo]]]:
        """Every segment with its fragments, in a stable order (to compare two indexes)."""
        with Session(self.engine) as session:
            rows = session.scalars(
                select(SegmentRow).order_by(
                    SegmentRow.camera, SegmentRow.stream, SegmentRow.start_us
                )
            ).all()
            infos = [_info(r) for r in rows]
        return [(info, self.fragments(info.id)) for info in infos]

    # -- deletion -----------------------------------------------------------

    def forget(self, segments: Iterable[SegmentInfo]) -> None:
        """Remove segment rows and record their files as garbage, in one transaction."""
        with self._write, Session(self.engine) as session, session.begin():
            for seg in segments:
                session.merge(GarbageRow(disk_id=seg.disk_id, path=seg.path))
                session.execute(delete(FragmentRow).where(FragmentRow.segment_id == seg.id))
                session.execute(delete(SegmentRow).where(SegmentRow.id == seg.id))

    def garbage(self) -> list[tuple[int, str]]:
        with Session(self.engine) as session:
            return [(g.disk_id, g.path) for g in session.scalars(select(GarbageRow))]

    def collected(self, disk_id: int, path: str) -> None:
        """The garbage file is gone from the disk: drop its row."""
        with self._write, Session(self.engine) as session, session.begin():
            session.execute(
                delete(GarbageRow).where(GarbageRow.disk_id == disk_id, GarbageRow.path == path)
            )

    def clear_segments(self) -> None:
        """Drop every segment and fragment row (before a rebuild from the disks)."""
        with self._write, Session(self.engine) as session, session.begin():
            session.execute(delete(FragmentRow))
            session.execute(delete(SegmentRow))
