"""A peer that registers as a container and answers every batch with another batch's message id,
as a confused or hostile replica would. Usage: wrong_ids_container.py PORT NAME"""
import sys
import time

import zmq

from cutter_container import protocol


def main():
    port, name = int(sys.argv[1]), sys.argv[2]
    sock = zmq.Context().socket(zmq.DEALER)
    sock.connect(f"tcp://127.0.0.1:{port}")
    sock.send_multipart(protocol.encode_heartbeat())
    last_heartbeat = time.monotonic()
    while True:
        if sock.poll(200):
            message = protocol.decode_message(sock.recv_multipart())
            if isinstance(message, protocol.Heartbeat):
                if message.kind == protocol.HEARTBEAT_REQUEST_METADATA:
                    sock.send_multipart(protocol.encode_new_container(name, "1", protocol.input_type_code("doubles")))
            elif isinstance(message, protocol.PredictRequest):
                wrong = ((int.from_bytes(message.msg_id, "little") + 1000) % 2**32).to_bytes(4, "little")
                sock.send_multipart(protocol.encode_response(wrong, ["0.0"] * len(message.inputs)))
        # It keeps heartbeating: heartbeats alone must not keep it in service.
        if time.monotonic() - last_heartbeat > 1:
            sock.send_multipart(protocol.encode_heartbeat())
            last_heartbeat = time.monotonic()


if __name__ == "__main__":
    main()
