"""The recording index: which segment files exist, where, and what time they hold.

Everything here can be rebuilt from the files alone (``argus node reindex``),
so a schema change is handled by rebuilding, not by migrating: the index
records its ``SCHEMA_VERSION`` in SQLite's ``user_version`` and an index of
another version is dropped and rebuilt from the disks.

Times are integer microseconds since the Unix epoch (UTC), taken from the
files' ``tfdt`` boxes.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

SCHEMA_VERSION = 1


class Base(DeclarativeBase):
    pass


class DiskRow(Base):
    """A recording disk (a directory, usually a mount point) this node has used."""

    __tablename__ = "disk"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, comment="Row id.")
    uuid: Mapped[str] = mapped_column(
        String(36),
        unique=True,
        comment="Identity from the disk's .argus-disk.json: tells a remounted disk from an "
        "empty mount point, and survives the disk moving to another path.",
    )
    path: Mapped[str] = mapped_column(
        String(4096),
        comment="Where the node last found the disk; a known path without its "
        "identity file means the disk is missing, not empty.",
    )


class SegmentRow(Base):
    """One closed segment file: a run of fragments of one stream, about a minute long."""

    __tablename__ = "segment"
    __table_args__ = (
        Index("segment_by_stream_time", "camera", "stream", "start_us"),
        Index("segment_by_disk_time", "disk_id", "start_us"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, comment="Row id.")
    disk_id: Mapped[int] = mapped_column(
        ForeignKey("disk.id"),
        comment="The disk holding the file; its rows are kept while "
        "the disk is offline (missing is not deleted).",
    )
    camera: Mapped[str] = mapped_column(String(255), comment="Camera id, as in the file's path.")
    stream: Mapped[str] = mapped_column(String(64), comment="Stream name (main, sub …).")
    path: Mapped[str] = mapped_column(
        String(1024), comment="File path relative to the disk root: camera/stream/date/start.mp4."
    )
    start_us: Mapped[int] = mapped_column(
        BigInteger, comment="Start of the first fragment: the segment's first recorded instant."
    )
    end_us: Mapped[int] = mapped_column(
        BigInteger, comment="End of the last fragment (exclusive); retention compares it."
    )
    bytes: Mapped[int] = mapped_column(
        BigInteger, comment="File size when closed; a file of another size is rescanned."
    )


class FragmentRow(Base):
    """One fragment (moof + mdat, one GOP) of a segment: the unit of seeking and serving."""

    __tablename__ = "fragment"

    segment_id: Mapped[int] = mapped_column(
        ForeignKey("segment.id", ondelete="CASCADE"),
        primary_key=True,
        comment="The segment file holding the fragment.",
    )
    seq: Mapped[int] = mapped_column(
        Integer, primary_key=True, comment="Position in the file, from 0."
    )
    start_us: Mapped[int] = mapped_column(BigInteger, comment="tfdt of the fragment's first track.")
    end_us: Mapped[int] = mapped_column(BigInteger, comment="start_us plus the samples' durations.")
    offset: Mapped[int] = mapped_column(BigInteger, comment="Byte offset of the moof box.")
    size: Mapped[int] = mapped_column(Integer, comment="Bytes of moof plus mdat.")
    keyframe: Mapped[bool] = mapped_column(
        Boolean, comment="Starts with a video keyframe (playback may start here)."
    )


class GarbageRow(Base):
    """A file being deleted. Written in the same transaction that removes its segment row,
    removed after the unlink: a crash in between is finished at the next start."""

    __tablename__ = "garbage"

    disk_id: Mapped[int] = mapped_column(
        ForeignKey("disk.id"), primary_key=True, comment="Disk of the file."
    )
    path: Mapped[str] = mapped_column(
        String(1024), primary_key=True, comment="File path relative to the disk root."
    )
