"""Sends labelled feedback to an Exp3 and an Exp4 application and prints how their weights move.

Usage: python examples/learning_curve.py [QUERY_PORT] [ADMIN_PORT] (defaults 1337 1338); the apps
`pick` (Exp3Policy) and `vote` (Exp4Policy) must be linked to the models `oracle` and `noisy`
(scripts/learning-demo.sh sets it all up).
"""
import json
import sys
import urllib.request

query = f"http://127.0.0.1:{sys.argv[1] if len(sys.argv) > 1 else 1337}"
admin = f"http://127.0.0.1:{sys.argv[2] if len(sys.argv) > 2 else 1338}"


def post(url, body):
    request = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(request) as reply:
        return reply.read(), dict(reply.headers)


def weight(app):
    state = json.loads(post(f"{admin}/admin/get_state", {"app_name": app, "uid": 0})[0])
    return state["weights"]["oracle"]


def exp3_share(app, start, count=100):
    """Share of `count` fresh queries Exp3 sends to the oracle (the X-Cutter-Models header)."""
    hits = sum(post(f"{query}/{app}/predict", {"input": [float(k)]})[1].get("X-Cutter-Models") == "oracle"
               for k in range(start, start + count))
    return hits / count


print(f"{'feedbacks':>9} | {'Exp3: share of queries to the better model':>42} | {'Exp4: weight of the better model':>32}")
print(f"{'-' * 9}-+-{'-' * 42}-+-{'-' * 32}")
done = 0
for checkpoint in [0, 10, 25, 50, 100, 200, 300]:
    for k in range(done, checkpoint):
        for app in ("pick", "vote"):
            post(f"{query}/{app}/update", {"uid": 0, "input": [float(k)], "label": str(k % 3)})
    done = checkpoint
    print(f"{checkpoint:>9} | {exp3_share('pick', 10_000 * (checkpoint + 1)):>42.2f} | {weight('vote'):>32.3f}")
