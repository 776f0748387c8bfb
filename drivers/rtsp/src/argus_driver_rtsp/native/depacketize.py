"""RTP payloads → access units: H.264 (RFC 6184), H.265 (RFC 7798), AAC (RFC 3640), G.711.

A depacketizer is fed every RTP packet of its track, in arrival order, as a
slice ``buf[start:end]`` of the receive buffer (the RTP payload, padding
removed) with the packet's sequence number, timestamp and marker bit. It
appends each complete access unit to the shared ``out`` list as a
:data:`Unit`: ``(track, pts, data, keyframe, duration)``, where ``pts`` is the
RTP timestamp unwrapped to 64 bits and counted from the track's first packet.
Payload bytes are copied out of ``buf`` (the caller reuses it).

Video access units are Annex B: every NAL unit behind a four-byte start code,
in the order they came, as FFmpeg's RTSP demuxer gives them. A sequence gap
(a lost packet) drops the access unit it damaged; a video track then drops
everything up to its next keyframe, as does a new video track before its first.
"""

from __future__ import annotations

from typing import Final

START: Final = b"\x00\x00\x00\x01"
_WRAP: Final = 1 << 32
_HALF: Final = 1 << 31
_MASK: Final = _WRAP - 1

#: ``(track, pts, data, keyframe, duration)``; pts and duration in RTP clock ticks.
Unit = tuple[int, int, bytes, bool, int]
_Buffer = bytearray | bytes


class Depacketizer:
    """Sequence and timestamp bookkeeping shared by every payload format.

    :param track: the track index put in each :data:`Unit`.
    :param out: where complete access units are appended.
    :param duration: the duration given to each access unit (0: unknown).
    """

    is_video = False

    def __init__(self, track: int, out: list[Unit], duration: int = 0) -> None:
        self.track = track
        self.duration = duration
        #: Sequence gaps seen (packets lost or reordered).
        self.losses = 0
        self._out = out
        self._expected = -1
        self._damaged = -1
        self._last_raw = 0
        self._extended = 0

    def push(self, buf: _Buffer, start: int, end: int, seq: int, ts: int, marker: bool) -> None:
        """Take one RTP packet's payload ``buf[start:end]``."""
        raise NotImplementedError

    def _gap(self, seq: int, ts: int) -> None:
        """A packet out of sequence: the first of the track, or one after a loss."""
        if self._expected < 0:
            self._last_raw = ts
        else:
            self.losses += 1
            self._damaged = ts
            self._drop()

    def _drop(self) -> None:
        """Forget the access unit being assembled."""

    def _pts(self, raw: int) -> int:
        """``raw`` RTP timestamp unwrapped, counted from the track's first packet."""
        delta = (raw - self._last_raw) & _MASK
        if delta & _HALF:
            delta -= _WRAP
        self._last_raw = raw
        self._extended += delta
        return self._extended


class _Video(Depacketizer):
    """Assembles NAL units of one timestamp into an access unit, ended by the marker bit
    (or by the next timestamp when the marker never came)."""

    is_video = True
    _key_types: frozenset[int] = frozenset()

    def __init__(self, track: int, out: list[Unit], duration: int = 0) -> None:
        super().__init__(track, out, duration)
        self._parts: list[_Buffer] = []
        self._ts = -1
        self._key = False
        self._in_fragment = False
        self._need_key = True

    def _drop(self) -> None:
        self._parts.clear()
        self._key = self._in_fragment = False
        self._need_key = True

    def _emit(self) -> None:
        parts, key = self._parts, self._key
        self._key = False
        if self._in_fragment:  # the fragmented NAL unit never ended
            self._in_fragment = False
            self.losses += 1
            self._drop()
            return
        if self._need_key:
            if not key:
                parts.clear()
                return
            self._need_key = False
        data = b"".join(parts)
        parts.clear()
        self._out.append((self.track, self._pts(self._ts), data, key, self.duration))

    def _nal(self, buf: _Buffer, start: int, end: int, kind: int) -> None:
        self._parts.append(START)
        self._parts.append(buf[start:end])
        if kind in self._key_types:
            self._key = True

    def _fragment(
        self, buf: _Buffer, start: int, end: int, header: bytes, kind: int, first: bool, last: bool
    ) -> None:
        if first:
            if self._in_fragment:  # a start inside a fragmented unit: the end was lost
                self._damage()
                return
            self._parts.append(START + header)
            self._in_fragment = True
            if kind in self._key_types:
                self._key = True
        elif not self._in_fragment:  # a middle or end without its start
            self._damage()
            return
        self._parts.append(buf[start:end])
        if last:
            self._in_fragment = False

    def _damage(self) -> None:
        self.losses += 1
        self._damaged = self._ts
        self._drop()


