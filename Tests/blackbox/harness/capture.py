"""TCP segments on the loopback interface, as the kernel sends them: which segments a
connection is made of, not only the bytes its ends read. Needs root (an AF_PACKET socket)."""

import socket
import struct
import threading
from dataclasses import dataclass

ETH_P_IP = 0x0800
PACKET_HOST = 0
FIN, SYN, RST, ACK = 0x01, 0x02, 0x04, 0x10


@dataclass(frozen=True)
class Segment:
    source_port: int
    destination_port: int
    flags: int
    payload: int

    def has(self, flag: int) -> bool:
        return bool(self.flags & flag)

    @property
    def is_pure_ack(self) -> bool:
        return self.flags & (FIN | SYN | RST) == 0 and self.payload == 0

    def __str__(self) -> str:
        names = "".join(name for bit, name in ((SYN, "S"), (FIN, "F"), (RST, "R"), (ACK, ".")) if self.flags & bit)
        return f"{self.source_port}>{self.destination_port}[{names}]{self.payload}"


class LoopbackCapture:
    """Records the IPv4 TCP segments sent on `lo` that touch one of `ports`, while open.

    Each segment is seen once; `segments()` stops the capture and returns
    them in order."""

    def __init__(self, ports: set[int]):
        self.ports = ports
        self._segments: list[Segment] = []
        self._socket = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_IP))
        self._socket.bind(("lo", ETH_P_IP))
        self._socket.settimeout(0.05)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "LoopbackCapture":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._finish()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._take(*self._socket.recvfrom(65536))
            except TimeoutError:
                continue

    def _take(self, frame: bytes, address) -> None:
        # Bound to IPv4 alone, the socket sees a loopback segment once, as it arrives
        # (PACKET_HOST); a tap for every protocol would see it leave as well.
        if address[2] == PACKET_HOST:
            self._parse(frame[14:])  # loopback frames carry an all-zero Ethernet header

    def _parse(self, packet: bytes) -> None:
        if len(packet) < 20 or packet[0] >> 4 != 4 or packet[9] != socket.IPPROTO_TCP:
            return
        header = (packet[0] & 0x0F) * 4
        total = struct.unpack_from("!H", packet, 2)[0]
        source, destination = struct.unpack_from("!HH", packet, header)
        if source not in self.ports and destination not in self.ports:
            return
        offset = (packet[header + 12] >> 4) * 4
        self._segments.append(Segment(source, destination, packet[header + 13], total - header - offset))

    def _finish(self) -> None:
        if not self._stop.is_set():
            self._stop.set()
            self._thread.join(timeout=5)
            # What arrived while the thread stopped is still queued on the socket.
            while True:
                try:
                    self._take(*self._socket.recvfrom(65536, socket.MSG_DONTWAIT))
                except (BlockingIOError, TimeoutError):
                    break
            self._socket.close()

    def segments(self) -> list[Segment]:
        self._finish()
        return list(self._segments)
