"""TCP segments on the loopback interface, as the kernel sends them: which segments a
connection is made of, not only the bytes its ends read. Needs root (an AF_PACKET socket)."""

import socket
import struct
import threading
from dataclasses import dataclass

ETH_P_IP = 0x0800
PACKET_HOST = 0
SOL_PACKET, PACKET_STATISTICS = 263, 6
SO_TIMESTAMPNS, SO_RCVBUFFORCE = 35, 33
FIN, SYN, RST, ACK = 0x01, 0x02, 0x04, 0x10
# An Ethernet header (all zero on loopback), an IPv4 header and a TCP header with options
# fit in this much of each frame; the rest (the payload) is not copied out.
HEADERS = 14 + 60 + 60


@dataclass(frozen=True)
class Segment:
    source_port: int
    destination_port: int
    flags: int
    payload: int
    seconds: float
    """When the kernel received it (CLOCK_REALTIME): gaps between segments are the kernel's."""

    def has(self, flag: int) -> bool:
        return bool(self.flags & flag)

    @property
    def is_pure_ack(self) -> bool:
        return self.flags & (FIN | SYN | RST) == 0 and self.payload == 0

    def __str__(self) -> str:
        names = "".join(name for bit, name in ((SYN, "S"), (FIN, "F"), (RST, "R"), (ACK, ".")) if self.flags & bit)
        return f"{self.source_port}>{self.destination_port}[{names}]{self.payload}"


class CaptureOverflow(AssertionError):
    pass


class LoopbackCapture:
    """Records the IPv4 TCP segments on `lo` that touch one of `ports`, while open.

    Each segment is seen once, as it arrives; `segments()` stops the capture and returns
    them in order, and fails if the kernel dropped any frame for want of room (other
    loopback traffic shares the socket's queue)."""

    def __init__(self, ports: set[int]):
        self.ports = ports
        self._segments: list[Segment] = []
        self._socket = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_IP))
        self._socket.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 32 << 20)
        self._socket.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        self._socket.bind(("lo", ETH_P_IP))
        self._socket.settimeout(0.05)
        self._socket.getsockopt(SOL_PACKET, PACKET_STATISTICS, 8)  # reading the counters resets them
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._dropped = 0

    def __enter__(self) -> "LoopbackCapture":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._finish()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._take(self._socket.recvmsg(HEADERS, socket.CMSG_SPACE(16)))
            except TimeoutError:
                continue

    def _take(self, message) -> None:
        frame, ancillary, _, address = message
        # Bound to IPv4 alone, the socket sees a loopback segment once, as it arrives
        # (PACKET_HOST); a tap for every protocol would see it leave as well.
        if address[2] != PACKET_HOST:
            return
        seconds = 0.0
        for level, kind, data in ancillary:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                whole, nanoseconds = struct.unpack("qq", data[:16])
                seconds = whole + nanoseconds / 1e9
        self._parse(frame[14:], seconds)

    def _parse(self, packet: bytes, seconds: float) -> None:
        if len(packet) < 20 or packet[0] >> 4 != 4 or packet[9] != socket.IPPROTO_TCP:
            return
        header = (packet[0] & 0x0F) * 4
        total = struct.unpack_from("!H", packet, 2)[0]
        source, destination = struct.unpack_from("!HH", packet, header)
        if source not in self.ports and destination not in self.ports:
            return
        offset = (packet[header + 12] >> 4) * 4
        self._segments.append(Segment(source, destination, packet[header + 13], total - header - offset, seconds))

    def _finish(self) -> None:
        if self._stop.is_set():
            return
        self._stop.set()
        self._thread.join(timeout=5)
        # What arrived while the thread stopped is still queued on the socket.
        while True:
            try:
                self._take(self._socket.recvmsg(HEADERS, socket.CMSG_SPACE(16), socket.MSG_DONTWAIT))
            except (BlockingIOError, TimeoutError):
                break
        _, self._dropped = struct.unpack("II", self._socket.getsockopt(SOL_PACKET, PACKET_STATISTICS, 8))
        self._socket.close()

    def segments(self) -> list[Segment]:
        self._finish()
        if self._dropped:
            raise CaptureOverflow(f"the capture dropped {self._dropped} frames: its queue overflowed")
        return list(self._segments)