class H264(_Video):
    """RFC 6184 packetization modes 0 and 1: single NAL unit, STAP-A, FU-A."""

    _key_types = frozenset({5})

    def push(self, buf: _Buffer, start: int, end: int, seq: int, ts: int, marker: bool) -> None:
        if seq != self._expected:
            self._gap(seq, ts)
        self._expected = (seq + 1) & 0xFFFF
        if ts == self._damaged or end <= start:
            return
        if ts != self._ts:
            if self._parts:
                self._emit()
            self._ts = ts
        header = buf[start]
        kind = header & 0x1F
        if kind == 28:  # FU-A
            fu = buf[start + 1]
            if not fu & 0x80 and self._in_fragment:  # a middle or the end: the common case
                self._parts.append(buf[start + 2 : end])
                if fu & 0x40:
                    self._in_fragment = False
            elif end - start > 2:
                self._fragment(
                    buf,
                    start + 2,
                    end,
                    bytes(((header & 0xE0) | (fu & 0x1F),)),
                    fu & 0x1F,
                    bool(fu & 0x80),
                    bool(fu & 0x40),
                )
        elif 0 < kind < 24:
            self._nal(buf, start, end, kind)
        elif kind == 24:  # STAP-A
            self._aggregate(buf, start + 1, end)
        if marker and self._parts and ts != self._damaged:
            self._emit()

    def _aggregate(self, buf: _Buffer, pos: int, end: int) -> None:
        while pos + 2 < end:
            size = (buf[pos] << 8) | buf[pos + 1]
            pos += 2
            if size == 0 or pos + size > end:
                self._damage()
                return
            self._nal(buf, pos, pos + size, buf[pos] & 0x1F)
            pos += size


class H265(_Video):
    """RFC 7798: single NAL unit, aggregation (AP) and fragmentation (FU) packets.

    :param donl: the stream carries decoding order numbers (``sprop-max-don-diff`` > 0).
    """

    _key_types = frozenset(range(16, 22))  # IRAP pictures: BLA, IDR, CRA

    def __init__(
        self, track: int, out: list[Unit], duration: int = 0, *, donl: bool = False
    ) -> None:
        super().__init__(track, out, duration)
        self._don = 2 if donl else 0

    def push(self, buf: _Buffer, start: int, end: int, seq: int, ts: int, marker: bool) -> None:
        if seq != self._expected:
            self._gap(seq, ts)
        self._expected = (seq + 1) & 0xFFFF
        if ts == self._damaged or end - start < 3:
            return
        if ts != self._ts:
            if self._parts:
                self._emit()
            self._ts = ts
        kind = (buf[start] >> 1) & 0x3F
        if kind == 49:  # FU
            fu = buf[start + 2]
            first = bool(fu & 0x80)
            if not first and self._in_fragment:  # a middle or the end: the common case
                self._parts.append(buf[start + 3 : end])
                if fu & 0x40:
                    self._in_fragment = False
                if marker and ts != self._damaged:
                    self._emit()
                return
            body = start + 3 + (self._don if first else 0)
            header = bytes(((buf[start] & 0x81) | ((fu & 0x3F) << 1), buf[start + 1]))
            if body < end:
                self._fragment(buf, body, end, header, fu & 0x3F, first, bool(fu & 0x40))
        elif kind < 48:
            self._nal(buf, start, end, kind)
        elif kind == 48:  # AP
            self._aggregate(buf, start + 2, end)
        if marker and self._parts and ts != self._damaged:
            self._emit()

    def _aggregate(self, buf: _Buffer, pos: int, end: int) -> None:
        pos += self._don  # DONL of the first unit
        while pos + 2 < end:
            size = (buf[pos] << 8) | buf[pos + 1]
            pos += 2
            if size < 2 or pos + size > end:
                self._damage()
                return
            self._nal(buf, pos, pos + size, (buf[pos] >> 1) & 0x3F)
            pos += size + (1 if self._don else 0)  # DOND of the next unit


