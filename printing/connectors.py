"""Where the bytes go: a network printer (raw TCP, port 9100), a USB printer (the
kernel's ``usblp`` device, e.g. /dev/usb/lp0), a serial port, a file, or the
preview (nothing sent: the app shows the receipt on screen).

Every connection has a timeout. ``NotSent`` means nothing reached the printer (safe
to try again); ``MaybeSent`` means the connection broke while sending (a person
must look at the printer before it is printed again).
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass


class PrinterError(Exception):
    """The printer could not be reached or refused the job."""


class NotSent(PrinterError):
    """Nothing was sent: the printer is off, unplugged, or refused the connection."""


class MaybeSent(PrinterError):
    """The connection broke while sending: part of the receipt may have printed."""


@dataclass
class NetworkConnector:
    host: str
    port: int = 9100
    timeout: float = 5.0

    def send(self, data: bytes) -> None:
        try:
            conn = socket.create_connection((self.host, self.port), timeout=self.timeout)
        except OSError as e:
            raise NotSent(f"cannot reach printer {self.host}:{self.port}: {e.strerror or e}") from e
        try:
            conn.settimeout(self.timeout)
            conn.sendall(data)
            conn.shutdown(socket.SHUT_WR)
        except OSError as e:
            raise MaybeSent(f"connection to {self.host}:{self.port} broke while printing: {e.strerror or e}") from e
        finally:
            conn.close()


@dataclass
class DeviceConnector:
    """A USB printer through the kernel's usblp driver (/dev/usb/lp0), or any file."""

    path: str
    timeout: float = 5.0

    def send(self, data: bytes) -> None:
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NONBLOCK, 0o644)
        except OSError as e:
            raise NotSent(f"cannot open {self.path}: {e.strerror}") from e
        try:
            written = 0
            view = memoryview(data)
            while written < len(data):
                try:
                    written += os.write(fd, view[written:])
                except BlockingIOError:
                    import time

                    time.sleep(0.01)
        except OSError as e:
            raise (NotSent if written == 0 else MaybeSent)(f"writing to {self.path} failed: {e.strerror}") from e
        finally:
            os.close(fd)


@dataclass
class SerialConnector:
    port: str
    baudrate: int = 9600
    timeout: float = 5.0

    def send(self, data: bytes) -> None:
        import serial  # pyserial, installed with python-escpos

        try:
            conn = serial.Serial(self.port, self.baudrate, timeout=self.timeout, write_timeout=self.timeout)
        except (serial.SerialException, OSError) as e:
            raise NotSent(f"cannot open serial port {self.port}: {e}") from e
        try:
            conn.write(data)
            conn.flush()
        except (serial.SerialException, OSError) as e:
            raise MaybeSent(f"serial port {self.port} failed while printing: {e}") from e
        finally:
            conn.close()


@dataclass
class PreviewConnector:
    """Prints nothing: the job is shown on screen (the default with no printer configured)."""

    def send(self, data: bytes) -> None:
        return None


KINDS = ("network", "usb", "serial", "file", "preview")


def make_connector(kind: str, address: str = "", timeout: float = 5.0):
    """A connector from a printer's settings: ``network`` '192.168.1.50' or '192.168.1.50:9100';
    ``usb`` '/dev/usb/lp0'; ``serial`` '/dev/ttyUSB0' or '/dev/ttyUSB0@19200'; ``file`` a path."""
    address = (address or "").strip()
    if kind == "network":
        host, _, port = address.partition(":")
        if not host:
            raise ValueError("a network printer needs an address")
        return NetworkConnector(host, int(port or 9100), timeout)
    if kind in ("usb", "file"):
        if not address:
            raise ValueError("a USB or file printer needs a path")
        return DeviceConnector(address, timeout)
    if kind == "serial":
        port, _, baud = address.partition("@")
        if not port:
            raise ValueError("a serial printer needs a port")
        return SerialConnector(port, int(baud or 9600), timeout)
    if kind == "preview":
        return PreviewConnector()
    raise ValueError(f"unknown connector {kind!r}")
