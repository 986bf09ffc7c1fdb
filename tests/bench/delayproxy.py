#!/usr/bin/env python3
"""tests/bench/delayproxy.py PORT_FILE DELAY_FILE TARGET_PORT - a TCP
relay on 127.0.0.1 that delays every byte by half the round-trip time in
each direction, for `make bench` (tests/bench/wire.sh) on kernels without
sch_netem (tc netem).

The delay is read from DELAY_FILE's first line in milliseconds (the round
trip, split half and half); the bench rewrites it between runs.  Bytes
keep their order and are never dropped; like netem with a large queue
there is no bandwidth cap, only latency.  The listening port is written
to PORT_FILE once the relay accepts connections.
"""
import asyncio
import os
import sys


def rtt_s(delay_file):
    try:
        with open(delay_file) as f:
            return float(f.read().split()[0]) / 1000.0
    except (OSError, ValueError, IndexError):
        return 0.0


async def pump(reader, writer, half):
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue()

    async def read_side():
        while True:
            data = await reader.read(1 << 16)
            queue.put_nowait((loop.time() + half, data))
            if not data:
                return

    async def write_side():
        while True:
            due, data = await queue.get()
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if not data:
                if writer.can_write_eof():
                    writer.write_eof()
                return
            writer.write(data)
            await writer.drain()

    try:
        await asyncio.gather(read_side(), write_side())
    except (ConnectionError, OSError):
        pass


async def main():
    port_file, delay_file, target = sys.argv[1], sys.argv[2], int(sys.argv[3])

    async def client(creader, cwriter):
        half = rtt_s(delay_file) / 2
        try:
            sreader, swriter = await asyncio.open_connection("127.0.0.1", target)
        except OSError:
            cwriter.close()
            return
        await asyncio.gather(pump(creader, swriter, half), pump(sreader, cwriter, half))
        for w in (cwriter, swriter):
            w.close()

    server = await asyncio.start_server(client, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    tmp = port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.rename(tmp, port_file)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
