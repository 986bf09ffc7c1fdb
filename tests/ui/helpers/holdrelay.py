#!/usr/bin/env python3
"""tests/ui/helpers/holdrelay.py PORT_FILE TARGET_PORT PATTERN COUNT HELD_FILE RELEASE_FILE
- a TCP relay on 127.0.0.1 to 127.0.0.1:TARGET_PORT that a test can hold
at one command of a plaintext line protocol (IMAP with `set tls = none`).

Bytes pass unchanged and in order, both ways, for every connection.  The
client's lines are matched against the regular expression PATTERN; the
COUNT-th matching line (counted over all connections) is not forwarded:
the relay writes HELD_FILE (the held line in it) and forwards nothing
more from that client until RELEASE_FILE exists, then that line and what
followed it.  The server never sees the held command, so the client
waits for its answer in a state that cannot move on: a test looks at it
for as long as it needs, then creates RELEASE_FILE.  One hold per relay;
the server's side of the held connection keeps flowing.

The listening port is written to PORT_FILE once the relay accepts
connections.  A client's partial line is kept until its end arrives (at
most 64 KiB), so the protocol must be line-based and uncompressed (the
reader: `set imap_compress = no`).
"""
import asyncio
import os
import re
import sys

PARTIAL_MAX = 64 << 10
POLL_S = 0.02


def write_atomic(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, path)


class Hold:
    def __init__(self, pattern, count, held_file, release_file):
        self.pattern = re.compile(pattern.encode())
        self.left = count
        self.held_file = held_file
        self.release_file = release_file

    def is_it(self, line):
        """True for the line to hold (once)."""
        if self.left <= 0 or not self.pattern.search(line):
            return False
        self.left -= 1
        return self.left == 0

    async def wait(self, line):
        write_atomic(self.held_file, line.decode("utf-8", "replace"))
        while not os.path.exists(self.release_file):
            await asyncio.sleep(POLL_S)


class ClientLines:
    """The client's side: passed on in whole lines, the held one after
    the release."""

    def __init__(self, hold):
        self.hold = hold
        self.buf = b""

    async def take(self, data, writer):
        self.buf += data
        out = []
        while True:
            nl = self.buf.find(b"\n")
            if nl < 0:
                break
            line, self.buf = self.buf[: nl + 1], self.buf[nl + 1 :]
            if self.hold.is_it(line):
                await forward(b"".join(out), writer)
                out = []
                await self.hold.wait(line)
            out.append(line)
        if not data or len(self.buf) > PARTIAL_MAX:
            out.append(self.buf)
            self.buf = b""
        await forward(b"".join(out), writer)


async def forward(data, writer):
    if data:
        writer.write(data)
        await writer.drain()


async def pump(reader, writer, take):
    while True:
        data = await reader.read(1 << 16)
        await take(data, writer)
        if not data:
            if writer.can_write_eof():
                writer.write_eof()
            return


async def relay(coro):
    try:
        await coro
    except (ConnectionError, OSError):
        pass


async def main():
    port_file, target, pattern, count, held_file, release_file = sys.argv[1:7]
    hold = Hold(pattern, int(count), held_file, release_file)

    async def client(creader, cwriter):
        try:
            sreader, swriter = await asyncio.open_connection("127.0.0.1", int(target))
        except OSError:
            cwriter.close()
            return
        await asyncio.gather(
            relay(pump(creader, swriter, ClientLines(hold).take)), relay(pump(sreader, cwriter, forward))
        )
        for w in (cwriter, swriter):
            w.close()

    server = await asyncio.start_server(client, "127.0.0.1", 0)
    write_atomic(port_file, "%d\n" % server.sockets[0].getsockname()[1])
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
