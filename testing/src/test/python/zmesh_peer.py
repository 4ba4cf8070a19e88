"""A zmesh 1.0 peer written from docs/protocol.md alone: a worker, a client, a subscriber and a
publisher, one role per run.

    zmesh_peer.py ENDPOINT worker NAME INSTANCE_ID
    zmesh_peer.py ENDPOINT client NAME
    zmesh_peer.py ENDPOINT subscriber PATTERN COUNT
    zmesh_peer.py ENDPOINT publisher TOPIC COUNT
    zmesh_peer.py ENDPOINT waiter NAME
    zmesh_peer.py ENDPOINT status NAME
    zmesh_peer.py ENDPOINT fetcher NAME COUNT

Needs pyzmq, protobuf and the classes protoc generates from mesh.proto (on PYTHONPATH). Prints
one line per event for the test that runs it; exits 0 when its role's script succeeded.
"""
import os
import signal
import sys
import time

import zmq
from google.protobuf import any_pb2, wrappers_pb2

from zmesh.v1 import mesh_pb2 as pb

PROTOCOL = "zmesh/1.0"  # section 3
TYPE_PREFIX = "type.googleapis.com/"  # section 11
MAX_ACK_BYTES = 256 * 1024  # section 6, rule U-3


def say(*words):
    print(*words, flush=True)


def pack(message):
    return any_pb2.Any(type_url=TYPE_PREFIX + message.DESCRIPTOR.full_name,
                       value=message.SerializeToString())


def code_name(number):
    # Section 15, rule E-1: a status number this peer does not know reads as INTERNAL.
    try:
        return pb.StatusCode.Name(number)
    except ValueError:
        return "INTERNAL"


def unpack_text(payload):
    # Section 11: the type name is what follows the last '/'.
    name = payload.type_url.rsplit("/", 1)[-1]
    if name != "google.protobuf.StringValue":
        raise ValueError("unexpected payload type " + name)
    value = wrappers_pb2.StringValue()
    value.ParseFromString(payload.value)
    return value.value


class Closed(Exception):
    """The connection ended (section 6): a DISCONNECT, or the broker went silent."""

    def __init__(self, why):
        super().__init__(why)
        self.why = why


