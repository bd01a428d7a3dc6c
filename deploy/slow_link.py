#!/usr/bin/env python3
"""A slow link between a phone and a server, as a TCP proxy: each direction delivers bytes
after a one-way delay and no faster than a bandwidth, and a new connection's first bytes wait
one more round trip, which TCP's handshake costs. For a machine where `tc netem` is missing.

    slow_link.py LISTEN_PORT TARGET_PORT [--kbit 40] [--rtt-ms 600]
"""
import argparse
import asyncio
import time


class Direction:
    """One direction of the link: a queue drained at the link's rate, each chunk delivered a
    one-way delay after it finished crossing."""

    def __init__(self, rate_bytes_per_s: float, one_way: float):
        self.rate = rate_bytes_per_s
        self.one_way = one_way
        self.free_at = 0.0

    def delivery_time(self, size: int, sent_at: float) -> float:
        start = max(sent_at, self.free_at)
        self.free_at = start + size / self.rate
        return self.free_at + self.one_way


async def pump(reader, writer, direction: Direction, hold_until: float):
    loop = asyncio.get_running_loop()
    pending = asyncio.Queue()

    async def deliver():
        while True:
            when, chunk = await pending.get()
            delay = when - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            if chunk is None:
                writer.close()
                return
            writer.write(chunk)
            await writer.drain()

    delivering = loop.create_task(deliver())
    try:
        while True:
            chunk = await reader.read(1460)
            now = max(time.monotonic(), hold_until)
            if not chunk:
                await pending.put((now + direction.one_way, None))
                break
            await pending.put((direction.delivery_time(len(chunk), now), chunk))
    except (ConnectionError, asyncio.CancelledError):
        pass
    await delivering


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("listen", type=int)
    parser.add_argument("target", type=int)
    parser.add_argument("--kbit", type=float, default=40.0)
    parser.add_argument("--rtt-ms", type=float, default=600.0)
    args = parser.parse_args()
    rate = args.kbit * 1000 / 8
    one_way = args.rtt_ms / 2000

    async def connection(phone_reader, phone_writer):
        server_reader, server_writer = await asyncio.open_connection("127.0.0.1", args.target)
        # The handshake's round trip: nothing the phone sends arrives before it is over.
        opened = time.monotonic() + 2 * one_way
        await asyncio.gather(
            pump(phone_reader, server_writer, Direction(rate, one_way), opened),
            pump(server_reader, phone_writer, Direction(rate, one_way), 0.0),
        )

    server = await asyncio.start_server(connection, "127.0.0.1", args.listen)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
