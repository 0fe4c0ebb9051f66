"""A TCP link with a fixed one-way delay: a service on another host, for the benches.

Every byte that crosses the link, either way, arrives ``ONE_WAY_MS`` after it was sent, in
order, with no limit on the bandwidth: what a round trip to a database in another data centre
costs, which this machine cannot otherwise produce (issue 14: "4 workers must beat 2 when files
are I/O-bound"). ``bench/rush.py --db-rtt-ms`` puts it between the workers and PostgreSQL.

    python bench/delay_link.py LISTEN_PORT UPSTREAM_HOST UPSTREAM_PORT ONE_WAY_MS

It listens on 127.0.0.1, prints ``ready`` once it does and ``carried`` for each connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys

CHUNK = 64 * 1024


async def carry(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float) -> None:
    """Everything ``reader`` gives, written to ``writer`` ``delay`` seconds after it came; the
    end of the stream too."""
    loop = asyncio.get_running_loop()
    due: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def deliver() -> None:
        while True:
            at, chunk = await due.get()
            wait = at - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if not chunk:
                with contextlib.suppress(OSError):
                    writer.write_eof()
                return
            writer.write(chunk)
            await writer.drain()

    delivering = asyncio.create_task(deliver())
    try:
        while chunk := await reader.read(CHUNK):
            due.put_nowait((loop.time() + delay, chunk))
        due.put_nowait((loop.time() + delay, b""))
        await delivering
    finally:
        delivering.cancel()


async def serve(listen: int, host: str, port: int, delay: float) -> None:
    async def connected(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        try:
            upstream_r, upstream_w = await asyncio.open_connection(host, port)
        except OSError:
            client_w.close()
            return
        print("carried", flush=True)
        both = [
            asyncio.create_task(carry(client_r, upstream_w, delay)),
            asyncio.create_task(carry(upstream_r, client_w, delay)),
        ]
        try:
            # Both ends closing in turn end both carries; one end failing (a reset) ends the
            # other's at once, which would otherwise wait on a peer with nothing to say.
            await asyncio.wait(both, return_when=asyncio.FIRST_EXCEPTION)
        finally:
            for task in both:
                task.cancel()
            await asyncio.gather(*both, return_exceptions=True)
            for writer in (client_w, upstream_w):
                writer.close()

    server = await asyncio.start_server(connected, "127.0.0.1", listen)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


def main() -> None:
    listen, host, port, one_way_ms = sys.argv[1:5]
    asyncio.run(serve(int(listen), host, int(port), float(one_way_ms) / 1000))


if __name__ == "__main__":
    main()