class Connection:
    """One DEALER, one frame per packet (section 2), HELLO first (section 3)."""

    def __init__(self, endpoint, name):
        self.socket = zmq.Context.instance().socket(zmq.DEALER)
        self.socket.setsockopt(zmq.LINGER, 1000)
        self.socket.connect(endpoint)
        self.next_id = 0
        # Section 6, unread bytes: the frames read since the last CREDIT id 0, the WELCOME's too.
        self.unacknowledged = 0
        self.ack_every = 0
        self.send(pb.Envelope(command=pb.HELLO, hello=pb.Hello(
            client_name=name, pid=os.getpid(), host="python", sdk_version="zmesh_peer.py",
            protocol=PROTOCOL)))
        welcome = self.receive(timeout_s=10)
        if welcome.command != pb.WELCOME:
            raise SystemExit("expected WELCOME, got " + pb.Command.Name(welcome.command))
        agreed = welcome.welcome.protocol
        # Rule V-4: drop a connection whose WELCOME names a version we do not speak.
        if not agreed.startswith("zmesh/1.") or int(agreed.split(".", 1)[1]) > 0:
            raise SystemExit("broker agreed to " + agreed + ", we speak " + PROTOCOL)
        budget = welcome.welcome.outbound_budget_bytes
        self.ack_every = max(1, min(budget // 16, MAX_ACK_BYTES)) if budget else 0
        self.interval = welcome.welcome.heartbeat_interval_ms / 1000.0
        self.liveness = welcome.welcome.liveness
        self.welcome = welcome.welcome
        self.last_sent = time.monotonic()
        self.last_heard = time.monotonic()
        say("connected", agreed)

    def new_id(self):
        # Rule ID-1 and ID-4: never 0, never two awaiting an answer under one id.
        self.next_id += 1
        return self.next_id

    def send(self, envelope):
        self.socket.send(envelope.SerializeToString())
        self.last_sent = time.monotonic()

    def receive(self, timeout_s):
        """The next packet other than HEARTBEAT, or None after timeout_s; heartbeats sent."""
        end = time.monotonic() + timeout_s
        while True:
            now = time.monotonic()
            wait = end - now
            if hasattr(self, "interval"):
                # Section 6: a HEARTBEAT whenever nothing was sent for an interval; the broker
                # is gone after liveness x interval of silence.
                if now - self.last_sent >= self.interval:
                    self.send(pb.Envelope(command=pb.HEARTBEAT))
                if now - self.last_heard > self.liveness * self.interval:
                    raise Closed("broker silent")
                wait = min(wait, self.last_sent + self.interval - now)
            if end - now <= 0:
                return None
            if self.socket.poll(max(1, int(wait * 1000))):
                frames = self.socket.recv_multipart()
                self.last_heard = time.monotonic()
                self.acknowledge(sum(len(f) for f in frames))
                if len(frames) != 1:
                    continue
                self.last_length = len(frames[0])  # what CREDIT counts (section 9)
                envelope = pb.Envelope()
                envelope.ParseFromString(frames[0])
                if envelope.command == pb.HEARTBEAT:
                    continue
                if envelope.command == pb.DISCONNECT:
                    raise Closed(envelope.status.message)
                return envelope

    def acknowledge(self, length):
        """Rule U-3: CREDIT id 0 each time a sixteenth of the unread bytes allowed was read."""
        self.unacknowledged += length
        if self.ack_every and self.unacknowledged >= self.ack_every:
            self.send(pb.Envelope(command=pb.CREDIT, credit=pb.Credit(
                bytes=self.unacknowledged)))
            self.unacknowledged = 0

    def expect(self, command, ident, timeout_s=10):
        envelope = self.receive(timeout_s)
        if envelope is None or envelope.command != command or envelope.id != ident:
            raise SystemExit("expected %s %d, got %s" % (pb.Command.Name(command), ident, envelope))
        return envelope

    def request(self, service, text, timeout_ms, wait_for_worker=False):
        ident = self.new_id()
        self.send(pb.Envelope(command=pb.REQUEST, id=ident, service=service,
                              timeout_ms=timeout_ms, wait_for_worker=wait_for_worker,
                              payload=pack(wrappers_pb2.StringValue(value=text))))
        return ident

    def leave(self):
        self.send(pb.Envelope(command=pb.DISCONNECT, status=pb.ErrorStatus(code=pb.OK)))
        self.socket.close()


def worker(conn, name, instance_id):
    """Section 8: READY, answer every REQUEST once, answer every CANCEL, DRAIN on SIGTERM."""
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    ready_id = conn.new_id()
    conn.send(pb.Envelope(command=pb.READY, id=ready_id, ready=pb.Ready(
        name=name, instance_id=instance_id, concurrency=1, pid=0, host="python",
        version="py-1", request_types=["google.protobuf.StringValue"])))
    conn.expect(pb.REPLY, ready_id)
    say("registered", name)
    held = set()  # requests we hold until their CANCEL
    drain_id = None
    while True:
        if stopping and drain_id is None:
            drain_id = conn.new_id()
            conn.send(pb.Envelope(command=pb.DRAIN, id=drain_id))
        packet = conn.receive(0.1)
        if packet is None:
            continue
        if packet.command == pb.REQUEST:
            text = unpack_text(packet.payload)
            if text == "hold":
                held.add(packet.id)  # answered when its CANCEL comes
                say("holding", packet.id)
            else:
                conn.send(pb.Envelope(command=pb.REPLY, id=packet.id,
                                      payload=pack(wrappers_pb2.StringValue(value="py:" + text))))
                say("answered", text)
        elif packet.command == pb.CANCEL:
            # Section 8: a worker answers every request, also a cancelled one.
            if packet.id in held:
                held.discard(packet.id)
                conn.send(pb.Envelope(command=pb.ERROR, id=packet.id, status=pb.ErrorStatus(
                    code=pb.CANCELLED, message="gave up on request %d" % packet.id)))
                say("cancelled", packet.id)
        elif packet.command == pb.REPLY and packet.id == drain_id:
            say("drained")
            conn.leave()
            return


def client(conn, name):
    """Section 7: a call, then a request cancelled by its requester."""
    ident = conn.request(name, "from python", 5000)
    reply = conn.expect(pb.REPLY, ident)
    say("reply", unpack_text(reply.payload))
    ident = conn.request(name, "hold", 10000)
    time.sleep(0.2)  # let it reach the worker before cancelling
    conn.send(pb.Envelope(command=pb.CANCEL, id=ident))
    answer = conn.expect(pb.ERROR, ident)
    say("cancel answered", code_name(answer.status.code))
    ident = conn.request("zmesh.nobody-" + name, "x", 1000)
    answer = conn.expect(pb.ERROR, ident)
    say("unknown service", code_name(answer.status.code))
    conn.leave()


def status(conn, name):
    """Calls NAME once and prints the status it fails with, as this peer reads it."""
    ident = conn.request(name, "status?", 5000)
    answer = conn.expect(pb.ERROR, ident)
    say("status", code_name(answer.status.code), answer.status.message)
    conn.leave()


def fetcher(conn, name, count):
    """Rule U-3: COUNT calls whose replies together are far more than the unread bytes the
    broker allows; they all arrive because this peer acknowledges what it reads."""
    total = 0
    for i in range(count):
        ident = conn.request(name, "fetch %d" % i, 5000)
        total += len(unpack_text(conn.expect(pb.REPLY, ident).payload))
    say("fetched", count, total)
    conn.leave()


def waiter(conn, name):
    """Rule C-7: a request pending when the connection ends is failed here, not waited for."""
    ident = conn.request(name, "patient", 60000, wait_for_worker=True)
    say("waiting", ident)
    try:
        packet = conn.receive(60)
        raise SystemExit("expected the connection to end, got %s" % packet)
    except Closed as closed:
        say("request", ident, "failed: connection ended:", closed.why)


def subscriber(conn, pattern, count):
    """Section 9: SUBSCRIBE, MESSAGEs credited one by one, UNSUBSCRIBE."""
    sub_id = conn.new_id()
    conn.send(pb.Envelope(command=pb.SUBSCRIBE, id=sub_id, subscribe=pb.Subscribe(
        pattern=pattern, message_type="google.protobuf.StringValue")))
    granted = conn.expect(pb.REPLY, sub_id).subscribe
    say("subscribed", granted.budget_messages, granted.budget_bytes)
    got = []
    while len(got) < count:
        packet = conn.receive(30)
        if packet is None:
            raise SystemExit("only %d of %d messages" % (len(got), count))
        if packet.command != pb.MESSAGE or packet.id != sub_id:
            continue
        got.append(unpack_text(packet.payload))
        conn.send(pb.Envelope(command=pb.CREDIT, id=sub_id, credit=pb.Credit(
            messages=1, bytes=conn.last_length)))
    say("messages", ",".join(got))
    unsub_id = conn.new_id()
    conn.send(pb.Envelope(command=pb.UNSUBSCRIBE, id=unsub_id))
    while conn.receive(10).command != pb.REPLY:
        pass  # messages sent before the broker read the UNSUBSCRIBE
    conn.leave()


def publisher(conn, topic, count):
    """Section 10: PUBLISHes with id 0, the last with an id to learn that all were delivered."""
    for i in range(count - 1):
        conn.send(pb.Envelope(command=pb.PUBLISH, service=topic,
                              payload=pack(wrappers_pb2.StringValue(value="py-%d" % i))))
    last = conn.new_id()
    conn.send(pb.Envelope(command=pb.PUBLISH, id=last, service=topic,
                          payload=pack(wrappers_pb2.StringValue(value="py-%d" % (count - 1)))))
    conn.expect(pb.REPLY, last)
    say("published", count)
    conn.leave()


def main(argv):
    endpoint, role, args = argv[1], argv[2], argv[3:]
    conn = Connection(endpoint, "python-" + role)
    if role == "worker":
        worker(conn, args[0], args[1])
    elif role == "client":
        client(conn, args[0])
    elif role == "status":
        status(conn, args[0])
    elif role == "waiter":
        waiter(conn, args[0])
    elif role == "fetcher":
        fetcher(conn, args[0], int(args[1]))
    elif role == "subscriber":
        subscriber(conn, args[0], int(args[1]))
    elif role == "publisher":
        publisher(conn, args[0], int(args[1]))
    else:
        raise SystemExit("unknown role " + role)
    say("done")


if __name__ == "__main__":
    main(sys.argv)
