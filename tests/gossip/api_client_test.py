#!/usr/bin/env python3
"""A GOSSIP API client written from the published VoidPhone message layout alone (Python 3
standard library only), run against two real `rampart gossip` modules:

  header           size u16 | type u16             big-endian; size counts the whole message
  500 ANNOUNCE     ttl u8 | reserved u8 | data type u16 | data
  501 NOTIFY       reserved u16 | data type u16
  502 NOTIFICATION message id u16 | data type u16 | data
  503 VALIDATION   message id u16 | reserved 15 bits | V bit (least significant)

Module A uses an RSA-4096 host key, module B an Ed25519 one (tests/gossip/keys). A client on
B subscribes, receives an item announced on A and validates it; a client on A subscribes and
receives an item announced on B; a client that sends a NOTIFICATION is disconnected while the
others keep working. Every wait has a deadline and failures say what did not happen.
"""
import argparse
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

ANNOUNCE, NOTIFY, NOTIFICATION, VALIDATION = 500, 501, 502, 503
DEADLINE = 20.0
HERE = os.path.dirname(os.path.abspath(__file__))


class Failure(Exception):
    pass


class Client:
    def __init__(self, host, port, name):
        self.name = name
        self.sock = socket.create_connection((host, port), timeout=DEADLINE)
        self.buf = b""

    def send(self, mtype, body):
        self.sock.sendall(struct.pack(">HH", 4 + len(body), mtype) + body)

    def notify(self, data_type):
        self.send(NOTIFY, struct.pack(">HH", 0, data_type))

    def announce(self, ttl, data_type, data):
        self.send(ANNOUNCE, struct.pack(">BBH", ttl, 0, data_type) + data)

    def validate(self, message_id, valid):
        self.send(VALIDATION, struct.pack(">HH", message_id, 1 if valid else 0))

    def poll(self, timeout):
        """One NOTIFICATION as (message id, data type, data), None if none came in time;
        raises EOFError when the module closed the connection."""
        end = time.monotonic() + timeout
        while True:
            if len(self.buf) >= 4:
                size, mtype = struct.unpack(">HH", self.buf[:4])
                if size < 4:
                    raise Failure(f"{self.name}: module sent size {size} < 4")
                if len(self.buf) >= size:
                    msg, self.buf = self.buf[:size], self.buf[size:]
                    if mtype != NOTIFICATION or size < 8:
                        raise Failure(f"{self.name}: module sent type {mtype} size {size}, expected NOTIFICATION")
                    mid, dtype = struct.unpack(">HH", msg[4:8])
                    return mid, dtype, msg[8:]
            left = end - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([self.sock], [], [], left)
            if ready:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise EOFError(self.name)
                self.buf += chunk

    def closed_by_module(self, timeout):
        try:
            end = time.monotonic() + timeout
            while time.monotonic() < end:
                self.poll(end - time.monotonic())
        except EOFError:
            return True
        return False


def start_module(rampart, workdir, name, key, bootstrapper):
    ini = os.path.join(workdir, name + ".ini")
    with open(ini, "w") as f:
        f.write(f"hostkey = {key}\n\n[other_module]\nfoo = bar\n\n[gossip]\ncache_size = 100\ndegree = 1\n")
        if bootstrapper:
            f.write(f"bootstrapper = {bootstrapper}\n")
        f.write("p2p_address = 127.0.0.1:0\napi_address = 127.0.0.1:0\npow_difficulty = 8\n")
    proc = subprocess.Popen([rampart, "gossip", "-c", ini, "--log-level", "warn"], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    ready, _, _ = select.select([proc.stdout], [], [], DEADLINE)
    line = proc.stdout.readline() if ready else ""
    fields = dict(kv.split("=", 1) for kv in line.split()[1:] if "=" in kv)
    if "api" not in fields:
        proc.kill()
        raise Failure(f"module {name} did not report its addresses; said: {line!r}")
    host, port = fields["api"].rsplit(":", 1)
    return proc, (host, int(port)), fields["p2p"], fields.get("key", "?")


def expect_item(receiver, announcer, data_type, prefix):
    """Announce numbered items until the receiver is notified of one (subscriptions on other
    connections and the P2P link take effect at some point; the API has no acknowledgements)."""
    end = time.monotonic() + DEADLINE
    k = 0
    while time.monotonic() < end:
        data = prefix + b" #" + str(k).encode()
        announcer.announce(0, data_type, data)
        k += 1
        got = receiver.poll(0.2)
        if got is None:
            continue
        mid, dtype, payload = got
        if dtype != data_type:
            raise Failure(f"{receiver.name}: NOTIFICATION of type {dtype}, subscribed only to {data_type}")
        if not payload.startswith(prefix):  # a late copy of an earlier step's item
            receiver.validate(mid, True)
            continue
        return mid, payload
    raise Failure(f"{receiver.name} never received an item of type {data_type} announced by {announcer.name}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rampart", required=True)
    args = ap.parse_args()
    procs = []
    try:
        with tempfile.TemporaryDirectory() as work:
            a, api_a, p2p_a, key_a = start_module(args.rampart, work, "a", os.path.join(HERE, "keys", "rsa4096.pem"), None)
            procs.append(a)
            b, api_b, _, key_b = start_module(args.rampart, work, "b", os.path.join(HERE, "keys", "ed25519.pem"), p2p_a)
            procs.append(b)
            if key_a != "rsa-4096" or key_b != "ed25519":
                raise Failure(f"host keys read as {key_a} and {key_b}")

            t = 4711
            sub_b = Client(*api_b, "subscriber on B")
            sub_b.notify(t)
            ann_a = Client(*api_a, "announcer on A")
            mid, payload = expect_item(sub_b, ann_a, t, b"from A")
            sub_b.validate(mid, True)
            print(f"B's subscriber got {payload!r} (message id {mid}) announced on A, validated it")

            sub_a = Client(*api_a, "subscriber on A")
            sub_a.notify(t)
            mid, payload = expect_item(sub_a, sub_b, t, b"from B")
            sub_a.validate(mid, True)
            print(f"A's subscriber got {payload!r} (message id {mid}) announced on B, validated it")
            # B's subscriber may still see A's numbered items, never its own announcement.
            while True:
                got = sub_b.poll(0.3)
                if got is None:
                    break
                if got[2].startswith(b"from B"):
                    raise Failure("B's subscriber got its own announcement back")
                sub_b.validate(got[0], True)

            rogue = Client(*api_a, "rogue client on A")
            rogue.send(NOTIFICATION, struct.pack(">HH", 1, t) + b"forged")
            if not rogue.closed_by_module(DEADLINE):
                raise Failure("a client that sent NOTIFICATION was not disconnected")
            print("a client sending NOTIFICATION was disconnected")
            mid, payload = expect_item(sub_b, ann_a, t, b"after rogue")
            sub_b.validate(mid, True)
            print("the other connections still work")

            for p in procs:
                p.send_signal(signal.SIGTERM)
            for p in procs:
                rc = p.wait(timeout=DEADLINE)
                if rc != 0:
                    raise Failure(f"module exited with {rc} on SIGTERM")
            print("PASS")
            return 0
    except (Failure, EOFError, OSError) as e:
        print(f"FAIL: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()


if __name__ == "__main__":
    sys.exit(main())
