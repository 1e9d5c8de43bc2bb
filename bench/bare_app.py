"""The yardstick of bench/submit.py: Flask answering a small page, nothing else.

Served by the same gunicorn, with the same workers and the same load, as the
survey app, so the ratio between the two is what our code costs on top of
the framework and the server.
"""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "<!doctype html><title>ok</title><p>ok</p>\n"