class Aac(Depacketizer):
    """RFC 3640 ``mpeg4-generic`` AAC (AAC-hbr, AAC-lbr): AU headers, then the AUs;
    an AU larger than a packet is reassembled from fragments of one timestamp.

    :param size_length: ``sizelength`` bits of each AU header (13 in AAC-hbr).
    :param index_length: ``indexlength`` bits of the first header (3 in AAC-hbr).
    :param delta_length: ``indexdeltalength`` bits of the others (3 in AAC-hbr).
    :param frame: samples per AU (``constantduration``, 1024 for AAC).
    """

    def __init__(
        self,
        track: int,
        out: list[Unit],
        *,
        size_length: int = 13,
        index_length: int = 3,
        delta_length: int = 3,
        frame: int = 1024,
    ) -> None:
        super().__init__(track, out, frame)
        self._size_length = size_length
        self._index_lengths = (index_length, delta_length)
        self._frame = frame
        self._fragments: list[_Buffer] = []
        self._fragment_ts = -1
        self._fragment_size = 0
        self._fragment_have = 0

    def _drop(self) -> None:
        self._fragments.clear()
        self._fragment_ts = -1

    def push(self, buf: _Buffer, start: int, end: int, seq: int, ts: int, marker: bool) -> None:
        if seq != self._expected:
            self._gap(seq, ts)
        self._expected = (seq + 1) & 0xFFFF
        if ts == self._damaged or end - start < 2:
            return
        header_bits = (buf[start] << 8) | buf[start + 1]
        pos = start + 2 + (header_bits + 7) // 8
        if pos > end:
            return
        sizes = self._sizes(buf, start + 2, header_bits)
        if self._fragments and (ts != self._fragment_ts or len(sizes) != 1):
            self.losses += 1  # a fragmented AU that never completed
            self._drop()
        if (len(sizes) == 1 and sizes[0] > end - pos) or self._fragments:
            self._fragment(buf, pos, end, ts, sizes[0] if sizes else 0)
            return
        for i, size in enumerate(sizes):
            if pos + size > end:
                break
            pts = self._pts((ts + i * self._frame) & _MASK)
            self._out.append((self.track, pts, bytes(buf[pos : pos + size]), True, self._frame))
            pos += size

    def _sizes(self, buf: _Buffer, pos: int, header_bits: int) -> list[int]:
        if self._size_length == 13 and self._index_lengths == (3, 3):  # AAC-hbr
            return [
                ((buf[p] << 8) | buf[p + 1]) >> 3
                for p in range(pos, pos + header_bits // 16 * 2, 2)
            ]
        value = int.from_bytes(buf[pos : pos + (header_bits + 7) // 8], "big")
        left = (header_bits + 7) // 8 * 8
        sizes: list[int] = []
        consumed = 0
        index = self._index_lengths[0]
        while consumed + self._size_length + index <= header_bits:
            left -= self._size_length
            sizes.append((value >> left) & ((1 << self._size_length) - 1))
            left -= index
            consumed += self._size_length + index
            index = self._index_lengths[1]
        return sizes

    def _fragment(self, buf: _Buffer, pos: int, end: int, ts: int, size: int) -> None:
        if not self._fragments:
            self._fragment_ts, self._fragment_size, self._fragment_have = ts, size, 0
        self._fragments.append(buf[pos:end])
        self._fragment_have += end - pos
        if self._fragment_have >= self._fragment_size:
            data = b"".join(self._fragments)[: self._fragment_size]
            self._drop()
            self._out.append((self.track, self._pts(ts), data, True, self._frame))


class G711(Depacketizer):
    """RFC 3551 PCMU/PCMA: every payload is a run of samples, one byte per sample
    and channel."""

    def __init__(self, track: int, out: list[Unit], channels: int = 1) -> None:
        super().__init__(track, out)
        self._channels = max(1, channels)

    def push(self, buf: _Buffer, start: int, end: int, seq: int, ts: int, marker: bool) -> None:
        if seq != self._expected:
            self._gap(seq, ts)
        self._expected = (seq + 1) & 0xFFFF
        if end > start:
            samples = (end - start) // self._channels
            self._out.append((self.track, self._pts(ts), bytes(buf[start:end]), True, samples))
